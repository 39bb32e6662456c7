import type { ConfirmChannel, GetMessage, Message, MessageProperties, Options } from 'amqplib';
import { z } from 'zod';
import { BrokerError, fromAmqpError } from '../broker/broker-errors.js';
import type { AmqpSession } from '../broker/amqp-session.js';
import { type Broker, versionAtLeast } from '../broker/broker.js';
import { MAX_OUTPUT_CHARS, plural, quoted, record } from './output.js';
import { deliveryLimit, getQueueInfo, liveQueueCounts, type QueueInfo } from './queues.js';
import { advertiseAs } from './json-schema.js';
import { confirm, exchangeName, objectName, routingKey, shortString, table as argumentTable, vhost } from './schemas.js';
import { READ_ONLY, defineTool, destroys, writes } from './tool.js';

const MAX_PEEK_WINDOW = 5000;
/** How long a consumer waits for one more message before deciding the queue has no more. */
const STREAM_IDLE_MS = 1000;
/** A quorum queue's earlier-returned head is read further in batches of this size, up to the cap. */
const QUORUM_EXTRA_BATCH = 500;
const MAX_QUORUM_TAKE = 20_000;

const maxBody = z.number().int().min(0).max(100_000).optional();

/** A body as text when it is printable UTF-8, else base64; cut to `limit` characters. */
export function renderBody(content: Buffer, limit: number): string {
  const text = content.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(content) && !/[\u0000-\u0008\u000E-\u001F\u007F]/.test(text);
  const shown = printable ? text : content.toString('base64');
  const encoding = printable ? 'utf-8' : 'base64';
  const cut = shown.length > limit ? `${shown.slice(0, limit)}… (${shown.length - limit} more chars)` : shown;
  return `body (${content.length} bytes, ${encoding}): ${cut}`;
}

const PROPERTY_NAMES: Record<string, string> = {
  contentType: 'content_type',
  contentEncoding: 'content_encoding',
  correlationId: 'correlation_id',
  replyTo: 'reply_to',
  messageId: 'message_id',
  userId: 'user_id',
  appId: 'app_id',
  clusterId: 'cluster_id',
};

/** Properties under the names publish_messages takes, so a peeked message can be republished as is. */
function propertiesOf(properties: MessageProperties): Record<string, unknown> {
  const { headers, deliveryMode, ...rest } = properties;
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined && value !== null) shown[PROPERTY_NAMES[key] ?? key] = value;
  if (deliveryMode !== undefined) shown.persistent = deliveryMode === 2;
  if (headers && Object.keys(headers).length > 0) shown.headers = headers;
  return shown;
}

export function deliveryCount(message: Message): number {
  const value = message.properties.headers?.['x-delivery-count'];
  return typeof value === 'number' ? value : 0;
}

function renderMessage(message: Message, position: number, bodyLimit: number, extra: Record<string, unknown> = {}): string {
  const fields = message.fields as GetMessage['fields'];
  return `#${position} ${record({
    exchange: quoted(fields.exchange),
    routing_key: fields.routingKey,
    redelivered: fields.redelivered,
    ...extra,
    properties: propertiesOf(message.properties),
  }).replace(/\n/g, ', ')}\n${renderBody(message.content, bodyLimit)}`;
}

/** Adds rendered messages while they fit under the output cap; says where to continue. */
function renderMessages(
  messages: Message[],
  firstPosition: number,
  bodyLimit: number,
  extras: (m: Message) => Record<string, unknown>,
): { text: string; shown: number } {
  const parts: string[] = [];
  let size = 0;
  for (const [index, message] of messages.entries()) {
    const part = renderMessage(message, firstPosition + index, bodyLimit, extras(message));
    if (size + part.length > MAX_OUTPUT_CHARS - 1000 && parts.length > 0) break;
    parts.push(part);
    size += part.length + 1;
  }
  return { text: parts.join('\n'), shown: parts.length };
}

interface PeekPlan {
  queue: QueueInfo;
  /** Quorum queues before RabbitMQ 4.3 count every return as a delivery attempt. */
  returnsCount: boolean;
  limit?: number;
}

async function planPeek(broker: Broker, vhostName: string, name: string): Promise<PeekPlan> {
  const [queue, version] = await Promise.all([getQueueInfo(broker, vhostName, name), broker.version()]);
  if (queue.type !== 'quorum') return { queue, returnsCount: false };
  const configured = deliveryLimit(queue);
  const limit = configured !== undefined ? (configured < 0 ? undefined : configured) : versionAtLeast(version, '4.0') ? 20 : undefined;
  return { queue, returnsCount: !versionAtLeast(version, '4.3'), limit };
}

