import { versionAtLeast } from './broker.js';

/**
 * When a read that hands messages back (peek, a dead-letter sample, the rest of a consume) could
 * make RabbitMQ drop or dead-letter them, and the proof that it cannot.
 *
 * Quorum queues count returns toward a delivery limit: a message returned once more when its count
 * has reached the limit is dead-lettered or dropped. What counts, measured on real brokers (and
 * checked on each version the suite runs on, test/return-rules.test.ts):
 * - 3.x and 4.0 count every return: basic.nack or basic.reject with requeue, basic.recover, and a
 *   channel or connection closing with the message unacked (4.0–4.2 count them as "acquired").
 * - 4.3 counts only a failed delivery: basic.reject with requeue, and a channel or connection that
 *   closes with the message unacked. basic.nack with requeue does not count.
 * The order a returned batch goes back in also differs: 3.x puts back what a closing channel held
 * sorted, but a nack's messages in no set order; 4.x keeps a nack's order and not a close's.
 * The limit is the lowest of the queue argument, the policy and the operator policy; 4.0 and later
 * apply 20 when none is set, 3.x none.
 */

/** How a broker version takes back messages a reader hands back, read from its version. */
export interface ReturnRules {
  /** Whether basic.nack with requeue raises a quorum queue message's count toward the delivery limit. */
  nackCounts: boolean;
  /**
   * How a peek hands a quorum queue's messages back so that they keep their order: by closing the
   * channel (3.x) or with basic.nack, multiple, requeue, before the channel closes (4.x).
   */
  handBack: 'close' | 'nack';
  /** The behaviour was measured on this release series; otherwise the rules assume the worst. */
  tested: boolean;
}

/** The release series whose behaviour the suite measures on a real broker (test/return-rules.test.ts). */
const MEASURED_SERIES = ['3.10', '4.0', '4.3'];

/**
 * The rules of a RabbitMQ version. Between measured series they follow RabbitMQ's source (3.x and
 * 4.0–4.2 count every return); a version newer than the newest measured keeps the handing back
 * that preserves order there but is assumed to count every return, so a peek near the limit is
 * refused rather than trusted.
 */
export function returnRulesOf(version: string): ReturnRules {
  const tested = MEASURED_SERIES.some((series) => version.startsWith(`${series}.`));
  if (!versionAtLeast(version, '4.0')) return { nackCounts: true, handBack: 'close', tested };
  if (!versionAtLeast(version, '4.3') || versionAtLeast(version, '4.4')) return { nackCounts: true, handBack: 'nack', tested };
  return { nackCounts: false, handBack: 'nack', tested };
}

export interface LimitSources {
  version: string;
  type: string | undefined;
  /** x-delivery-limit from the queue's arguments. */
  argument?: unknown;
  /** delivery-limit of every policy and operator policy that applies, or may apply, to the queue. */
  policies: readonly { source: string; value: unknown }[];
  /** The limit the broker itself reports for the queue (4.3's management API: a number or "unlimited"). */
  reported?: unknown;
}

export interface DeliveryLimit {
  /** Whether handing a message back (basic.nack with requeue, or a channel closing) raises its delivery count. */
  returnsCount: boolean;
  /** The number of returns a message survives; null when unlimited. */
  limit: number | null;
  /** Where the limit comes from, for the answer ("queue argument x-delivery-limit = 5"). */
  from: string;
}

const asLimit = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value)
    ? value
    : typeof value === 'string' && /^-?\d+$/.test(value)
      ? Number(value)
      : undefined;

export function deliveryLimitOf(sources: LimitSources): DeliveryLimit {
  if (sources.type !== 'quorum') return { returnsCount: false, limit: null, from: 'not a quorum queue' };
  const returnsCount = returnRulesOf(sources.version).nackCounts;
  const candidates = [
    { source: 'queue argument x-delivery-limit', value: asLimit(sources.argument) },
    { source: "the broker's own delivery_limit", value: sources.reported === 'unlimited' ? -1 : asLimit(sources.reported) },
    ...sources.policies.map((policy) => ({ source: policy.source, value: asLimit(policy.value) })),
  ].filter((candidate): candidate is { source: string; value: number } => candidate.value !== undefined);
  // A negative value switches the limit off (4.x); the lowest of the others still applies.
  const positive = candidates.filter((candidate) => candidate.value >= 0).sort((a, b) => a.value - b.value);
  const lowest = positive[0];
  if (lowest) return { returnsCount, limit: lowest.value, from: `${lowest.source} = ${lowest.value}` };
  if (candidates.length > 0) return { returnsCount, limit: null, from: `${candidates[0]?.source} = ${candidates[0]?.value} (no limit)` };
  if (versionAtLeast(sources.version, '4.0')) return { returnsCount, limit: 20, from: "RabbitMQ 4's default of 20 (none is set)" };
  return { returnsCount, limit: null, from: 'none is set' };
}

