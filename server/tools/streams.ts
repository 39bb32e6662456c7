import type { ConfirmChannel, Message } from 'amqplib';
import { z } from 'zod';
import { consumeUntilIdle } from '../broker/consume.js';
import { advertiseAs } from './json-schema.js';
import { renderBody } from './messages.js';
import { MAX_OUTPUT_CHARS, plural, quoted, record } from './output.js';
import { getQueueInfo } from './queues.js';
import { objectName, vhost } from './schemas.js';
import { READ_ONLY, defineTool } from './tool.js';
import { inQuotes } from '../broker/one-line.js';

/** A stream consumer waits this long for its first message, then this long for each next one: no more means the end. */
const FIRST_WAIT_MS = 2000;
const NEXT_WAIT_MS = 1000;
/** Bodies are cut like peek_messages cuts them by default (peek_messages with max_body reads a stream's bodies whole). */
const BODY_CHARS = 1000;

/** The x-stream-offset consumer argument for what the caller gave, or what is wrong with it. */
function streamOffset(offset: string | number): { value: unknown; label: string } | { problem: string } {
  const shown = String(offset).length > 40 ? `${String(offset).slice(0, 40)}…` : String(offset);
  const problem = `offset ${inQuotes(shown)} is not first, last, next, a whole number from 0 or an ISO 8601 time with a zone (like 2024-05-01T12:00:00Z)`;
  if (typeof offset === 'number') {
    return Number.isSafeInteger(offset) && offset >= 0 ? { value: { '!': 'long', value: offset }, label: `offset ${offset}` } : { problem };
  }
  const text = offset.trim();
  if (text === 'first' || text === 'last' || text === 'next') return { value: text, label: text };
  if (/^\d{1,15}$/.test(text)) return streamOffset(Number(text));
  // Dates only ("2024-05-01") and full times with a zone are unambiguous; a bare local time is not.
  const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return { problem };
  // AMQP timestamps are whole seconds; the broker attaches at the first chunk written at or after it.
  return { value: { '!': 'timestamp', value: Math.floor(at / 1000) }, label: `time ${new Date(at).toISOString()}` };
}

/**
 * Reads up to `count` messages with a consumer (streams need one, with prefetch and manual ack),
 * then cancels it. Acks only grant the consumer credit: nothing is removed from a stream.
 */
function readFromOffset(channel: ConfirmChannel, queue: string, offset: unknown, count: number): Promise<Message[]> {
  return consumeUntilIdle(channel, queue, {
    limit: count,
    firstWaitMs: FIRST_WAIT_MS,
    idleMs: NEXT_WAIT_MS,
    ackEach: true,
    arguments: { 'x-stream-offset': offset },
  });
}

function offsetOf(message: Message): number | undefined {
  const value: unknown = message.properties.headers?.['x-stream-offset'];
  return typeof value === 'number' ? value : undefined;
}

function renderStreamMessage(message: Message, bodyLimit: number): string {
  const { headers, ...properties } = message.properties;
  const { 'x-stream-offset': _offset, ...otherHeaders } = headers ?? {};
  const shown = Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined && value !== null));
  if (Object.keys(otherHeaders).length > 0) shown.headers = otherHeaders;
  const line = record({
    exchange: quoted(message.fields.exchange),
    routing_key: message.fields.routingKey,
    properties: Object.keys(shown).length > 0 ? shown : undefined,
  }).replace(/\n/g, ', ');
  return `offset ${offsetOf(message) ?? '?'}: ${line}\n${renderBody(message.content, bodyLimit)}`;
}

export const readStream = defineTool({
  name: 'read_stream',
  title: 'Read a stream',
  group: 'messages',
  description: 'Read a stream from an offset; streams keep their messages.',
  input: z.strictObject({
    vhost,
    queue: objectName('queue name').describe('A stream queue'),
    // One type (some clients reject a union of types): a number comes as its digits, "1200".
    offset: advertiseAs(
      z
        .string()
        .transform((value, context) => {
          const parsed = streamOffset(value);
          if (!('problem' in parsed)) return parsed;
          context.addIssue({ code: 'custom', message: parsed.problem });
          return z.NEVER;
        })
        .optional(),
      { type: 'string', description: 'first (default), last, next, "1200" or an ISO time' },
    ),
    count: z.number().int().min(1).max(100).optional().describe('Default 10, max 100'),
  }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const count = args.count ?? 10;
    const offset = args.offset ?? { value: 'first', label: 'first' };
    const queue = await getQueueInfo(broker, vhostName, args.queue);
    if (queue.type !== 'stream') {
      return {
        text: `Queue ${inQuotes(args.queue)} in vhost ${inQuotes(vhostName)} is a ${queue.type ?? 'classic'} queue, not a stream: peek_messages reads it without removing messages.`,
        isError: true,
      };
    }
    const messages = await broker.amqp
      .forVhost(vhostName)
      .withOwnChannel(`reading stream ${inQuotes(args.queue)}`, (channel) => readFromOffset(channel, args.queue, offset.value, count));
    const where = `stream ${inQuotes(args.queue)} in vhost ${inQuotes(vhostName)}`;
    if (messages.length === 0) {
      const hint = offset.label === 'next' ? ' (next waits for new messages only; use last or first to read stored ones)' : '';
      return `No message in ${where} at ${offset.label} within ${FIRST_WAIT_MS / 1000} s: that is the end of the stream${hint}.`;
    }
    const parts: string[] = [];
    let size = 0;
    for (const message of messages) {
      const part = renderStreamMessage(message, BODY_CHARS);
      if (size + part.length > MAX_OUTPUT_CHARS - 1000 && parts.length > 0) break;
      parts.push(part);
      size += part.length + 1;
    }
    const shown = messages.slice(0, parts.length);
    const first = offsetOf(shown[0] as Message);
    const last = offsetOf(shown.at(-1) as Message);
    const range = first === last ? `offset ${first}` : `offsets ${first}-${last}`;
    const ended = messages.length < count ? ' That is the end of the stream for now.' : '';
    const next = last === undefined ? '' : ` Next: read_stream with offset "${last + 1}".`;
    return `Read ${plural(shown.length, 'message')} of ${where} at ${range} (from ${offset.label}); a stream keeps its messages.${ended}${next}\n${parts.join('\n')}`;
  },
});