/**
 * Classic queues: basic.get without ack, then one basic.nack(multiple, requeue). A classic queue
 * puts requeued messages back at their old positions, so the order is unchanged. If anything
 * fails in between, closing the channel returns them the same way.
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

function wasReturned(message: Message): boolean {
  return message.fields.redelivered || deliveryCount(message) > 0;
}

/**
 * Consumes up to `limit` messages on a channel (prefetch = limit), then cancels the consumer so
 * it takes nothing more; the messages stay unacked until the channel closes.
 */
async function takeByConsuming(channel: ConfirmChannel, queue: string, limit: number, expected: number): Promise<Message[]> {
  const taken: Message[] = [];
  if (expected <= 0) return taken;
  await channel.prefetch(limit);
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let idle = setTimeout(finish, STREAM_IDLE_MS);
  const { consumerTag } = await channel.consume(
    queue,
    (message) => {
      if (message === null) return finish();
      taken.push(message);
      clearTimeout(idle);
      if (taken.length >= Math.min(limit, expected)) return finish();
      idle = setTimeout(finish, STREAM_IDLE_MS);
    },
    { noAck: false },
  );
  await done;
  clearTimeout(idle);
  await channel.cancel(consumerTag);
  return taken;
}

/**
 * Quorum queues. basic.nack puts messages at the back on RabbitMQ 3.x, and returns of
 * basic.get messages come back in no particular order, but when a consumer's channel closes its
 * unacked messages return sorted, behind the messages returned earlier. So: consume the window
 * (and the rest of any earlier-returned head, which must move as a whole) on as many channels as
 * it takes, cancelling each consumer once it has its share so that none can grab what another
 * hands back, then close the channels in order, each after the previous one's return landed.
 */
