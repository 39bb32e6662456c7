import type { Broker } from '../broker/broker.js';
import { traceRoute } from '../broker/exchange-routing.js';
import { apiPath } from '../broker/management-client.js';
import { withoutMajority } from '../broker/quorum-majority.js';
import { managementTopology } from './bindings.js';
import { type QueueInfo, getQueueInfo } from './queues.js';
import { inQuotes } from '../broker/one-line.js';

/** Distinct routes, and queues, looked at after one failed publish. */
const MAX_LOOKED_AT = 20;

/** Why a queue takes nothing now, in words; undefined when nothing in its description says so. */
export function unavailability(queue: QueueInfo, vhostName: string, runningNodes: ReadonlySet<string>): string | undefined {
  const type = queue.type ?? 'classic';
  if (type === 'quorum') return withoutMajority(queue, vhostName);
  if (!queue.state || queue.state === 'running' || queue.state === 'idle') return undefined;
  // A queue on a stopped node reads 'down' in the list and 'stopped' on its own.
  const where = queue.node && !runningNodes.has(queue.node) ? `lives on node ${queue.node}, which is down` : `is ${queue.state}`;
  return `${type} queue ${inQuotes(queue.name)} in vhost ${inQuotes(vhostName)} ${where}: it stores nothing until it runs again`;
}

/**
 * After the broker refused messages (nack) or left them unconfirmed: the queues they route to
 * that cannot take anything now, each said in a sentence (a classic queue whose node is down, a
 * quorum queue without its majority). Empty when none is found: the caller keeps its own wording.
 */
export async function unavailableQueues(
  broker: Broker,
  vhostName: string,
  exchange: string,
  routes: readonly { routingKey: string; headers?: Record<string, unknown> }[],
): Promise<string[]> {
  const topology = managementTopology(broker, vhostName);
  const distinct = new Map(routes.map((route) => [JSON.stringify([route.routingKey, route.headers ?? {}]), route]));
  const queues = new Set<string>();
  for (const route of [...distinct.values()].slice(0, MAX_LOOKED_AT)) {
    const reached = await traceRoute(topology, exchange, route.routingKey, route.headers ?? {}).catch(() => ({ queues: [] }));
    for (const queue of reached.queues) queues.add(queue);
  }
  if (queues.size === 0) return [];
  const nodes = await broker.management
    .get<{ name: string; running: boolean }[]>(apiPath('nodes'), { query: { columns: 'name,running' } })
    .catch(() => []);
  const running = new Set(nodes.filter((node) => node.running).map((node) => node.name));
  const reasons = await Promise.all(
    [...queues].slice(0, MAX_LOOKED_AT).map(async (name) => {
      const queue = await getQueueInfo(broker, vhostName, name).catch(() => undefined);
      return queue ? unavailability(queue, vhostName, running) : undefined;
    }),
  );
  return reasons.filter((reason): reason is string => reason !== undefined);
}
