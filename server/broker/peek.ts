import type { ConfirmChannel, GetMessage, Message } from 'amqplib';
import type { AmqpSession } from './amqp-session.js';
import { type Broker, versionAtLeast } from './broker.js';
import { consumeUntilIdle } from './consume.js';
import {
  type CountEvidence,
  type DeliveryLimit,
  type ReturnProof,
  type ReturnRules,
  deliveryLimitOf,
  proveReturnsSafe,
  returnRulesOf,
} from './delivery-limit.js';
import { apiPath } from './management-client.js';
import { policyPatternMatcher } from './name-filter.js';
import { withoutMajority } from './quorum-majority.js';
import { inQuotes } from './one-line.js';

/** The queue as the management API describes it: what a peek needs of it. */
export interface PeekedQueue {
  name: string;
  type?: string;
  arguments?: Record<string, unknown>;
  effective_policy_definition?: Record<string, unknown>;
  consumers?: number;
  messages?: number;
  messages_unacknowledged?: number;
  message_stats?: Record<string, unknown>;
  /** 4.3 and later: the delivery limit in effect, a number or "unlimited". */
  delivery_limit?: unknown;
  state?: string;
  members?: string[];
  online?: string[];
}

export interface PeekPlan {
  queue: PeekedQueue;
  /** The broker's version, which the rules below come from. */
  version: string;
  limit: DeliveryLimit;
  rules: ReturnRules;
  /** Why handing messages back would delay them (4.3's delayed retry), when it would. */
  delayedReturns?: string;
}

export interface Peeked {
  plan: PeekPlan;
  messages: Message[];
  /** Messages taken and handed back: the window, and for a quorum queue the rest of its returned head. */
  touched: number;
  /** Ready messages that were not back when the peek ended (0 when all came back). */
  missing: number;
  /** Ready messages when the peek began (live, from queue.declare passive). */
  ready: number;
  /** Consumers attached when the peek began. */
  consumers: number;
  /** The returned head was longer than a peek may take: what is behind it now comes first. */
  headCut: boolean;
  /**
   * Quorum queues read short of the window: ready messages once the peek ended. A quorum queue
   * whose leader is changing answers queue.declare with 0 for a moment, so a start count below
   * the window is checked against this one before the answer says the queue holds fewer.
   */
  readyAfter?: number;
  /**
   * Quorum queues read short of the window: ready messages the management API listed just before
   * the peek (its statistics, a few seconds old at most). While a new leader is elected the live
   * count can read 0 at both ends of a peek; the listing then still shows what the queue holds.
   */
  listedReady?: number;
}

export interface PeekRefused {
  plan: PeekPlan;
  refused: { reason: string; advice: string };
}

const MAX_QUORUM_TAKE = 20_000;
const QUORUM_EXTRA_MAX_BATCH = 500;
/** How long a consumer waits for one more message before deciding the queue has no more. */
const IDLE_MS = 1000;
/** How long the statistics may take to catch up with messages just published (two collection intervals). */
const STATISTICS_CATCH_UP_MS = 10_000;
const RETURN_LANDED_MS = 5000;

const POLICY_KINDS = [
  ['policies', 'policy'],
  ['operator-policies', 'operator policy'],
] as const;

interface Policy {
  name: string;
  pattern: string;
  'apply-to'?: string;
  definition?: Record<string, unknown>;
}

/**
 * Every delivery-limit that applies or may apply to a quorum queue: the one the broker reports
 * in effect, and each policy and operator policy of the vhost whose pattern matches the name
 * (all of them, whatever their priority: the lowest wins, so a policy just set counts at once).
 */
async function limitSources(broker: Broker, vhost: string, queue: PeekedQueue): Promise<{ source: string; value: unknown }[]> {
  const sources: { source: string; value: unknown }[] = [];
  const effective = queue.effective_policy_definition?.['delivery-limit'];
  if (effective !== undefined) sources.push({ source: 'the policy in effect (delivery-limit)', value: effective });
  for (const [path, label] of POLICY_KINDS) {
    const policies = await broker.management.get<Policy[]>(apiPath(path, vhost)).catch(() => [] as Policy[]);
    for (const policy of policies) {
      const value = policy.definition?.['delivery-limit'];
      const applyTo = policy['apply-to'] ?? 'all';
      if (
        value === undefined ||
        !['all', 'queues', 'quorum_queues'].includes(applyTo) ||
        !(await policyPatternMatcher(policy.pattern))(queue.name)
      )
        continue;
      sources.push({ source: `${label} ${inQuotes(policy.name)} delivery-limit`, value });
    }
  }
  return sources;
}

/**
 * A quorum queue's delayed retry (RabbitMQ 4.3): with type "returned" or "all", a message handed
 * back with basic.nack waits before it is ready again, so a peek would take it out of the queue
 * for that long and put it back out of order.
 */
