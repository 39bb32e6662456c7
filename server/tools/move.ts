import type { ConfirmChannel, Message, Options } from 'amqplib';
import { z } from 'zod';
import { BrokerError } from '../broker/broker-errors.js';
import type { Broker } from '../broker/broker.js';
import { consumeUntilIdle, waitUntilSettled } from '../broker/consume.js';
import { type Outcome, publishWithConfirms } from '../broker/publish.js';
import { withoutMajority } from '../broker/quorum-majority.js';
import { lastDeath } from './dead-letters.js';
import { orIfNotFound } from './not-found.js';
import { plural } from './output.js';
import { type QueueInfo, getQueueInfo, liveQueueCounts } from './queues.js';
import { judgeDeliveryInto } from './scope-effects.js';
import { confirm, objectName, vhost } from './schemas.js';
import { type ToolContext, defineTool, destroys } from './tool.js';
import { inQuotes } from '../broker/one-line.js';

const MAX_MOVE = 100_000;
/** Messages taken, published and confirmed together; progress is reported after each batch. */
const BATCH = 1000;
/** Large messages make smaller batches: a batch is held in memory until it is confirmed. */
const BATCH_BYTES = 32 * 1024 * 1024;
/** How long a batch waits for one more message before deciding other consumers took the rest. */
const IDLE_MS = 1000;
const CONFIRM_TIMEOUT_MS = 30_000;
const SETTLE_TIMEOUT_MS = 10_000;

/** Where a message goes, or why it stays in the source queue. */
type Destination = { queue: string } | { stays: string };

/**
 * Headers a copy must not carry: the broker would also deliver it to the queues a CC header
 * names, and x-delivery-count counted deliveries from the old queue.
 */
const DROPPED_HEADERS = new Set(['CC', 'BCC', 'x-delivery-count']);

function publishOptions(message: Message): Options.Publish {
  const { headers, ...properties } = message.properties;
  const kept = Object.fromEntries(Object.entries(headers ?? {}).filter(([key]) => !DROPPED_HEADERS.has(key)));
  return { ...properties, headers: kept, mandatory: true };
}

type SendStatus = Outcome['status'];

/**
 * Publishes through the default exchange (mandatory) and waits for every confirm. A returned
 * message was confirmed yet stored nowhere: its queue vanished, so every send to that queue in
 * the batch counts as failed and stays in the source (the ones routed before went with the queue).
 */
async function publishBatch(channel: ConfirmChannel, sends: { message: Message; queue: string }[]): Promise<SendStatus[]> {
  const { outcomes } = await publishWithConfirms(
    channel,
    sends.map(({ message, queue }) => ({ exchange: '', routingKey: queue, content: message.content, options: publishOptions(message) })),
    { timeoutMs: CONFIRM_TIMEOUT_MS },
  );
  const unroutable = new Set(sends.filter((_, index) => outcomes[index]?.status === 'returned').map((send) => send.queue));
  return outcomes.map((outcome, index) =>
    outcome.status === 'confirmed' && unroutable.has(sends[index]?.queue ?? '') ? 'returned' : outcome.status,
  );
}

interface MoveReport {
  taken: number;
  moved: number;
  /** Moved messages per destination queue. */
  to: Map<string, number>;
  /** Messages left in the source queue, by reason. */
  stayed: Map<string, number>;
  failure?: string;
  /** Copies confirmed at the destination whose originals went back to the source (at-least-once). */
  duplicates?: number;
  /** Copies the destination may hold although their originals went back (sent, not confirmed). */
  possibleDuplicates?: number;
  /** Set when a quorum source had not applied every ack when the move ended. */
  unsettled?: boolean;
}

