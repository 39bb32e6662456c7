import type { GetMessage, Message, MessageProperties, Options } from 'amqplib';
import { consumeUntilIdle, waitUntilSettled } from '../broker/consume.js';
import { z } from 'zod';
import { BrokerError, fromAmqpError } from '../broker/broker-errors.js';
import { type Peeked, deliveryCount, peekQueue, planPeek } from '../broker/peek.js';
import { type Outgoing, publishWithConfirms } from '../broker/publish.js';
import { withoutMajority } from '../broker/quorum-majority.js';
import { MAX_OUTPUT_CHARS, oneLine, plural, quoted, record } from './output.js';
import { routingKeysOf } from './bindings.js';
import { VhostTopology } from './hidden-reach.js';
import { judgeMessages } from './scope-effects.js';
import type { Broker } from '../broker/broker.js';
import { getQueueInfo, liveQueueCounts } from './queues.js';
import { advertiseAs } from './json-schema.js';
import { confirm, exchangeName, objectName, routingKey, shortString, table as argumentTable, vhost } from './schemas.js';
import { READ_ONLY, type ToolResult, defineTool, destroys, writes } from './tool.js';
import { unavailableQueues } from './unavailable-queues.js';
import { inQuotes } from '../broker/one-line.js';

const MAX_PEEK_WINDOW = 5000;

/** Characters of each body shown when the caller names no max_body. */
const DEFAULT_BODY_CHARS = 1000;
const maxBody = z.number().int().min(0).max(100_000).optional().describe(`Chars per body; default ${DEFAULT_BODY_CHARS}`);