async function peekQuorum(session: AmqpSession, queue: string, window: number): Promise<Message[]> {
  const readyCount = () =>
    session.withChannel(`checking queue '${queue}'`, (channel) => channel.checkQueue(queue)).then((r) => r.messageCount);
  const ready = await readyCount();
  const held: { channel: ConfirmChannel; count: number }[] = [];
  const taken: Message[] = [];
  try {
    let batch = window;
    while (taken.length < MAX_QUORUM_TAKE) {
      const channel = await session.openChannel(`peeking at queue '${queue}'`);
      const got = await takeByConsuming(channel, queue, batch, ready - taken.length);
      held.push({ channel, count: got.length });
      taken.push(...got);
      const last = got.at(-1);
      if (got.length < batch || !last || !wasReturned(last) || taken.length >= ready) break;
      batch = QUORUM_EXTRA_BATCH;
    }
  } catch (error) {
    throw session.explain(error, `peeking at queue '${queue}'`);
  } finally {
    let expected = ready - taken.length;
    for (const { channel, count } of held) {
      await session.closeChannel(channel);
      expected += count;
      const deadline = Date.now() + 5000;
      while (count > 0 && Date.now() < deadline && (await readyCount().catch(() => expected)) < expected) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  }
  return taken;
}

/** Streams are never consumed destructively: read from the first offset and skip ahead. */
async function peekStream(channel: ConfirmChannel, queue: string, window: number): Promise<Message[]> {
  const messages: Message[] = [];
  await channel.prefetch(Math.min(window, 1000));
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let idle = setTimeout(finish, STREAM_IDLE_MS * 2);
  const consumer = await channel.consume(
    queue,
    (message) => {
      if (message === null) return finish();
      if (messages.length < window) messages.push(message);
      channel.ack(message);
      clearTimeout(idle);
      if (messages.length >= window) finish();
      else idle = setTimeout(finish, STREAM_IDLE_MS);
    },
    { noAck: false, arguments: { 'x-stream-offset': 'first' } },
  );
  await done;
  clearTimeout(idle);
  await channel.cancel(consumer.consumerTag).catch(() => undefined);
  return messages;
}

/** The first `window` messages of any queue, read the way its type allows without changing it. */
export async function peekQueue(
  broker: Broker,
  vhostName: string,
  name: string,
  window: number,
): Promise<{ plan: PeekPlan; messages: Message[] }> {
  const plan = await planPeek(broker, vhostName, name);
  const session = broker.amqp.forVhost(vhostName);
  const messages =
    plan.queue.type === 'quorum'
      ? await peekQuorum(session, name, window)
      : await session.withOwnChannel<Message[]>(`peeking at queue '${name}'`, (channel) =>
          plan.queue.type === 'stream' ? peekStream(channel, name, window) : peekClassic(channel, name, window),
        );
  return { plan, messages };
}

export const peekMessages = defineTool({
  name: 'peek_messages',
  group: 'messages',
  description: 'Read messages without removing them, in order: count (default 10, max 100) from offset; max_body: chars per body (1000).',
  input: z.strictObject({
    vhost,
    queue: objectName('queue name'),
    count: z.number().int().min(1).max(100).optional(),
    offset: z
      .number()
      .int()
      .min(0)
      .max(MAX_PEEK_WINDOW - 1)
      .optional(),
    max_body: maxBody,
  }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const count = args.count ?? 10;
    const offset = args.offset ?? 0;
    const window = Math.min(offset + count, MAX_PEEK_WINDOW);
    const plan = await planPeek(broker, vhostName, args.queue);
    const session = broker.amqp.forVhost(vhostName);
    const context = `peeking at queue '${args.queue}'`;
    const read =
      plan.queue.type === 'quorum'
        ? await peekQuorum(session, args.queue, window)
        : await session.withOwnChannel<Message[]>(context, (channel) =>
            plan.queue.type === 'stream' ? peekStream(channel, args.queue, window) : peekClassic(channel, args.queue, window),
          );
    const page = read.slice(offset, offset + count);
    const notes: string[] = [];
    if (plan.queue.type === 'quorum' && plan.returnsCount) {
      const atRisk = read.filter((m) => plan.limit !== undefined && deliveryCount(m) + 1 >= plan.limit).length;
      const lost = read.filter((m) => plan.limit !== undefined && deliveryCount(m) >= plan.limit).length;
      notes.push(
        `quorum queue on RabbitMQ before 4.3: peeking counted as a delivery, so the ${plural(read.length, 'message')} read now show x-delivery-count one higher${
          plan.limit !== undefined ? ` (delivery-limit ${plan.limit})` : ' (no delivery-limit is set, so nothing is dropped)'
        }`,
      );
      if (lost > 0)
        notes.push(
          `WARNING: ${plural(lost, 'message')} had reached the delivery limit and were dead-lettered or dropped by the broker on return`,
        );
      else if (atRisk > 0)
        notes.push(
          `WARNING: ${plural(atRisk, 'message')} reached the delivery limit: peeking them again makes RabbitMQ dead-letter or drop them`,
        );
    }
    if ((plan.queue.consumers ?? 0) > 0 && plan.queue.type !== 'stream') {
      notes.push(
        `${plural(plan.queue.consumers ?? 0, 'consumer')} compete for messages, so this view can skip some and consumers may receive these next`,
      );
    }
    const noteText = notes.length > 0 ? `\nnotes: ${notes.join('; ')}` : '';
    if (page.length === 0) {
      return `Queue '${args.queue}' in vhost '${vhostName}' has ${read.length === 0 ? 'no ready messages' : `only ${plural(read.length, 'ready message')}, none at offset ${offset}`}.${noteText}`;
    }
    const rendered = renderMessages(page, offset + 1, args.max_body ?? 1000, (m) =>
      plan.queue.type === 'quorum'
        ? { delivery_count: deliveryCount(m) }
        : plan.queue.type === 'stream'
          ? { stream_offset: m.properties.headers?.['x-stream-offset'] }
          : {},
    );
    const next = offset + rendered.shown;
    const more = read.length > next || read.length >= window ? ` Next: peek_messages with offset=${next}.` : '';
    const head = `Peeked ${rendered.shown} message(s) at positions ${offset + 1}-${offset + rendered.shown} of queue '${args.queue}' (${plan.queue.type ?? 'classic'}) in vhost '${vhostName}'; nothing was removed.${more}`;
    return `${head}${noteText}\n${rendered.text}`;
  },
});

const properties = z.strictObject({
  content_type: shortString.optional(),
  content_encoding: shortString.optional(),
  correlation_id: shortString.optional(),
  reply_to: shortString.optional(),
  expiration: z.string().regex(/^\d+$/, 'expiration is a TTL in milliseconds, as a string of digits').optional(),
  message_id: shortString.optional(),
  timestamp: z.number().int().min(0).optional(),
  type: shortString.optional(),
  app_id: shortString.optional(),
  priority: z.number().int().min(0).max(255).optional(),
  persistent: z.boolean().optional(),
});

const outgoing = z.strictObject({
  body: z.string().max(16 * 1024 * 1024),
  routing_key: routingKey.optional(),
  headers: argumentTable.optional(),
  properties: advertiseAs(properties.optional(), {
    type: 'object',
    description:
      'content_type, content_encoding, correlation_id, reply_to, message_id, type, app_id, expiration (ms, string), timestamp (s), priority, persistent (default true)',
  }),
});

function publishOptions(message: z.output<typeof outgoing>, mandatory: boolean): Options.Publish {
  const p = message.properties ?? {};
  return {
    mandatory,
    persistent: p.persistent ?? true,
    headers: message.headers,
    contentType: p.content_type,
    contentEncoding: p.content_encoding,
    correlationId: p.correlation_id,
    replyTo: p.reply_to,
    expiration: p.expiration,
    messageId: p.message_id,
    timestamp: p.timestamp,
    type: p.type,
    appId: p.app_id,
    priority: p.priority,
  };
}

/** Waits until the channel's write buffer empties, or the channel closes (then confirms fail). */
function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}