function delayedReturnsOf(queue: PeekedQueue): string | undefined {
  const fromArgument = queue.arguments?.['x-delayed-retry-type'];
  const fromPolicy = queue.effective_policy_definition?.['delayed-retry-type'];
  for (const [value, source] of [
    [fromArgument, 'queue argument x-delayed-retry-type'],
    [fromPolicy, 'the policy in effect (delayed-retry-type)'],
  ] as const) {
    if (value === 'returned' || value === 'all') return `${source} = ${value}`;
  }
  return undefined;
}

export async function planPeek(broker: Broker, vhost: string, queue: PeekedQueue): Promise<PeekPlan> {
  const version = await broker.version();
  const rules = returnRulesOf(version);
  if (queue.type !== 'quorum') return { queue, version, rules, limit: deliveryLimitOf({ version, type: queue.type, policies: [] }) };
  const policies = await limitSources(broker, vhost, queue);
  const limit = deliveryLimitOf({
    version,
    type: queue.type,
    argument: queue.arguments?.['x-delivery-limit'],
    reported: queue.delivery_limit,
    policies,
  });
  return { queue, version, rules, limit, delayedReturns: delayedReturnsOf(queue) };
}

const statistic = (stats: Record<string, unknown> | undefined, key: string): number =>
  typeof stats?.[key] === 'number' ? (stats[key] as number) : 0;

async function evidenceOf(broker: Broker, vhost: string, queue: PeekedQueue, ready: number, consumers: number): Promise<CountEvidence> {
  const nodes = await broker.management.get<unknown[]>(apiPath('nodes'), { query: { columns: 'name' } });
  const stats = queue.message_stats;
  return {
    consumers,
    nodes: nodes.length,
    statistics: stats !== undefined,
    // Until the queue's own statistics arrive (a quorum queue reports every 5 s), the live count stands in.
    messages: queue.messages ?? ready,
    ready,
    published: statistic(stats, 'publish'),
    removed: statistic(stats, 'ack') + statistic(stats, 'deliver_no_ack') + statistic(stats, 'get_no_ack'),
    redelivered: statistic(stats, 'redeliver'),
    ledger: broker.peeks.get(vhost, queue.name),
  };
}

/**
 * Whether handing every message back stays within the delivery limit. Statistics that do not yet
 * cover messages published a moment ago are given one collection interval to catch up.
 */
async function proveSafe(
  broker: Broker,
  session: AmqpSession,
  vhost: string,
  plan: PeekPlan,
): Promise<{ proof: ReturnProof; evidence: CountEvidence }> {
  const deadline = Date.now() + STATISTICS_CATCH_UP_MS;
  let queue = plan.queue;
  for (;;) {
    const live = await session.withChannel(`checking queue ${inQuotes(queue.name)}`, (channel) => channel.checkQueue(queue.name));
    const evidence = await evidenceOf(broker, vhost, queue, live.messageCount, live.consumerCount);
    const proof = proveReturnsSafe(plan.limit, evidence);
    const waiting = !proof.safe && (proof.kind === 'statistics' || proof.kind === 'coverage');
    if (!waiting || Date.now() > deadline) return { proof, evidence };
    await new Promise((resolve) => setTimeout(resolve, 500));
    queue = await broker.management.get<PeekedQueue>(apiPath('queues', vhost, queue.name));
  }
}

function refusal(plan: PeekPlan, proof: Extract<ReturnProof, { safe: false }>, evidence: CountEvidence): PeekRefused {
  const limit = plan.limit.limit as number;
  const known =
    proof.bound !== undefined
      ? `delivery counts are known to be at most ${proof.bound}`
      : `the queue counts ${evidence.redelivered} redeliveries`;
  // Where no bound on the counts is known, a higher limit proves nothing: only no limit does (4.x: -1).
  const countsUnknown = proof.kind === 'statistics' || proof.kind === 'coverage' || proof.kind === 'cluster';
  const raise = !countsUnknown
    ? `raise the limit with a policy (set_configuration kind policy, definition {"delivery-limit": ${Math.max(limit * 2, 100)}}; needs --allow-write)`
    : versionAtLeast(plan.version, '4.0')
      ? 'switch the limit off while you read it, with a policy that matches only this queue (set_configuration kind policy, definition {"delivery-limit": -1}; needs --allow-write; delete it after)'
      : undefined;
  const steps = [
    proof.kind === 'consumers' ? 'stop its consumers and try again' : undefined,
    raise,
    'take the messages off instead with consume_messages (it removes them and returns them whole; needs --allow-destructive)',
    plan.rules.tested ? 'or use RabbitMQ 4.3, where a peek does not count as a delivery' : undefined,
  ].filter(Boolean);
  return {
    plan,
    refused: {
      reason: `Not peeked, nothing was taken: on this RabbitMQ every message a peek hands back counts toward the queue's delivery limit of ${limit} (${plan.limit.from}), and ${proof.reason} (${known}).`,
      advice: `To read it: ${steps.join('; ')}.`,
    },
  };
}

