import { inQuotes } from './one-line.js';
/**
 * Which quorum queues still have a majority of their members running. A quorum queue needs more
 * than half of its members up to elect a leader: without that majority it accepts no publishes
 * (they wait, then are refused) and delivers nothing until enough of its nodes are back. A member
 * counts as running when its node runs, as RabbitMQ 4's own 'minority' state counts it; that state
 * is trusted too, for a member whose node runs but whose replica does not.
 */

/** A queue as GET /api/queues reports it with QUORUM_COLUMNS. */
export interface QueueReplicas {
  name: string;
  vhost: string;
  type?: string;
  state?: string;
  leader?: string;
  members?: string[];
}

/** The columns of GET /api/queues that majoritiesOf reads. */
export const QUORUM_COLUMNS = ['name', 'vhost', 'type', 'state', 'leader', 'members'];

export interface QuorumMembers {
  name: string;
  vhost: string;
  members: string[];
  /** Members whose node runs. */
  running: string[];
  /** Members whose node is down (or not in the cluster any more). */
  down: string[];
  /** How many members must run for the queue to work. */
  majority: number;
}

export interface Majorities {
  /** Quorum queues without a majority of their members running: they neither accept nor deliver. */
  lost: QuorumMembers[];
  /** Quorum queues with a member down that still work; `edge` of them have exactly a majority left. */
  degraded: QuorumMembers[];
  /** Of the degraded: one more member down and they stop. */
  edge: QuorumMembers[];
}

/** Sorts the quorum queues among `queues` by how many of their members run on `runningNodes`. */
export function majoritiesOf(queues: readonly QueueReplicas[], runningNodes: ReadonlySet<string>): Majorities {
  const result: Majorities = { lost: [], degraded: [], edge: [] };
  for (const queue of queues) {
    if (queue.type !== 'quorum' || !queue.members || queue.members.length === 0) continue;
    const members = queue.members;
    const running = members.filter((member) => runningNodes.has(member));
    const down = members.filter((member) => !runningNodes.has(member));
    const majority = Math.floor(members.length / 2) + 1;
    const entry: QuorumMembers = { name: queue.name, vhost: queue.vhost, members, running, down, majority };
    if (running.length < majority || queue.state === 'minority') result.lost.push(entry);
    else if (down.length > 0) {
      result.degraded.push(entry);
      if (running.length === majority) result.edge.push(entry);
    }
  }
  return result;
}

/** "'q' in vhost 'v'" for each, at most `max`, then how many more. */
export function queueNames(queues: readonly { name: string; vhost: string }[], max = 10): string {
  const shown = queues.slice(0, max).map((queue) => `${inQuotes(queue.name)} in vhost ${inQuotes(queue.vhost)}`);
  return `${shown.join(', ')}${queues.length > max ? `, and ${queues.length - max} more` : ''}`;
}

/** One queue without its majority, in words: how many members run, and which nodes are down. */
export function lostMajority(queue: QuorumMembers): string {
  return `${inQuotes(queue.name)} in vhost ${inQuotes(queue.vhost)} (${queue.running.length} of ${queue.members.length} members running, ${queue.majority} needed; down: ${queue.down.join(', ') || 'none, but RabbitMQ reports it in minority'})`;
}

/** One queue as GET /api/queues/{vhost}/{name} describes it: the fields that tell whether it has its majority. */
export interface QueueMembership {
  name: string;
  type?: string;
  state?: string;
  members?: string[];
  /** Members whose replica runs (3.x asks each node; 4.x counts the members on running nodes). */
  online?: string[];
}

/**
 * Why a quorum queue cannot deliver or accept anything now, or undefined when it has its majority
 * (or is not a quorum queue). A consumer on such a queue gets nothing and, after about a minute,
 * the broker closes the whole connection; a publish waits that long and is refused.
 */
export function withoutMajority(queue: QueueMembership, vhost: string): string | undefined {
  if (queue.type !== 'quorum' || !queue.members || queue.members.length === 0) return undefined;
  const members = queue.members;
  const online = queue.online ?? members;
  const running = members.filter((member) => online.includes(member));
  const down = members.filter((member) => !online.includes(member));
  const majority = Math.floor(members.length / 2) + 1;
  if (running.length >= majority && queue.state !== 'minority') return undefined;
  // RabbitMQ 4 says 'minority' at once; its list of online members can lag a few seconds behind.
  const count =
    running.length < majority
      ? `${running.length} of its ${members.length} members run${running.length > 0 ? ` (${running.join(', ')})` : ''}, ${majority} are needed${down.length > 0 ? `; down: ${down.join(', ')}` : ''}`
      : `RabbitMQ reports fewer than ${majority} of its ${members.length} members running`;
  return `quorum queue ${inQuotes(queue.name)} in vhost ${inQuotes(vhost)} has lost its majority: ${count}. It delivers nothing and accepts no publishes until enough of its nodes run again (get_overview names the down nodes)`;
}
