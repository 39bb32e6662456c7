import { rate } from './output.js';
import type { ProblemReport } from './structured.js';

/**
 * find_problem_queues' classifier: queue statistics in, problems out, with no I/O, so each
 * problem kind and threshold is checked by table tests without a broker.
 */

export type ProblemKind = ProblemReport['problems'][number]['kind'];

/** The statistics the classifier reads: find_problem_queues asks the broker for these columns only. */
export interface QueueStats {
  name: string;
  type?: string;
  state?: string;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  idle_since?: string;
  message_stats?: Record<string, unknown>;
}

/** A queue's name, type, state and counts: what list_queues and find_problem_queues both show. */
export const QUEUE_COUNT_COLUMNS = ['name', 'type', 'state', 'messages', 'messages_ready', 'messages_unacknowledged', 'consumers'];

export const PROBLEM_COLUMNS = [
  ...QUEUE_COUNT_COLUMNS,
  'idle_since',
  'message_stats.publish_details.rate',
  'message_stats.deliver_get_details.rate',
  'message_stats.ack_details.rate',
];

export interface ProblemThresholds {
  /** Messages from which a queue is deep. */
  deep: number;
  /** Unacked messages from which a queue has many. */
  unacked: number;
  /** Minutes from which an idle queue counts. */
  idleMinutes: number;
}

/** find_problem_queues' thresholds when the caller names none (its descriptions state them). */
export const PROBLEM_DEFAULTS: ProblemThresholds = { deep: 10_000, unacked: 1000, idleMinutes: 60 };

export interface QueueProblem {
  kind: ProblemKind;
  queue: string;
  type: string;
  detail: string;
  /** How bad it is within its kind: the report lists the worst first. */
  weight: number;
}

/** Each kind's heading in the report, in the order the report shows the kinds. */
export const PROBLEM_TITLES: Record<ProblemKind, (thresholds: ProblemThresholds) => string> = {
  not_running: () => 'not running',
  deep: ({ deep }) => `deep (≥ ${deep} messages)`,
  growing: () => 'growing (publish rate above delivery rate)',
  no_consumers: () => 'messages but no consumers',
  many_unacked: ({ unacked }) => `many unacked (≥ ${unacked})`,
  idle: ({ idleMinutes }) => `idle ≥ ${idleMinutes} min`,
};

export const PROBLEM_KINDS = Object.keys(PROBLEM_TITLES) as ProblemKind[];

/** RabbitMQ prints idle_since as "2024-01-01 10:00:00" (3.x) or ISO 8601; both are UTC. */
function idleMinutes(idleSince: string | undefined, now: number): number | undefined {
  if (!idleSince) return undefined;
  const iso = idleSince.includes('T') ? idleSince : `${idleSince.replace(' ', 'T')}Z`;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : Math.floor((now - at) / 60_000);
}

/** One queue's problems, each kind at most once. */
function problemsOf(q: QueueStats, thresholds: ProblemThresholds, now: number): Omit<QueueProblem, 'queue' | 'type'>[] {
  const found: Omit<QueueProblem, 'queue' | 'type'>[] = [];
  const messages = q.messages ?? 0;
  const inRate = rate(q.message_stats, 'publish') ?? 0;
  const outRate = rate(q.message_stats, 'deliver_get') ?? 0;
  if (q.state && q.state !== 'running' && q.state !== 'idle') found.push({ kind: 'not_running', detail: `state ${q.state}`, weight: 1 });
  if (messages >= thresholds.deep) found.push({ kind: 'deep', detail: `${messages} messages`, weight: messages });
  if (inRate > outRate && (q.messages_ready ?? 0) > 0) {
    found.push({
      kind: 'growing',
      detail: `in ${inRate.toFixed(1)}/s, out ${outRate.toFixed(1)}/s, ${q.messages_ready} ready`,
      weight: inRate - outRate,
    });
  }
  if ((q.consumers ?? 0) === 0 && messages > 0)
    found.push({ kind: 'no_consumers', detail: `${messages} messages, 0 consumers`, weight: messages });
  if ((q.messages_unacknowledged ?? 0) >= thresholds.unacked) {
    found.push({
      kind: 'many_unacked',
      detail: `${q.messages_unacknowledged} unacked, ${q.consumers ?? 0} consumers`,
      weight: q.messages_unacknowledged ?? 0,
    });
  }
  const minutes = idleMinutes(q.idle_since, now);
  if (minutes !== undefined && minutes >= thresholds.idleMinutes)
    found.push({ kind: 'idle', detail: `idle ${minutes} min, ${messages} messages`, weight: minutes });
  return found;
}

/** Every problem of every queue, grouped by kind in the report's order, queues in the order given. */
export function classifyQueues(queues: readonly QueueStats[], thresholds: ProblemThresholds, now: number): QueueProblem[] {
  const problems = queues.flatMap((q) =>
    problemsOf(q, thresholds, now).map((problem) => ({ ...problem, queue: q.name, type: q.type ?? 'classic' })),
  );
  return PROBLEM_KINDS.flatMap((kind) => problems.filter((problem) => problem.kind === kind));
}