function add(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function failureOf(status: SendStatus, queue: string): string {
  if (status === 'returned') return `queue ${inQuotes(queue)} no longer exists (the broker returned the messages sent to it)`;
  if (status === 'nacked') return `queue ${inQuotes(queue)} refused messages (nack), e.g. because it is full with overflow reject-publish`;
  return `the broker did not confirm messages sent to ${inQuotes(queue)} (they stay in the source and may also have reached ${inQuotes(queue)})`;
}

/**
 * Batch by batch: take, publish each to its destination, wait for the confirms, and only then
 * ack each confirmed one at the source. Whatever is not acked goes back to the head of the source
 * in order when the channel closes, so a failure anywhere loses nothing and keeps the order.
 */
async function moveAll(
  channel: ConfirmChannel,
  source: { name: string; quorum: boolean; averageBytes: number },
  total: number,
  route: (message: Message) => Promise<Destination>,
  context: Pick<ToolContext, 'progress' | 'signal'>,
  explain: (error: unknown) => BrokerError,
): Promise<MoveReport> {
  const from = source.name;
  const report: MoveReport = { taken: 0, moved: 0, to: new Map(), stayed: new Map() };
  let channelError: unknown;
  let closed = false;
  channel.on('error', (error: unknown) => {
    channelError = error;
  });
  channel.on('close', () => {
    closed = true;
  });
  // Once a message below stays unacked on this channel, a multiple ack would take it too.
  let holding = false;
  /** Messages acked whose ack the broker may not have applied yet: after a connection loss they may be back in the source. */
  let unproven = 0;
  let otherConsumers = 0;
  let averageBytes = source.averageBytes;
  try {
    otherConsumers = (await channel.checkQueue(from)).consumerCount;
    while (report.taken < total) {
      if (context.signal.aborted) {
        report.failure = 'the call was cancelled';
        break;
      }
      const want = Math.min(BATCH, total - report.taken, Math.max(1, Math.floor(BATCH_BYTES / Math.max(averageBytes, 1))));
      const proving = unproven;
      const batch = await consumeUntilIdle(channel, from, { limit: want, firstWaitMs: IDLE_MS, idleMs: IDLE_MS });
      // The broker answered basic.consume after the acks before it: a classic queue has them.
      if (!source.quorum) unproven -= proving;
      report.taken += batch.length;
      if (batch.length > 0) averageBytes = batch.reduce((sum, message) => sum + message.content.length, 0) / batch.length;
      const destinations: Destination[] = [];
      for (const message of batch) destinations.push(await route(message));
      const sends = batch.flatMap((message, index) => {
        const destination = destinations[index] as Destination;
        return 'queue' in destination ? [{ message, queue: destination.queue }] : [];
      });
      const statuses = sends.length > 0 ? await publishBatch(channel, sends) : [];
      if (closed) {
        report.duplicates = statuses.filter((status) => status === 'confirmed').length;
        report.possibleDuplicates = statuses.filter((status) => status === 'unconfirmed').length + unproven;
        report.failure = channelError ? explain(channelError).message : 'the channel closed';
        break;
      }
      let covered: Message | undefined;
      let held = 0;
      let sent = 0;
      for (const [index, message] of batch.entries()) {
        const destination = destinations[index] as Destination;
        if ('stays' in destination) {
          add(report.stayed, destination.stays);
          held++;
          continue;
        }
        if (statuses[sent++] !== 'confirmed') {
          held++;
          continue;
        }
        if (!holding && held === 0) covered = message;
        else channel.ack(message);
        report.moved++;
        add(report.to, destination.queue);
      }
      if (covered) channel.ack(covered, true);
      unproven += batch.length - held;
      if (held > 0) holding = true;
      // A quorum queue may still drop acks the channel has not passed on: wait until it applied them.
      if (source.quorum && !holding && (await waitUntilSettled(channel, from, otherConsumers, SETTLE_TIMEOUT_MS))) unproven = 0;
      const failed = statuses.findIndex((status) => status !== 'confirmed');
      if (failed !== -1) {
        report.failure = failureOf(statuses[failed] as SendStatus, sends[failed]?.queue ?? '');
        break;
      }
      await context.progress(report.taken, total, `moved ${report.moved} of ${total}`);
      if (batch.length < want) break;
    }
  } catch (error) {
    report.failure = explain(channelError ?? error).message;
    if (closed) report.possibleDuplicates = (report.possibleDuplicates ?? 0) + unproven;
  }
  if (!closed) {
    try {
      // What was taken but not moved goes back now, after the acks and in order (as a channel
      // close would put it back), so that our consumers hold nothing and the count below can tell.
      channel.nackAll(true);
      if (source.quorum) report.unsettled = !(await waitUntilSettled(channel, from, otherConsumers, SETTLE_TIMEOUT_MS));
    } catch {
      report.unsettled = source.quorum;
    }
  }
  return report;
}

/** Each message back to the queue it was last dead-lettered from, when that queue exists and is in scope. */
function toSource(broker: Broker, vhostName: string, from: string): (message: Message) => Promise<Destination> {
  const exists = new Map<string, Promise<boolean>>();
  const intoHidden = new Map<string, Promise<string | undefined>>();
  return async (message) => {
    const death = lastDeath(message);
    if (!death) return { stays: 'without an x-death header' };
    const queue = death.queue;
    if (queue === from) return { stays: `dead-lettered from ${inQuotes(from)} itself` };
    try {
      broker.scope.checkQueue(vhostName, queue);
    } catch {
      return { stays: `from ${inQuotes(queue)}, which is outside this server's scope` };
    }
    let judged = intoHidden.get(queue);
    if (!judged) {
      judged = judgeDeliveryInto(broker, vhostName, queue);
      intoHidden.set(queue, judged);
    }
    if (await judged) return { stays: `from ${inQuotes(queue)}, whose dead letters reach queues outside this server's scope` };
    let known = exists.get(queue);
    if (!known) {
      known = orIfNotFound(
        liveQueueCounts(broker, vhostName, queue).then(() => true),
        false,
      );
      exists.set(queue, known);
    }
    return (await known) ? { queue } : { stays: `from ${inQuotes(queue)}, which no longer exists` };
  };
}

/**
 * The quorum queues among `before` whose leader is another node now: the move carried on through
 * an election (a node stopped or restarted), which the model should hear about.
 */
async function leaderChanges(broker: Broker, vhostName: string, before: (QueueInfo | undefined)[]): Promise<string[]> {
  const changes = await Promise.all(
    before.map(async (queue) => {
      if (!queue?.leader) return undefined;
      const now = await getQueueInfo(broker, vhostName, queue.name).catch(() => undefined);
      return now?.leader && now.leader !== queue.leader ? `${inQuotes(queue.name)} ${queue.leader} → ${now.leader}` : undefined;
    }),
  );
  const changed = changes.filter((change): change is string => change !== undefined);
  if (changed.length === 0) return [];
  return [
    `The leader of ${changed.length === 1 ? 'a queue' : 'both queues'} changed during the move (${changed.join(', ')}), as when a node stops or restarts; every message still left the source only after its copy was confirmed. get_overview shows the nodes.`,
  ];
}

function counted(counts: Map<string, number>, label: (key: string) => string): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20)
    .map(([key, count]) => `${count} ${label(key)}`)
    .join(', ');
}