/**
 * Classic queues: basic.get without ack, then one basic.nack(multiple, requeue). A classic queue
 * puts requeued messages back at their old positions, marked redelivered; if anything fails in
 * between, closing the channel returns them the same way.
 */
async function peekClassic(channel: ConfirmChannel, queue: string, window: number): Promise<Message[]> {
  const messages: GetMessage[] = [];
  try {
    while (messages.length < window) {
      const message = await channel.get(queue, { noAck: false });
      if (message === false) break;
      messages.push(message);
    }
  } finally {
    const last = messages.at(-1);
    if (last) channel.nack(last, true, true);
  }
  return messages;
}

/** Streams are never consumed destructively: read from the first offset (acks only grant credit). */
async function peekStream(channel: ConfirmChannel, queue: string, window: number): Promise<Message[]> {
  return consumeUntilIdle(channel, queue, {
    limit: window,
    firstWaitMs: IDLE_MS * 2,
    idleMs: IDLE_MS,
    ackEach: true,
    arguments: { 'x-stream-offset': 'first' },
  });
}

export function deliveryCount(message: Message): number {
  const value = message.properties.headers?.['x-delivery-count'];
  return typeof value === 'number' ? value : 0;
}

function wasReturned(message: Message): boolean {
  return message.fields.redelivered || deliveryCount(message) > 0;
}

/**
 * Quorum queues hand out returned messages before any never-delivered one, and put a batch handed
 * back behind the ones returned before. So the window is consumed, and when its last message was
 * itself returned, the rest of the returned head too (it must go back as a whole to keep the
 * order), up to the first never-delivered message: our last peek says how far the head reaches,
 * so that is usually one take. Each part is taken on its own channel with a consumer cancelled
 * once it has its share, so none can grab what another hands back; then each channel hands its
 * part back, in order, once the previous part landed: by closing (3.x) or with one basic.nack
 * before closing (4.x), whichever keeps the order on the broker (and on 4.3 does not count).
 */