interface PublishReport {
  confirmed: number;
  rejected: number[];
  returned: { index: number; routingKey: string; reason: string }[];
  /** Messages whose fate is unknown because the channel closed before the broker confirmed them. */
  unconfirmed: number;
}

async function publishBatch(
  channel: ConfirmChannel,
  lost: () => BrokerError,
  exchange: string,
  batch: { routingKey: string; content: Buffer; options: Options.Publish }[],
  progress: (done: number) => Promise<void>,
): Promise<PublishReport> {
  const report: PublishReport = { confirmed: 0, rejected: [], returned: [], unconfirmed: 0 };
  // The broker returns unroutable messages in publish order, each before its confirm, so one
  // forward-moving cursor pairs every returned message with its index in the batch.
  let cursor = 0;
  const onReturn = (message: Message) => {
    for (; cursor < batch.length; cursor++) {
      const candidate = batch[cursor] as (typeof batch)[number];
      if (candidate.routingKey === message.fields.routingKey && candidate.content.equals(message.content)) {
        report.returned.push({
          index: cursor,
          routingKey: candidate.routingKey,
          reason: (message.fields as { replyText?: string }).replyText ?? 'NO_ROUTE',
        });
        cursor++;
        return;
      }
    }
  };
  let channelError: unknown;
  const onError = (error: unknown) => {
    channelError = error;
  };
  channel.on('return', onReturn);
  channel.on('error', onError);
  try {
    const confirmations: Promise<void>[] = [];
    for (const [index, message] of batch.entries()) {
      let accepted = true;
      confirmations.push(
        new Promise<void>((resolve) => {
          accepted = channel.publish(exchange, message.routingKey, message.content, message.options, (error: unknown) => {
            if (!error) report.confirmed++;
            else if ((error as Error).message === 'message nacked') report.rejected.push(index);
            else report.unconfirmed++;
            resolve();
          });
        }),
      );
      if (!accepted) await drained(channel);
      if ((index + 1) % 1000 === 0) await progress(index + 1);
    }
    await Promise.all(confirmations);
  } finally {
    channel.off('return', onReturn);
    channel.off('error', onError);
  }
  if (channelError || report.unconfirmed > 0) {
    const cause = channelError ? fromAmqpError(channelError, 'publishing') : lost();
    throw new BrokerError(
      cause.kind,
      `${cause.message} (${report.confirmed} of ${batch.length} messages were confirmed before the channel closed)`,
    );
  }
  return report;
}