/** A body as text when it is printable UTF-8, else base64; cut to `limit` characters. */
export function renderBody(content: Buffer, limit: number): string {
  const text = content.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(content) && !/[\u0000-\u0008\u000E-\u001F\u007F]/.test(text);
  const shown = printable ? text : content.toString('base64');
  const encoding = printable ? 'utf-8' : 'base64';
  // One line whatever the body holds: its newlines cannot end this message or begin a forged one.
  const cut = shown.length > limit ? `${oneLine(shown.slice(0, limit))}… (${shown.length - limit} more chars)` : oneLine(shown);
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

/** What a peek left different, and what to know about what it read, for the answer's notes. */
export function peekNotes(peeked: Peeked): string[] {
  const { plan, consumers } = peeked;
  const notes: string[] = [];
  const type = plan.queue.type ?? 'classic';
  if (type === 'classic' && peeked.touched > 0) {
    notes.push(`the ${plural(peeked.touched, 'message')} read are marked redelivered now (consumers will see redelivered: true)`);
  }
  if (type === 'quorum' && plan.limit.returnsCount && peeked.touched > 0) {
    const highest = Math.max(0, ...peeked.messages.map(deliveryCount)) + 1;
    const where = plan.rules.tested ? 'on this RabbitMQ' : 'on this RabbitMQ (a version this server was not tested on, so it assumes so)';
    notes.push(
      `quorum queue: ${where} handing them back counts as a delivery, so the ${plural(peeked.touched, 'message')} read show x-delivery-count one higher now${
        plan.limit.limit === null
          ? ' (no delivery limit applies, so none is dropped)'
          : ` (delivery limit ${plan.limit.limit}, ${plan.limit.from}; checked before reading: none could reach it)`
      }`,
    );
    if (plan.limit.limit !== null && highest + 1 > plan.limit.limit) {
      notes.push(
        `the head is at delivery count ${highest} of ${plan.limit.limit}: a further peek will be refused rather than make RabbitMQ drop it`,
      );
    }
  }
  if (peeked.touched > peeked.messages.length) {
    notes.push(`${peeked.touched} messages were taken and handed back to keep the order (the queue's returned head reaches that far)`);
  }
  if (peeked.headCut) {
    notes.push('WARNING: the returned head is longer than a peek may take (20,000): the messages behind it now come before the ones read');
  }
  if (peeked.missing > 0) {
    notes.push(`WARNING: ${plural(peeked.missing, 'message')} read did not come back to the queue by the end of the peek`);
  }
  if (consumers > 0 && type !== 'stream') {
    const compete = consumers === 1 ? '1 consumer competes' : `${consumers} consumers compete`;
    const after = type === 'quorum' ? ', and a message a consumer holds now and hands back comes after the ones read' : '';
    notes.push(`${compete} for messages, so this view can skip some${after ? ',' : ' and'} consumers may receive these next${after}`);
  }
  return notes;
}

/** Why a peek shows fewer messages than asked for: always one of these, said in the answer. */
function fewerThanAsked(peeked: Peeked, asked: { count: number; window: number; shown: number; read: number }): string {
  const { count, window, shown, read } = asked;
  if (shown < read) {
    return `Shown ${shown} of the ${count} asked for: the ${read} read do not fit in one answer (${MAX_OUTPUT_CHARS.toLocaleString('en')} characters); a smaller max_body fits more.`;
  }
  if (peeked.ready < window) {
    return `Shown ${shown} of the ${count} asked for: the queue held ${plural(peeked.ready, 'ready message')} when the peek began.`;
  }
  if (peeked.consumers > 0) {
    return `Shown ${shown} of the ${count} asked for: ${plural(peeked.consumers, 'consumer')} took messages while it read.`;
  }
  return `Shown ${shown} of the ${count} asked for: ${wentQuiet(peeked)}`;
}

/** True when the broker stopped handing over messages the queue held, with no consumer to explain it. */
function cutShort(peeked: Peeked, window: number): boolean {
  return peeked.messages.length < window && peeked.ready >= window && peeked.consumers === 0;
}

/**
 * A quorum queue that reported fewer ready messages than asked for when the peek began, but holds
 * the window once it ended, or was listed with it just before: the start count was a leader
 * change's passing 0, not the queue's content.
 */
function miscounted(peeked: Peeked, window: number): boolean {
  if (peeked.ready >= window || peeked.messages.length >= window || peeked.readyAfter === undefined) return false;
  return Math.max(peeked.readyAfter, peeked.listedReady ?? 0) >= window;
}

function miscountText(peeked: Peeked): string {
  const listed =
    peeked.listedReady !== undefined && peeked.listedReady > (peeked.readyAfter ?? 0)
      ? `, while the management API listed ${peeked.listedReady} just before it (a quorum queue electing a new leader answers 0 for a while, or they were taken meanwhile)`
      : ' (a quorum queue changing leader answers with a passing count, or a publisher added them meanwhile)';
  return `the broker said the queue held ${plural(peeked.ready, 'ready message')} when the peek began, and ${peeked.readyAfter ?? 0} once it ended${listed}. Peek again.`;
}

function wentQuiet(peeked: Peeked): string {
  return `the queue held ${peeked.ready} ready when the peek began, but the broker handed over only ${peeked.messages.length} before going quiet for a second (a quorum queue changing leader, messages that expired, or were taken by a client that has just gone). Peek again.`;
}

export const peekMessages = defineTool({
  name: 'peek_messages',
  title: 'Peek at messages',
  group: 'messages',
  description:
    'Read messages in order, leaving them queued. Classic: marks them redelivered; quorum before 4.3: a delivery, refused near the limit.',
  input: z.strictObject({
    vhost,
    queue: objectName('queue name').describe('Any type'),
    count: z.number().int().min(1).max(100).optional().describe('Default 10, max 100'),
    offset: z
      .number()
      .int()
      .min(0)
      .max(MAX_PEEK_WINDOW - 1)
      .optional()
      .describe('Skip this many'),
    max_body: maxBody,
  }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const count = args.count ?? 10;
    const offset = args.offset ?? 0;
    const window = Math.min(offset + count, MAX_PEEK_WINDOW);
    const queue = await getQueueInfo(broker, vhostName, args.queue);
    const peeked = await peekQueue(broker, vhostName, queue, window);
    if ('refused' in peeked) return { text: `${peeked.refused.reason}\n${peeked.refused.advice}`, isError: true };
    const read = peeked.messages;
    const page = read.slice(offset, offset + count);
    const notes = peekNotes(peeked);
    const noteText = notes.length > 0 ? `\nnotes: ${notes.join('; ')}` : '';
    if (miscounted(peeked, window)) {
      return {
        text: `Not shown: queue ${quoted(args.queue)} in vhost ${quoted(vhostName)}: ${miscountText(peeked)}${noteText}`,
        isError: true,
      };
    }
    if (page.length === 0 && cutShort(peeked, window)) {
      return {
        text: `Read none of the positions asked for in queue ${inQuotes(args.queue)} in vhost ${inQuotes(vhostName)}: ${wentQuiet(peeked)}${noteText}`,
        isError: true,
      };
    }
    if (page.length === 0) {
      return `Queue ${inQuotes(args.queue)} in vhost ${inQuotes(vhostName)} has ${read.length === 0 ? 'no ready messages' : `only ${plural(read.length, 'ready message')}, none at offset ${offset}`}.${noteText}`;
    }
    const rendered = renderMessages(page, offset + 1, args.max_body ?? DEFAULT_BODY_CHARS, (m) =>
      queue.type === 'quorum'
        ? { delivery_count: deliveryCount(m) }
        : queue.type === 'stream'
          ? { stream_offset: m.properties.headers?.['x-stream-offset'] }
          : {},
    );
    const next = offset + rendered.shown;
    const more = read.length > next || read.length >= window ? ` Next: peek_messages with offset=${next}.` : '';
    const kept = peeked.missing > 0 ? 'see the warning below.' : 'nothing was removed.';
    const short = rendered.shown < count ? ` ${fewerThanAsked(peeked, { count, window, shown: rendered.shown, read: page.length })}` : '';
    const head = `Peeked ${rendered.shown} message(s) at positions ${offset + 1}-${offset + rendered.shown} of queue ${inQuotes(args.queue)} (${queue.type ?? 'classic'}) in vhost ${inQuotes(vhostName)}; ${kept}${short}${more}`;
    // Cut short by the broker, not by the queue's content or the answer's size: not the view asked for.
    const partial = rendered.shown === page.length && page.length < count && cutShort(peeked, window);
    return { text: `${head}${noteText}\n${rendered.text}`, isError: peeked.missing > 0 || partial };
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
      'content_type, content_encoding, correlation_id, reply_to, message_id, type, app_id, expiration (ms), timestamp (s), priority, persistent (default true)',
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

interface PublishReport {
  confirmed: number;
  rejected: number[];
  returned: { index: number; routingKey: string; reason: string }[];
}

/** publish_messages' batch through the one publish-with-confirms; a channel that closes first is an error naming what got through. */
async function publishBatch(
  channel: Parameters<typeof publishWithConfirms>[0],
  lost: () => BrokerError,
  batch: Outgoing[],
  progress: (done: number) => Promise<void>,
): Promise<PublishReport> {
  const { outcomes, channelError } = await publishWithConfirms(channel, batch, { onPublished: progress });
  const report: PublishReport = { confirmed: 0, rejected: [], returned: [] };
  let unconfirmed = 0;
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === 'confirmed') report.confirmed++;
    else if (outcome.status === 'returned') {
      report.confirmed++;
      report.returned.push({ index, routingKey: (batch[index] as Outgoing).routingKey, reason: outcome.reason });
    } else if (outcome.status === 'nacked') report.rejected.push(index);
    else unconfirmed++;
  }
  if (channelError || unconfirmed > 0) {
    const cause = channelError ? fromAmqpError(channelError, 'publishing') : lost();
    throw new BrokerError(
      cause.code,
      `${cause.message} (${report.confirmed} of ${batch.length} messages were confirmed before the channel closed; the other ${unconfirmed} may or may not have been stored)`,
      cause.details,
    );
  }
  return report;
}

/** Where each message was sent, for unavailableQueues. */
function routesOf(messages: readonly Outgoing[]): { routingKey: string; headers?: Record<string, unknown> }[] {
  return messages.map((message) => ({
    routingKey: message.routingKey,
    headers: message.options.headers as Record<string, unknown> | undefined,
  }));
}

/** Distinct routes a scoped server checks in one call, at most. */
const MAX_ROUTES_CHECKED = 200;

/**
 * With a queue scope, a message must not reach a hidden queue by any way the broker routes it:
 * bindings, exchange-to-exchange bindings, alternate exchanges, CC and BCC headers, and the dead
 * letters of the queues it reaches (expired, rejected, over a limit). Returns the refusal, or
 * undefined when every message stays in scope.
 */
async function routesOutOfScope(
  broker: Broker,
  vhostName: string,
  exchange: string,
  messages: readonly { routing_key?: string; headers?: Record<string, unknown> }[],
  defaultKey: string,
): Promise<string | undefined> {
  if (!broker.scope.queues.restricts) return undefined;
  broker.scope.checkVhost(vhostName);
  const routes = new Map<string, { keys: string[]; headers: Record<string, unknown> }>();
  for (const message of messages) {
    const headers = message.headers ?? {};
    const keys = routingKeysOf(message.routing_key ?? defaultKey, headers);
    // On the default exchange each key names its queue: refused as naming it would be.
    if (exchange === '') for (const key of keys) if (key !== '') broker.scope.checkQueue(vhostName, key);
    routes.set(JSON.stringify([keys, headers]), { keys, headers });
    if (routes.size > MAX_ROUTES_CHECKED) {
      return `This server is limited by --queues, and ${MAX_ROUTES_CHECKED}+ distinct routing keys and headers are more than one call may check: publish them in smaller batches. Nothing was published.`;
    }
  }
  const whole = await VhostTopology.load(broker, vhostName);
  for (const { keys, headers } of routes.values()) {
    const reach = judgeMessages(whole, exchange, keys, headers);
    if (reach.hidden.size === 0 && reach.unbounded.length === 0) continue;
    const where =
      reach.hidden.size > 0
        ? `would reach ${plural(reach.hidden.size, 'queue')} outside this server's scope (--queues ${broker.scope.queues}), by its route or the dead letters of a queue on it`
        : `could reach queues this server cannot name in advance (${reach.unbounded[0]})`;
    return `Messages with routing key ${inQuotes(keys[0])}${keys.length > 1 ? ' and their CC/BCC headers' : ''} on exchange ${quoted(exchange)} ${where}. Nothing was published. Publish with a routing key and headers that reach only queues in scope and whose dead letters stay in it (trace_route shows the route), or use a server whose --queues covers those queues.`;
  }
  return undefined;
}

export const publishMessages = defineTool({
  name: 'publish_messages',
  title: 'Publish messages',
  group: 'messages',
  description: 'Publish with confirms; reports unroutable messages.',
  input: z.strictObject({
    vhost,
    exchange: exchangeName.optional().describe('Default "": the queue routing_key'),
    routing_key: routingKey.optional().describe('For messages without one'),
    messages: z.array(outgoing).min(1).max(10_000).describe('1 to 10000'),
    encoding: z.enum(['utf8', 'base64']).optional().describe('Default utf8'),
    mandatory: z.boolean().optional().describe('Report unroutable (default)'),
  }),
  annotations: writes(false),
  async handler(args, { broker, progress }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const exchange = args.exchange ?? '';
    const mandatory = args.mandatory ?? true;
    const encoding = args.encoding ?? 'utf8';
    const batch: Outgoing[] = args.messages.map((message) => ({
      exchange,
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
    const refusal = await routesOutOfScope(broker, vhostName, exchange, args.messages, args.routing_key ?? '');
    if (refusal) return { text: refusal, isError: true };
    const session = broker.amqp.forVhost(vhostName);
    session.assertNotBlocked();
    let report: PublishReport;
    try {
      const context = `publishing to exchange ${quoted(exchange)}`;
      report = await session.withChannel(context, (channel) =>
        publishBatch(
          channel,
          () => session.connectionLost(context),
          batch,
          (done) => progress(done, batch.length, `published ${done} of ${batch.length}`),
        ),
      );
    } catch (error) {
      if (error instanceof BrokerError && error.code === 'not_found') {
        throw new BrokerError(
          'not_found',
          `exchange ${quoted(exchange)} not found in vhost ${inQuotes(vhostName)}; nothing was routed (list_exchanges shows what exists)`,
        );
      }
      if (error instanceof BrokerError && error.code === 'timeout') {
        const why = await unavailableQueues(broker, vhostName, exchange, routesOf(batch));
        throw new BrokerError(
          'timeout',
          `${error.message}: none was confirmed, so each may or may not have been stored${why.length > 0 ? `; ${why.join('; ')}` : ''}`,
        );
      }
      throw error;
    }
    const target = `exchange ${quoted(exchange)} in vhost ${inQuotes(vhostName)}`;
    const lines = [
      `Published ${plural(batch.length, 'message')} to ${target}: ${report.confirmed - report.returned.length} routed and confirmed, ${report.returned.length} unroutable, ${report.rejected.length} rejected.`,
    ];
    if (report.returned.length > 0) {
      const listed = report.returned.slice(0, 20).map((r) => `#${r.index} key ${inQuotes(r.routingKey)}`);
      lines.push(
        `Unroutable (returned by the broker, not stored; no binding matched): ${listed.join(', ')}${report.returned.length > 20 ? ', …' : ''}. trace_route shows how a key is routed.`,
      );
    }
    if (report.rejected.length > 0) {
      const rejected = report.rejected.map((index) => batch[index] as Outgoing);
      const why = await unavailableQueues(broker, vhostName, exchange, routesOf(rejected));
      const which = `${report.rejected
        .slice(0, 20)
        .map((i) => `#${i}`)
        .join(', ')}${report.rejected.length > 20 ? ', …' : ''}`;
      const causes = why.map((reason) => ` ${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`).join('');
      lines.push(
        `Rejected by the broker (nack${why.length > 0 ? '' : ', e.g. a full queue with overflow reject-publish'}), not stored: ${which}.${causes}`,
      );
    }
    if (!mandatory) lines.push('mandatory was off, so unroutable messages were dropped silently and are not counted.');
    const failed = report.rejected.length > 0;
    return { text: lines.join('\n'), isError: failed };
  },
});

/** What consume_messages hands back whole in one answer: bodies beyond it stay in the queue. */
const CONSUME_MAX_BYTES = 4 * 1024 * 1024;

/** A removed message, whole, as an embedded resource: text when it is printable UTF-8, else base64. */
function wholeMessage(vhostName: string, queue: string, position: number, message: Message): NonNullable<ToolResult['resources']>[number] {
  const uri = `rabbitmq://${encodeURIComponent(vhostName)}/queues/${encodeURIComponent(queue)}/consumed/${position}`;
  const text = message.content.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(message.content);
  const mimeType = message.properties.contentType || (printable ? 'text/plain' : 'application/octet-stream');
  return printable ? { uri, mimeType, text } : { uri, mimeType, blob: message.content.toString('base64') };
}

export const consumeMessages = defineTool({
  name: 'consume_messages',
  title: 'Consume messages',
  group: 'messages',
  description: 'Remove messages, each returned whole (resources, 4 MiB a call).',
  input: z.strictObject({
    vhost,
    queue: objectName('queue name').describe('Not a stream'),
    count: z.number().int().min(1).max(100).optional().describe('Default 1, max 100'),
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
        text: `Queue ${inQuotes(args.queue)} is a stream: messages are never removed by consuming. Use peek_messages to read it.`,
        isError: true,
      };
    // A consumer on such a queue waits about a minute, then the broker closes the whole connection.
    const stopped = withoutMajority(queue, vhostName);
    if (stopped) return { text: `Nothing was removed: ${stopped}.`, isError: true };
    const live = await liveQueueCounts(broker, vhostName, args.queue);
    const declined = await confirm(
      args.confirm,
      `would remove ${plural(Math.min(count, live.messages), 'message')} of ${live.messages} ready from queue ${inQuotes(args.queue)} (vhost ${inQuotes(vhostName)}) and return each whole (body and properties; up to 4 MiB of bodies per call, the rest stay); they would be gone from the queue`,
    );
    if (declined) return declined;
    if (live.messages === 0)
      return `Queue ${inQuotes(args.queue)} in vhost ${inQuotes(vhostName)} had no ready messages; nothing was removed.`;
    const limit = queue.type === 'quorum' ? (await planPeek(broker, vhostName, queue)).limit : null;
    const quorum = queue.type === 'quorum';
    const { taken, handedBack, unsettled } = await broker.amqp
      .forVhost(vhostName)
      .withOwnChannel(`consuming from queue ${inQuotes(args.queue)}`, async (channel) => {
        const others = (await channel.checkQueue(args.queue)).consumerCount;
        const arrived = await consumeUntilIdle(channel, args.queue, { limit: count, firstWaitMs: 1000, idleMs: 1000 });
        // Only as much as one answer carries whole; the rest goes back, in order, unless handing
        // a message back would make the broker drop it (then it is returned over the size).
        const atLimit = (message: Message) => limit?.returnsCount === true && limit.limit !== null && deliveryCount(message) >= limit.limit;
        let cut = arrived.length;
        let bytes = 0;
        for (const [index, message] of arrived.entries()) {
          bytes += message.content.length;
          if (index > 0 && bytes > CONSUME_MAX_BYTES) {
            cut = index;
            break;
          }
        }
        const lastAtLimit = arrived.findLastIndex(atLimit);
        const kept = arrived.slice(0, Math.max(cut, lastAtLimit + 1));
        const back = arrived.slice(kept.length);
        const last = kept.at(-1);
        if (last) channel.ack(last, true);
        for (const message of back) channel.nack(message, false, true);
        const settled = quorum && arrived.length > 0 ? await waitUntilSettled(channel, args.queue, others) : true;
        return { taken: kept, handedBack: back.length > 0, unsettled: !settled };
      });
    broker.peeks.forget(vhostName, args.queue);
    if (taken.length === 0)
      return `Queue ${inQuotes(args.queue)} in vhost ${inQuotes(vhostName)} had no ready messages; nothing was removed.`;
    const parts = taken.map((message, index) => renderMessage(message, index + 1, args.max_body ?? DEFAULT_BODY_CHARS));
    const left = handedBack
      ? `\nStopped at ${CONSUME_MAX_BYTES / 1024 / 1024} MiB of bodies: message ${taken.length + 1} and those after it stay in the queue (consume again for them).`
      : '';
    const pending = unsettled
      ? `\nThe broker had not applied every removal when the call ended: some of these may be delivered again.`
      : '';
    return {
      text: `Removed ${plural(taken.length, 'message')} from queue ${inQuotes(args.queue)} in vhost ${inQuotes(vhostName)}; each is attached whole as a resource (the bodies below are cut to max_body for reading):${left}${pending}\n${parts.join('\n')}`,
      resources: taken.map((message, index) => wholeMessage(vhostName, args.queue, index + 1, message)),
    };
  },
});