/** What this server itself did to a queue since it first looked, to read its statistics against. */
export interface PeekLedgerEntry {
  /** The queue's redeliver counter when this server first peeked it. */
  baseline: number;
  /**
   * The highest publish counter seen: a lower one later means the statistics were reset or the
   * queue was deleted and declared again, and the ledger no longer describes it.
   */
  published: number;
  /** Peeks this server made since (each hands every message it read back once). */
  peeks: number;
  /** Deliveries flagged redelivered that those peeks received. */
  redelivered: number;
  /** How many messages the last peek handed back (the queue's returned head after it). */
  lastReturned: number;
}

/** What is known about the queue before anything is taken. */
export interface CountEvidence {
  /** Consumers attached now (live, from queue.declare passive). */
  consumers: number;
  /** Nodes in the cluster. */
  nodes: number;
  /** False when the queue has no message statistics (collection off, or not emitted yet). */
  statistics: boolean;
  /** Messages in the queue, as the statistics last saw them (compared with the published count of the same snapshot). */
  messages: number;
  /** Ready messages now (live). */
  ready: number;
  published: number;
  /** Removals the statistics count: acks and automatic acks. */
  removed: number;
  /** The queue's cumulative count of deliveries flagged redelivered. */
  redelivered: number;
  ledger?: PeekLedgerEntry;
}

export type ReturnProof =
  | { safe: true; bound: number }
  | { safe: false; kind: 'consumers' | 'cluster' | 'statistics' | 'coverage' | 'limit'; reason: string; bound?: number };

/**
 * Whether every message in the queue can be taken and handed back once without reaching the
 * limit: true only when an upper bound on every message's x-delivery-count stays below it.
 *
 * The bound: a message with x-delivery-count c was returned c times and redelivered at least
 * c − 1 times (the last return may not have been followed by a delivery yet), so c ≤ its
 * redeliveries + 1 ≤ the queue's redeliveries + 1. With this server's own ledger it is tighter:
 * redeliveries from before it first looked (the baseline), plus any by others since, plus at most
 * one per peek of its own.
 *
 * The statistics hold that counter only while nothing resets them and nobody races them, so the
 * proof also needs: no consumer attached (none can return a message while we read), a single node (a restarted node's share of a cluster's counters is lost), and
 * statistics that cover every message in the queue (published ≥ present + removed; a node restart
 * or messages that arrived by dead-lettering break that). Where any of it fails, it refuses.
 * Statistics lag one collection interval behind: this server's own peeks count at once through its
 * ledger; a return by another client within that interval is what the proof takes on trust.
 */
export function proveReturnsSafe(limit: DeliveryLimit, evidence: CountEvidence): ReturnProof {
  if (!limit.returnsCount || limit.limit === null) return { safe: true, bound: Number.POSITIVE_INFINITY };
  if (evidence.consumers > 0) {
    return {
      safe: false,
      kind: 'consumers',
      reason: `${evidence.consumers === 1 ? '1 consumer is' : `${evidence.consumers} consumers are`} attached: what they take and hand back changes delivery counts while the peek reads, so they cannot be bounded`,
    };
  }
  if (evidence.nodes > 1) {
    return {
      safe: false,
      kind: 'cluster',
      reason: `the cluster has ${evidence.nodes} nodes: the redelivery statistics of a node that restarted are lost, so delivery counts cannot be bounded`,
    };
  }
  if (evidence.messages === 0 && evidence.ready === 0) return { safe: true, bound: 0 };
  if (!evidence.statistics) {
    return {
      safe: false,
      kind: 'statistics',
      reason: 'the queue has no message statistics (collection is off, or has not run yet), so earlier deliveries are unknown',
    };
  }
  if (evidence.published < evidence.messages + evidence.removed) {
    return {
      safe: false,
      kind: 'coverage',
      reason: `the statistics do not cover every message in the queue (${evidence.published} published since they started, ${evidence.messages} present, ${evidence.removed} removed): the node restarted, or messages arrived by dead-lettering, so earlier deliveries are unknown`,
    };
  }
  const ledger = evidence.ledger && evidence.published >= evidence.ledger.published ? evidence.ledger : undefined;
  const ours = ledger ? ledger.baseline + ledger.redelivered : 0;
  let bound = Math.max(evidence.redelivered, ours) + 1;
  if (ledger) {
    const byOthers = Math.max(0, evidence.redelivered - ledger.baseline - ledger.redelivered);
    bound = Math.min(bound, ledger.baseline + byOthers + Math.min(ledger.peeks, ledger.redelivered) + 1);
  }
  if (bound < limit.limit) return { safe: true, bound };
  return {
    safe: false,
    kind: 'limit',
    bound,
    reason: `a message may already have been returned ${bound} time(s) (the queue counts ${evidence.redelivered} redeliveries${ledger ? `, ${ledger.peeks} peek(s) by this server` : ''}), and one more return at the limit of ${limit.limit} makes RabbitMQ dead-letter or drop it`,
  };
}