export const moveMessages = defineTool({
  name: 'move_messages',
  title: 'Move messages',
  group: 'messages',
  description: 'Move messages in order to another queue, or back to their dead-letter source.',
  input: z.strictObject({
    vhost,
    from: objectName('from').describe('Source queue'),
    to: objectName('to').optional().describe('Target queue'),
    to_source: z.boolean().optional().describe('Each to its x-death queue'),
    count: z.number().int().min(1).max(MAX_MOVE).describe(`Up to ${MAX_MOVE}`),
    confirm,
  }),
  annotations: destroys(false),
  async handler(args, { broker, confirm, progress, signal }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const to = args.to;
    const toSourceQueues = args.to_source === true;
    if (to !== undefined && toSourceQueues) return { text: 'Give either to (a queue) or to_source: true, not both.', isError: true };
    if (to === undefined && !toSourceQueues) {
      return {
        text: 'Say where to move the messages: to (a queue name), or to_source: true to send each back to the queue it was dead-lettered from.',
        isError: true,
      };
    }
    if (to === args.from) return { text: `from and to are the same queue ${inQuotes(args.from)}: nothing to move.`, isError: true };
    const source = await getQueueInfo(broker, vhostName, args.from);
    if (source.type === 'stream') {
      return {
        text: `Queue ${inQuotes(args.from)} is a stream: its messages cannot be taken out of it, only read. read_stream reads them; publish_messages can copy them.`,
        isError: true,
      };
    }
    const target = to !== undefined ? await getQueueInfo(broker, vhostName, to) : undefined;
    // A consumer on such a queue waits about a minute, then the broker closes the whole connection.
    const stopped = [source, target].flatMap((queue) => (queue ? [withoutMajority(queue, vhostName)] : [])).find(Boolean);
    if (stopped) return { text: `Nothing was moved: ${stopped}.`, isError: true };
    const intoHidden = to !== undefined ? await judgeDeliveryInto(broker, vhostName, to) : undefined;
    if (intoHidden) return { text: `Nothing was moved: ${intoHidden}.`, isError: true };
    const { messages: ready } = await liveQueueCounts(broker, vhostName, args.from);
    const total = Math.min(args.count, ready);
    const where =
      to !== undefined ? `to queue ${inQuotes(to)}` : 'each to the queue it was dead-lettered from (x-death; messages without one stay)';
    const declined = await confirm(
      args.confirm,
      `would move ${to === undefined ? 'up to ' : ''}${plural(total, 'message')} (the oldest of ${ready} ready) from queue ${inQuotes(args.from)} ${where} in vhost ${inQuotes(vhostName)}, in order`,
    );
    if (declined) return declined;
    if (total === 0) return `Queue ${inQuotes(args.from)} in vhost ${inQuotes(vhostName)} has no ready messages; nothing was moved.`;

    // The management statistics lag, but are good enough to size the first batch.
    const averageBytes = (source.message_bytes ?? 0) / Math.max(source.messages ?? 0, 1);
    const session = broker.amqp.forVhost(vhostName);
    session.assertNotBlocked();
    const context = `moving messages from queue ${inQuotes(args.from)}`;
    const route = to !== undefined ? () => Promise.resolve({ queue: to }) : toSource(broker, vhostName, args.from);
    const report = await session.withOwnChannel(context, (channel) =>
      moveAll(channel, { name: args.from, quorum: source.type === 'quorum', averageBytes }, total, route, { progress, signal }, (error) =>
        session.explain(error, context),
      ),
    );

    const destinations =
      to !== undefined
        ? `queue ${inQuotes(to)}`
        : `their source queues (${counted(report.to, (queue) => `to ${inQuotes(queue)}`) || 'none'})`;
    const both = [
      report.duplicates
        ? `${plural(report.duplicates, 'message')} of the last batch reached ${destinations} but went back to ${inQuotes(args.from)} too, so they are in both`
        : '',
      report.possibleDuplicates
        ? `up to ${plural(report.possibleDuplicates, 'more message')} may be in both (sent but not confirmed, or acked just before the connection dropped)`
        : '',
    ].filter(Boolean);
    const lines = [
      report.failure
        ? `Stopped after moving ${report.moved} of ${plural(total, 'message')} from queue ${inQuotes(args.from)} to ${destinations} in vhost ${inQuotes(vhostName)}: ${report.failure}. Every message not moved is still in ${inQuotes(args.from)}, in order${both.length > 0 ? `; ${both.join('; ')}` : ''}.`
        : `Moved ${plural(report.moved, 'message')} from queue ${inQuotes(args.from)} to ${destinations} in vhost ${inQuotes(vhostName)}, in order; each left ${inQuotes(args.from)} only after the broker confirmed its copy.`,
    ];
    if (report.unsettled) {
      lines.push(
        `The broker had not applied every removal from ${inQuotes(args.from)} when the move ended: some moved messages may be back there too.`,
      );
    }
    lines.push(...(await leaderChanges(broker, vhostName, [source, target])));
    if (report.stayed.size > 0) lines.push(`Left in ${inQuotes(args.from)}: ${counted(report.stayed, (reason) => reason)}.`);
    if (!report.failure && report.taken < total) {
      lines.push(
        `Only ${report.taken} of the ${total} messages expected arrived: other consumers of ${inQuotes(args.from)} took the rest.`,
      );
    }
    return { text: lines.join('\n'), isError: report.failure !== undefined };
  },
});