export const publishMessages = defineTool({
  name: 'publish_messages',
  group: 'messages',
  description: 'Publish 1-10000 messages with confirms, reporting unroutable ones; exchange "" (default) routes to queue routing_key.',
  input: z.strictObject({
    vhost,
    exchange: exchangeName.optional(),
    routing_key: routingKey.optional(),
    messages: z.array(outgoing).min(1).max(10_000),
    encoding: z.enum(['utf8', 'base64']).optional(),
    mandatory: z.boolean().optional(),
  }),
  annotations: writes(false),
  async handler(args, { broker, progress }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const exchange = args.exchange ?? '';
    const mandatory = args.mandatory ?? true;
    const encoding = args.encoding ?? 'utf8';
    const batch = args.messages.map((message) => ({
      routingKey: message.routing_key ?? args.routing_key ?? '',
      content: Buffer.from(message.body, encoding),
      options: publishOptions(message, mandatory),
    }));
    if (encoding === 'base64') {
      const bad = args.messages.findIndex(
        (m) => Buffer.from(m.body, 'base64').toString('base64').replace(/=+$/, '') !== m.body.replace(/=+$/, ''),
      );
      if (bad !== -1) return { text: `messages[${bad}].body is not valid base64 (or use encoding utf8).`, isError: true };
    }
    const session = broker.amqp.forVhost(vhostName);
    session.assertNotBlocked();
    let report: PublishReport;
    try {
      const context = `publishing to exchange ${quoted(exchange)}`;
      report = await session.withChannel(context, (channel) =>
        publishBatch(
          channel,
          () => session.connectionLost(context),
          exchange,
          batch,
          (done) => progress(done, batch.length, `published ${done} of ${batch.length}`),
        ),
      );
    } catch (error) {
      if (error instanceof BrokerError && error.kind === 'not_found') {
        throw new BrokerError(
          'not_found',
          `exchange ${quoted(exchange)} not found in vhost '${vhostName}'; nothing was routed (list_exchanges shows what exists)`,
        );
      }
      throw error;
    }
    const target = `exchange ${quoted(exchange)} in vhost '${vhostName}'`;
    const lines = [
      `Published ${plural(batch.length, 'message')} to ${target}: ${report.confirmed - report.returned.length} routed and confirmed, ${report.returned.length} unroutable, ${report.rejected.length} rejected.`,
    ];
    if (report.returned.length > 0) {
      const listed = report.returned.slice(0, 20).map((r) => `#${r.index} key '${r.routingKey}'`);
      lines.push(
        `Unroutable (returned by the broker, not stored; no binding matched): ${listed.join(', ')}${report.returned.length > 20 ? ', …' : ''}. trace_route shows how a key is routed.`,
      );
    }
    if (report.rejected.length > 0) {
      lines.push(
        `Rejected by the broker (nack, e.g. a full queue with overflow reject-publish), not stored: ${report.rejected
          .slice(0, 20)
          .map((i) => `#${i}`)
          .join(', ')}${report.rejected.length > 20 ? ', …' : ''}.`,
      );
    }
    if (!mandatory) lines.push('mandatory was off, so unroutable messages were dropped silently and are not counted.');
    const failed = report.rejected.length > 0;
    return { text: lines.join('\n'), isError: failed };
  },
});

export const consumeMessages = defineTool({
  name: 'consume_messages',
  group: 'messages',
  description: 'Remove count messages (default 1, max 100) from the head of a queue and return them.',
  input: z.strictObject({
    vhost,
    queue: objectName('queue name'),
    count: z.number().int().min(1).max(100).optional(),
    max_body: maxBody,
    confirm,
  }),
  annotations: destroys(false),
  async handler(args, { broker, confirm }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const count = args.count ?? 1;
    const queue = await getQueueInfo(broker, vhostName, args.queue);
    if (queue.type === 'stream')
      return {
        text: `Queue '${args.queue}' is a stream: messages are never removed by consuming. Use peek_messages to read it.`,
        isError: true,
      };
    const live = await liveQueueCounts(broker, vhostName, args.queue);
    const declined = await confirm(
      args.confirm,
      `would remove and return ${plural(Math.min(count, live.messages), 'message')} of ${live.messages} ready in queue '${args.queue}' (vhost '${vhostName}'); they would be gone from the queue`,
    );
    if (declined) return declined;
    const taken = await broker.amqp.forVhost(vhostName).withOwnChannel(`consuming from queue '${args.queue}'`, async (channel) => {
      const messages: GetMessage[] = [];
      while (messages.length < count) {
        const message = await channel.get(args.queue, { noAck: false });
        if (message === false) break;
        messages.push(message);
      }
      const last = messages.at(-1);
      if (last) channel.ack(last, true);
      return messages;
    });
    if (taken.length === 0) return `Queue '${args.queue}' in vhost '${vhostName}' had no ready messages; nothing was removed.`;
    const parts = taken.map((message, index) => renderMessage(message, index + 1, args.max_body ?? 1000));
    return `Removed ${plural(taken.length, 'message')} from queue '${args.queue}' in vhost '${vhostName}':\n${parts.join('\n')}`;
  },
});
