import type { Message } from 'amqplib';
import { z } from 'zod';
import type { Broker } from '../broker/broker.js';
import { type Binding, topicMatches } from '../broker/exchange-routing.js';
import { apiPath } from '../broker/management-client.js';
import { peekQueue } from '../broker/peek.js';
import { peekNotes } from './messages.js';
import { capOutput, plural, quoted, table } from './output.js';
import { type QueueInfo, getQueueInfo, liveQueueCounts } from './queues.js';
import { objectName, vhost } from './schemas.js';
import { READ_ONLY, defineTool } from './tool.js';
import { inQuotes } from '../broker/one-line.js';

/** One dead-lettering as the broker recorded it in the x-death header. */
export interface Death {
  queue: string;
  reason: string;
  exchange: string;
  routingKeys: string[];
  /** How often the message died this way (same queue and reason). */
  count: number;
  /** Seconds since the epoch. */
  time?: number;
}

/**
 * The latest dead-lettering of a message: x-death lists the newest first, so its first entry
 * names the queue the message last died in, the one to send it back to.
 */
export function lastDeath(message: Message): Death | undefined {
  const deaths: unknown = message.properties.headers?.['x-death'];
  const entry: unknown = Array.isArray(deaths) ? deaths[0] : undefined;
  if (!entry || typeof entry !== 'object') return undefined;
  const { queue, reason, exchange, count, time } = entry as Record<string, unknown>;
  const keys: unknown = (entry as Record<string, unknown>)['routing-keys'];
  if (typeof queue !== 'string') return undefined;
  // amqplib decodes AMQP timestamps as { '!': 'timestamp', value: seconds }.
  const seconds = typeof time === 'number' ? time : (time as { value?: unknown } | undefined)?.value;
  return {
    queue,
    reason: typeof reason === 'string' ? reason : 'unknown',
    exchange: typeof exchange === 'string' ? exchange : '',
    routingKeys: Array.isArray(keys) ? keys.map(String) : [],
    count: typeof count === 'number' ? count : 1,
    time: typeof seconds === 'number' ? seconds : undefined,
  };
}

