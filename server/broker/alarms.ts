import { bytes } from './byte-size.js';

/** A node as GET /api/nodes reports it (the fields the overview and the alarms read). */
export interface NodeSummary {
  name: string;
  type?: string;
  running: boolean;
  uptime?: number;
  mem_used?: number;
  mem_limit?: number;
  mem_alarm?: boolean;
  disk_free?: number;
  disk_free_limit?: number;
  disk_free_alarm?: boolean;
  fd_used?: number;
  fd_total?: number;
  sockets_used?: number;
  sockets_total?: number;
  proc_used?: number;
  proc_total?: number;
  run_queue?: number;
  partitions?: string[];
  memory?: Record<string, number | string | Record<string, number>>;
}

/** What is wrong across the cluster's nodes, one sentence each: down nodes, memory and disk alarms, partitions. */
export function alarmsOf(nodes: readonly NodeSummary[]): string[] {
  const alarms: string[] = [];
  for (const node of nodes) {
    if (!node.running) alarms.push(`node ${node.name} is down`);
    if (node.mem_alarm)
      alarms.push(`memory alarm on ${node.name} (${bytes(node.mem_used)} used, limit ${bytes(node.mem_limit)}): publishers are blocked`);
    if (node.disk_free_alarm)
      alarms.push(
        `disk alarm on ${node.name} (${bytes(node.disk_free)} free, limit ${bytes(node.disk_free_limit)}): publishers are blocked`,
      );
    if (node.partitions && node.partitions.length > 0) alarms.push(`network partition seen by ${node.name}: ${node.partitions.join(', ')}`);
  }
  return alarms;
}