async function peekQuorum(
  session: AmqpSession,
  queue: string,
  read: { window: number; headHint: number; ready: number; handBack: ReturnRules['handBack'] },
): Promise<{ messages: Message[]; touched: number; redelivered: number; headCut: boolean }> {
  const { window, headHint, ready, handBack } = read;
  const readyCount = () =>
    session.withChannel(`checking queue ${inQuotes(queue)}`, (channel) => channel.checkQueue(queue)).then((reply) => reply.messageCount);
  const landed = async (expected: number) => {
    const deadline = Date.now() + RETURN_LANDED_MS;
    while (Date.now() < deadline && (await readyCount().catch(() => expected)) < expected) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const held: { channel: ConfirmChannel; count: number }[] = [];
  const taken: Message[] = [];
  let headCut = false;
  try {
    let batch = Math.min(window, ready);
    let extra = 0;
    while (batch > 0) {
      const channel = await session.openChannel(`peeking at queue ${inQuotes(queue)}`);
      held.push({ channel, count: 0 });
      const got = await consumeUntilIdle(channel, queue, { limit: batch, firstWaitMs: IDLE_MS, idleMs: IDLE_MS });
      (held.at(-1) as { count: number }).count = got.length;
      taken.push(...got);
      const last = got.at(-1);
      if (got.length < batch || !last || !wasReturned(last) || taken.length >= ready) break;
      if (taken.length >= MAX_QUORUM_TAKE) {
        headCut = true;
        break;
      }
      extra++;
      batch = Math.min(
        extra === 1 ? Math.max(1, headHint - taken.length + 1) : Math.min(2 ** (extra - 1), QUORUM_EXTRA_MAX_BATCH),
        ready - taken.length,
        MAX_QUORUM_TAKE - taken.length,
      );
    }
  } catch (error) {
    throw session.explain(error, `peeking at queue ${inQuotes(queue)}`);
  } finally {
    let expected = ready - taken.length;
    for (const { channel, count } of held) {
      expected += count;
      if (handBack === 'nack' && count > 0) {
        // Everything this channel holds, in delivery order; closing it then returns nothing.
        try {
          channel.nackAll(true);
          await landed(expected);
        } catch {
          // The channel is gone: closing it below hands back what it held.
        }
        await session.closeChannel(channel);
      } else {
        await session.closeChannel(channel);
        if (count > 0) await landed(expected);
      }
    }
  }
  return {
    messages: taken.slice(0, window),
    touched: taken.length,
    redelivered: taken.filter((message) => message.fields.redelivered).length,
    headCut,
  };
}

/** Waits until the queue holds at least `expected` ready messages again; returns how many are missing. */
async function missingAfter(session: AmqpSession, queue: string, expected: number): Promise<number> {
  const deadline = Date.now() + RETURN_LANDED_MS;
  for (;;) {
    const ready = await session
      .withChannel(`checking queue ${inQuotes(queue)}`, (channel) => channel.checkQueue(queue))
      .then(
        (reply) => reply.messageCount,
        () => expected,
      );
    if (ready >= expected || Date.now() > deadline) return Math.max(0, expected - ready);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The first `window` messages of a queue, read the way its type allows without removing any. On a
 * queue where handing messages back counts toward a delivery limit, it takes nothing unless it has
 * proved that every message survives being handed back (delivery-limit.ts), and refuses otherwise.
 */
export async function peekQueue(broker: Broker, vhost: string, queue: PeekedQueue, window: number): Promise<Peeked | PeekRefused> {
  const plan = await planPeek(broker, vhost, queue);
  const session = broker.amqp.forVhost(vhost);
  const context = `peeking at queue ${inQuotes(queue.name)}`;
  if (queue.type === 'stream') {
    const before = await session.withChannel(context, (channel) => channel.checkQueue(queue.name));
    const messages = await session.withOwnChannel(context, (channel) => peekStream(channel, queue.name, window));
    return { plan, messages, touched: 0, missing: 0, headCut: false, ready: before.messageCount, consumers: before.consumerCount };
  }
  if (queue.type !== 'quorum') {
    const before = await session.withChannel(context, (channel) => channel.checkQueue(queue.name));
    const messages = await session.withOwnChannel(context, (channel) => peekClassic(channel, queue.name, window));
    const missing = before.consumerCount > 0 ? 0 : await missingAfter(session, queue.name, before.messageCount);
    return {
      plan,
      messages,
      touched: messages.length,
      missing,
      headCut: false,
      ready: before.messageCount,
      consumers: before.consumerCount,
    };
  }
  // A consumer on a quorum queue without its majority gets nothing, and what it took is counted as
  // a failed delivery when the nodes are back (a limit of 0 dropped every message): take nothing.
  const stopped = withoutMajority(queue, vhost);
  if (stopped) {
    return {
      plan,
      refused: {
        reason: `Not peeked, nothing was taken: ${stopped}.`,
        advice: 'Start the down nodes, then read it again.',
      },
    };
  }
  if (plan.delayedReturns) {
    return {
      plan,
      refused: {
        reason: `Not peeked, nothing was taken: queue ${inQuotes(queue.name)} delays messages handed back to it (${plan.delayedReturns}), so a peek would take them out of the queue for the delay and put them back out of order.`,
        advice:
          'To read it: take the messages off with consume_messages (it removes them and returns them whole; needs --allow-destructive), or set the delayed retry type to "failed" or "disabled" with a policy (needs --allow-write).',
      },
    };
  }
  // Statistics for the ledger: from the proof where there is a limit to prove against, else as the queue reported them.
  let counters = { redelivered: statistic(queue.message_stats, 'redeliver'), published: statistic(queue.message_stats, 'publish') };
  if (plan.limit.returnsCount && plan.limit.limit !== null) {
    const { proof, evidence } = await proveSafe(broker, session, vhost, plan);
    if (!proof.safe) return refusal(plan, proof, evidence);
    counters = evidence;
  }
  const before = await session.withChannel(context, (channel) => channel.checkQueue(queue.name));
  const ledger = broker.peeks.get(vhost, queue.name);
  const read = await peekQuorum(session, queue.name, {
    window,
    headHint: ledger?.lastReturned ?? 0,
    ready: before.messageCount,
    handBack: plan.rules.handBack,
  });
  const missing = before.consumerCount > 0 ? 0 : await missingAfter(session, queue.name, before.messageCount);
  const readyAfter =
    read.messages.length < window
      ? await session
          .withChannel(context, (channel) => channel.checkQueue(queue.name))
          .then((after) => after.messageCount)
          .catch(() => undefined)
      : undefined;
  const listedReady =
    read.messages.length < window && queue.messages !== undefined
      ? Math.max(0, queue.messages - (queue.messages_unacknowledged ?? 0))
      : undefined;
  broker.peeks.record(vhost, queue.name, {
    baseline: counters.redelivered,
    published: counters.published,
    returned: read.touched,
    redelivered: read.redelivered,
  });
  return {
    plan,
    messages: read.messages,
    touched: read.touched,
    missing,
    headCut: read.headCut,
    ready: before.messageCount,
    consumers: before.consumerCount,
    ...(readyAfter !== undefined ? { readyAfter } : {}),
    ...(listedReady !== undefined ? { listedReady } : {}),
  };
}