function when(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

interface Group {
  death: Death;
  messages: number;
  deaths: number;
  first?: number;
  last?: number;
}

function widen(group: { first?: number; last?: number }, time: number | undefined): void {
  if (time === undefined) return;
  if (group.first === undefined || time < group.first) group.first = time;
  if (group.last === undefined || time > group.last) group.last = time;
}

const MAX_GROUPS = 50;

/**
 * Queues whose dead-letter settings (arguments win over policy, as in RabbitMQ) lead here: a
 * dead-letter exchange bound to this queue, or the default exchange with this queue's name.
 * One hop only; exchange-to-exchange chains are not followed.
 */
async function configuredSources(broker: Broker, vhostName: string, queue: string): Promise<string[]> {
  const [queues, bindings, exchanges] = await Promise.all([
    broker.management.getAll<QueueInfo>(apiPath('queues', vhostName), { columns: ['name', 'arguments', 'effective_policy_definition'] }),
    broker.management.get<Binding[]>(apiPath('queues', vhostName, queue, 'bindings')),
    broker.management.getAll<{ name: string; type: string }>(apiPath('exchanges', vhostName), { columns: ['name', 'type'] }),
  ]);
  const typeOf = new Map(exchanges.map((exchange) => [exchange.name, exchange.type]));
  const sources: string[] = [];
  for (const candidate of queues) {
    if (candidate.name === queue) continue;
    const policy = candidate.effective_policy_definition ?? {};
    const exchange = candidate.arguments?.['x-dead-letter-exchange'] ?? policy['dead-letter-exchange'];
    const key = candidate.arguments?.['x-dead-letter-routing-key'] ?? policy['dead-letter-routing-key'];
    if (typeof exchange !== 'string') continue;
    const routes = bindings.some((binding) => {
      if (binding.source !== exchange) return false;
      if (typeof key !== 'string') return true;
      const type = exchange === '' ? 'direct' : typeOf.get(exchange);
      if (type === 'topic') return topicMatches(binding.routing_key, key);
      return type === 'direct' ? binding.routing_key === key : true;
    });
    if (routes) sources.push(`${candidate.name} (via ${quoted(exchange)}${typeof key === 'string' ? ` key ${inQuotes(key)}` : ''})`);
  }
  return sources;
}

/** How many messages dead_letter_summary reads (peeks) when the caller names no sample. */
const DEFAULT_SAMPLE = 1000;

export const deadLetterSummary = defineTool({
  name: 'dead_letter_summary',
  title: 'Dead-letter summary',
  group: 'messages',
  description: 'A dead-letter queue by x-death reason, source and time.',
  input: z.strictObject({
    vhost,
    queue: objectName('queue name').describe('The dead-letter queue'),
    sample: z.number().int().min(1).max(10_000).optional().describe(`Messages read; default ${DEFAULT_SAMPLE}`),
  }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const sample = args.sample ?? DEFAULT_SAMPLE;
    const queue = await getQueueInfo(broker, vhostName, args.queue);
    const peeked = await peekQueue(broker, vhostName, queue, sample);
    if ('refused' in peeked) return { text: `${peeked.refused.reason}\n${peeked.refused.advice}`, isError: true };
    const plan = peeked.plan;
    // A quorum queue's returned head is read as a whole, which can be more than the sample.
    const messages = peeked.messages.slice(0, sample);
    const type = plan.queue.type ?? 'classic';
    const [ready, sources] = await Promise.all([
      type === 'stream'
        ? Promise.resolve(plan.queue.messages ?? messages.length)
        : liveQueueCounts(broker, vhostName, args.queue).then((c) => c.messages),
      configuredSources(broker, vhostName, args.queue).catch(() => undefined),
    ]);
    const fed = sources && sources.length > 0 ? `configured to dead-letter into it: ${sources.join(', ')}` : undefined;
    const where = `queue ${inQuotes(args.queue)} (${type}) in vhost ${inQuotes(vhostName)}`;
    if (messages.length === 0) return [`Dead-letter ${where} has no ready messages.`, fed].filter(Boolean).join('\n');

    const groups = new Map<string, Group>();
    const reasons = new Map<string, { messages: number; first?: number; last?: number }>();
    let undead = 0;
    for (const message of messages) {
      const death = lastDeath(message);
      if (!death) {
        undead++;
        continue;
      }
      const key = JSON.stringify([death.queue, death.reason, death.exchange, death.routingKeys]);
      const group = groups.get(key) ?? { death, messages: 0, deaths: 0 };
      group.messages++;
      group.deaths += death.count;
      widen(group, death.time);
      groups.set(key, group);
      const byReason = reasons.get(death.reason) ?? { messages: 0 };
      byReason.messages++;
      widen(byReason, death.time);
      reasons.set(death.reason, byReason);
    }

    const lines = [
      `Dead-letter ${where}: ${plural(ready, 'ready message')}; summarized ${messages.length < ready ? `the first ${messages.length}` : `all ${messages.length}`} without removing or reordering any${peeked.missing > 0 ? ' (but see the warning below)' : ''}.`,
    ];
    if (reasons.size > 0) {
      const rows = [...reasons]
        .sort((a, b) => b[1].messages - a[1].messages)
        .map(([reason, r]) => [reason, r.messages, when(r.first), when(r.last)]);
      lines.push(`by reason:\n${table(['reason', 'messages', 'first death', 'last death'], rows)}`);
      const sorted = [...groups.values()].sort((a, b) => b.messages - a.messages);
      const shown = sorted
        .slice(0, MAX_GROUPS)
        .map((g) => [
          g.death.queue,
          g.death.reason,
          g.death.exchange === '' ? '(default)' : g.death.exchange,
          g.death.routingKeys.join(', '),
          g.messages,
          g.deaths,
          when(g.first),
          when(g.last),
        ]);
      const more = sorted.length > MAX_GROUPS ? `\n… and ${sorted.length - MAX_GROUPS} smaller groups` : '';
      lines.push(
        `by source (deaths: sum of x-death counts):\n${table(['source queue', 'reason', 'exchange', 'routing keys', 'messages', 'deaths', 'first death', 'last death'], shown)}${more}`,
      );
    }
    if (undead > 0) lines.push(`${plural(undead, 'message')} without an x-death header (published here directly, not dead-lettered).`);
    const notes = peekNotes(peeked);
    if (notes.length > 0) lines.push(`notes: ${notes.join('; ')}`);
    if (fed) lines.push(fed);
    if (groups.size > 0 && type !== 'stream') lines.push('move_messages with to_source: true sends them back to their source queues.');
    return capOutput(lines.join('\n'), 'use a smaller sample');
  },
});
