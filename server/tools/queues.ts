import { z } from 'zod';
import { BrokerError } from '../broker/broker-errors.js';
import type { Broker } from '../broker/broker.js';
import { apiPath } from '../broker/management-client.js';
import type { Binding } from '../broker/exchange-routing.js';
import { bytes } from '../broker/byte-size.js';
import { capOutput, pageFooter, plural, quoted, rate, record, table, walkedOnlyNote } from './output.js';
import { checkRegex, confirm, exchangeName, nameFilter, objectName, paging, routingKey, table as argumentTable, vhost } from './schemas.js';
import { unlistedField } from './json-schema.js';
import {
  PROBLEM_COLUMNS,
  PROBLEM_DEFAULTS,
  QUEUE_COUNT_COLUMNS,
  PROBLEM_KINDS,
  PROBLEM_TITLES,
  type QueueStats,
  classifyQueues,
} from './problem-queues.js';
import { ONE_ITEM_PAGE, type ProblemReport, type QueueList, pageFields, problemReport, queueList } from './structured.js';
import { orIfNotFound, queueNotFound, vhostNotFound } from './not-found.js';
import { READ_ONLY, defineTool, destroys, writes } from './tool.js';
import { pageOfVhost } from './vhost-page.js';
import { judgeNewQueue, judgeQueueDeletion } from './scope-effects.js';
import { inQuotes } from '../broker/one-line.js';

export interface QueueInfo {
  name: string;
  vhost: string;
  type?: string;
  state?: string;
  durable?: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  arguments?: Record<string, unknown>;
  node?: string;
  leader?: string;
  members?: string[];
  online?: string[];
  policy?: string | null;
  operator_policy?: string | null;
  effective_policy_definition?: Record<string, unknown>;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_bytes?: number;
  messages_persistent?: number;
  consumers?: number;
  consumer_utilisation?: number | null;
  memory?: number;
  idle_since?: string;
  head_message_timestamp?: number | null;
  single_active_consumer_tag?: string | null;
  message_stats?: Record<string, unknown>;
  consumer_details?: {
    consumer_tag: string;
    prefetch_count: number;
    ack_required: boolean;
    active?: boolean;
    channel_details?: { name?: string; connection_name?: string; user?: string; peer_host?: string };
  }[];
}

/** Said when the management plugin has not reported on a queue yet (it samples every few seconds). */
export const STATS_PENDING =
  "state '-' means the broker has not reported statistics for that queue yet (it samples every 5 s by default); its counts read 0 until then.";

/** Exact ready-message and consumer counts through AMQP (management stats lag by seconds). */
export async function liveQueueCounts(broker: Broker, vhostName: string, name: string): Promise<{ messages: number; consumers: number }> {
  try {
    const reply = await broker.amqp
      .forVhost(vhostName)
      .withChannel(`checking queue ${inQuotes(name)}`, (channel) => channel.checkQueue(name));
    return { messages: reply.messageCount, consumers: reply.consumerCount };
  } catch (error) {
    if (error instanceof BrokerError && error.code === 'not_found') throw new BrokerError('not_found', queueNotFound(name, vhostName));
    throw error;
  }
}

const SORTS = {
  name: 'name',
  messages: 'messages',
  ready: 'messages_ready',
  unacked: 'messages_unacknowledged',
  consumers: 'consumers',
  memory: 'memory',
  in_rate: 'message_stats.publish_details.rate',
  out_rate: 'message_stats.deliver_get_details.rate',
} as const;

const LIST_COLUMNS = [...QUEUE_COUNT_COLUMNS, 'message_stats.publish_details.rate', 'message_stats.deliver_get_details.rate'];

export const listQueues = defineTool({
  name: 'list_queues',
  title: 'List queues',
  group: 'queues',
  description: 'Queues with counts, consumers, rates; or one in detail.',
  input: z.strictObject({
    vhost,
    name: objectName('queue name').optional().describe('One, in detail'),
    filter: nameFilter,
    sort: z
      .enum(Object.keys(SORTS) as [keyof typeof SORTS])
      .optional()
      .describe('Numbers: largest first'),
    ...paging,
  }),
  output: queueList,
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    if (args.name !== undefined) {
      const queue = await getQueueInfo(broker, vhostName, args.name);
      const text = await queueDetail(broker, vhostName, args.name, queue);
      return { text, structured: { vhost: vhostName, ...ONE_ITEM_PAGE, queues: [queueItemOf(queue)] } };
    }
    const badRegex = await checkRegex(args.filter);
    if (badRegex) return { text: badRegex, isError: true };
    const page = await pageOfVhost<QueueInfo>(broker, 'queues', vhostName, args, {
      sort: args.sort ? SORTS[args.sort] : undefined,
      sortReverse: args.sort !== undefined && args.sort !== 'name',
      columns: LIST_COLUMNS,
    });
    const structured: QueueList = { vhost: vhostName, ...pageFields(page), queues: page.items.map(queueItemOf) };
    if (page.filteredCount === 0) {
      const text = args.filter
        ? `No queue in vhost ${inQuotes(vhostName)} matches /${args.filter}/ (${page.totalCount} queues in all).${walkedOnlyNote(page)}`
        : `Vhost ${inQuotes(vhostName)} has no queues.`;
      return { text, structured };
    }
    const rows = page.items.map((q) => [
      q.name,
      q.type,
      q.state,
      q.messages ?? 0,
      q.messages_ready ?? 0,
      q.messages_unacknowledged ?? 0,
      q.consumers ?? 0,
      rate(q.message_stats, 'publish') ?? 0,
      rate(q.message_stats, 'deliver_get') ?? 0,
    ]);
    const fresh = page.items.some((q) => q.state === undefined) ? `\n${STATS_PENDING}` : '';
    const text = capOutput(
      `Queues in vhost ${inQuotes(vhostName)}\n${table(['name', 'type', 'state', 'messages', 'ready', 'unacked', 'consumers', 'in/s', 'out/s'], rows)}\n${pageFooter(page, 'list_queues')}${fresh}`,
    );
    return { text, structured };
  },
});

function queueItemOf(q: QueueInfo): QueueList['queues'][number] {
  return {
    name: q.name,
    type: q.type ?? 'classic',
    ...(q.state ? { state: q.state } : {}),
    messages: q.messages ?? 0,
    ready: q.messages_ready ?? 0,
    unacked: q.messages_unacknowledged ?? 0,
    consumers: q.consumers ?? 0,
    in_per_s: rate(q.message_stats, 'publish') ?? 0,
    out_per_s: rate(q.message_stats, 'deliver_get') ?? 0,
  };
}

/** The lowest delivery limit of the queue argument and the policies in effect (the one RabbitMQ applies). */
export function deliveryLimit(queue: QueueInfo): number | undefined {
  const limits = [queue.arguments?.['x-delivery-limit'], queue.effective_policy_definition?.['delivery-limit']].filter(
    (value): value is number => typeof value === 'number' && value >= 0,
  );
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

export async function getQueueInfo(broker: Broker, vhostName: string, name: string): Promise<QueueInfo> {
  return broker.management.get<QueueInfo>(apiPath('queues', vhostName, name), { notFound: queueNotFound(name, vhostName) });
}

/** One queue in detail; `known` when the caller has just read it. */
export async function queueDetail(broker: Broker, vhostName: string, name: string, known?: QueueInfo): Promise<string> {
  const [q, bindings] = await Promise.all([
    known ?? getQueueInfo(broker, vhostName, name),
    broker.management.get<Binding[]>(apiPath('queues', vhostName, name, 'bindings')).catch(() => []),
  ]);
  const stats = q.message_stats;
  const consumers = (q.consumer_details ?? []).slice(0, 20).map((c) => {
    const channel = c.channel_details;
    return `${c.consumer_tag} on ${channel?.connection_name ?? channel?.name ?? '?'} (user ${channel?.user ?? '?'}, prefetch ${c.prefetch_count}, ${c.ack_required ? 'manual ack' : 'auto ack'}${c.active === false ? ', waiting' : ''})`;
  });
  const deadLetter = q.arguments?.['x-dead-letter-exchange'] ?? q.effective_policy_definition?.['dead-letter-exchange'];
  return record({
    queue: `${q.name} (${q.type ?? 'classic'}) in vhost ${inQuotes(q.vhost)}`,
    state: q.state ?? 'unknown (stats not collected yet)',
    node: q.leader ? `leader ${q.leader}, members ${q.members?.join(', ')} (online: ${q.online?.join(', ') ?? '-'})` : q.node,
    flags: [q.durable ? 'durable' : 'transient', q.auto_delete ? 'auto-delete' : undefined, q.exclusive ? 'exclusive' : undefined]
      .filter(Boolean)
      .join(', '),
    arguments: q.arguments,
    policy: q.policy ? `${q.policy} ${JSON.stringify(q.effective_policy_definition ?? {})}` : 'none',
    operator_policy: q.operator_policy ?? undefined,
    messages: `${q.messages ?? 0} (${q.messages_ready ?? 0} ready, ${q.messages_unacknowledged ?? 0} unacked), ${bytes(q.message_bytes) ?? '0 B'}`,
    'rates/s': `publish ${rate(stats, 'publish') ?? 0}, deliver ${rate(stats, 'deliver_get') ?? 0}, ack ${rate(stats, 'ack') ?? 0}, redeliver ${rate(stats, 'redeliver') ?? 0}`,
    dead_letter_exchange: deadLetter,
    delivery_limit: deliveryLimit(q),
    consumers: `${q.consumers ?? 0}${q.consumer_utilisation != null ? ` (utilisation ${Math.round(q.consumer_utilisation * 100)}%)` : ''}${consumers.length > 0 ? `: ${consumers.join('; ')}` : ''}`,
    single_active_consumer: q.single_active_consumer_tag ?? undefined,
    idle_since: q.idle_since,
    memory: bytes(q.memory),
    bindings: bindings
      .map(
        (b) =>
          `${quoted(b.source)} key ${inQuotes(b.routing_key)}${b.arguments && Object.keys(b.arguments).length > 0 ? ` ${JSON.stringify(b.arguments)}` : ''}`,
      )
      .join('; '),
  });
}

export const findProblemQueues = defineTool({
  name: 'find_problem_queues',
  title: 'Find problem queues',
  group: 'queues',
  description: 'Stopped, deep, growing, unconsumed, busy (unacked) or idle queues.',
  input: z.strictObject({
    vhost,
    deep: z.number().int().min(1).optional().describe(`Ready count; default ${PROBLEM_DEFAULTS.deep}`),
    unacked: z.number().int().min(1).optional().describe(`Unacked count; default ${PROBLEM_DEFAULTS.unacked}`),
    idle_minutes: z.number().int().min(1).optional().describe(`Idle after; default ${PROBLEM_DEFAULTS.idleMinutes}`),
  }),
  output: problemReport,
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const thresholds = {
      deep: args.deep ?? PROBLEM_DEFAULTS.deep,
      unacked: args.unacked ?? PROBLEM_DEFAULTS.unacked,
      idleMinutes: args.idle_minutes ?? PROBLEM_DEFAULTS.idleMinutes,
    };
    const queues = await broker.management.getAll<QueueStats>(apiPath('queues', vhostName), { columns: PROBLEM_COLUMNS });
    const problems = classifyQueues(queues, thresholds, Date.now());
    const structured: ProblemReport = {
      vhost: vhostName,
      checked: queues.length,
      problems: problems.map(({ kind, queue, type, detail }) => ({ kind, queue, type, detail })),
    };
    if (problems.length === 0)
      return { text: `No problem found among ${plural(queues.length, 'queue')} in vhost ${inQuotes(vhostName)}.`, structured };
    const sections = PROBLEM_KINDS.flatMap((kind) => {
      const items = problems.filter((problem) => problem.kind === kind);
      if (items.length === 0) return [];
      const top = [...items].sort((a, b) => b.weight - a.weight).slice(0, 15);
      const more = items.length > top.length ? `\n  … and ${items.length - top.length} more` : '';
      return [
        `${PROBLEM_TITLES[kind](thresholds)}: ${items.length}\n${top.map((item) => `  ${item.queue} (${item.type}): ${item.detail}`).join('\n')}${more}`,
      ];
    });
    return {
      text: capOutput(`Checked ${plural(queues.length, 'queue')} in vhost ${inQuotes(vhostName)}.\n${sections.join('\n')}`),
      structured,
    };
  },
});

const QUEUE_TYPES = ['classic', 'quorum', 'stream'] as const;

export const createQueue = defineTool({
  name: 'create_queue',
  title: 'Create queue',
  group: 'queues',
  description: 'Declare a queue.',
  input: z.strictObject({
    vhost,
    name: objectName('queue name'),
    type: z.enum(QUEUE_TYPES).optional().describe("Default: vhost's, else classic"),
    durable: z.boolean().optional().describe('Default true'),
    auto_delete: z.boolean().optional().describe('Goes with its last consumer'),
    dead_letter_exchange: exchangeName.optional().describe('Gets rejected and expired'),
    dead_letter_routing_key: unlistedField(routingKey.optional()),
    message_ttl: z.number().int().min(0).optional().describe('ms'),
    max_length: z.number().int().min(0).optional().describe('Most ready messages'),
    max_length_bytes: unlistedField(z.number().int().min(0).optional()),
    overflow: unlistedField(z.enum(['drop-head', 'reject-publish', 'reject-publish-dlx']).optional()),
    delivery_limit: unlistedField(z.number().int().min(0).optional()),
    max_age: unlistedField(
      z
        .string()
        .regex(/^\d+(Y|M|D|h|m|s)$/, 'max_age looks like 7D, 12h or 30m')
        .optional(),
    ),
    arguments: argumentTable
      .optional()
      .describe('Other x- arguments; also dead_letter_routing_key, max_length_bytes, overflow, delivery_limit, max_age (e.g. 7D)'),
  }),
  annotations: writes(true),
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const type = args.type;
    const durable = args.durable ?? true;
    const problems: string[] = [];
    if (type === 'quorum' || type === 'stream') {
      if (!durable) problems.push(`${type} queues are always durable: drop durable: false`);
      if (args.auto_delete) problems.push(`${type} queues cannot be auto-delete`);
    }
    if (type === 'stream') {
      for (const key of ['message_ttl', 'dead_letter_exchange', 'dead_letter_routing_key', 'overflow', 'delivery_limit'] as const) {
        if (args[key] !== undefined) problems.push(`streams do not support ${key} (use max_age or max_length_bytes for retention)`);
      }
    } else if (args.max_age !== undefined) problems.push('max_age applies to stream queues only');
    if (args.delivery_limit !== undefined && type !== 'quorum')
      problems.push('delivery_limit applies to quorum queues only (set type: quorum)');
    if (problems.length > 0) return { text: `Queue not created: ${problems.join('; ')}.`, isError: true };

    const queueArguments: Record<string, unknown> = {
      ...args.arguments,
      ...(type ? { 'x-queue-type': type } : {}),
      ...(args.dead_letter_exchange !== undefined ? { 'x-dead-letter-exchange': args.dead_letter_exchange } : {}),
      ...(args.dead_letter_routing_key !== undefined ? { 'x-dead-letter-routing-key': args.dead_letter_routing_key } : {}),
      ...(args.message_ttl !== undefined ? { 'x-message-ttl': args.message_ttl } : {}),
      ...(args.max_length !== undefined ? { 'x-max-length': args.max_length } : {}),
      ...(args.max_length_bytes !== undefined ? { 'x-max-length-bytes': args.max_length_bytes } : {}),
      ...(args.overflow !== undefined ? { 'x-overflow': args.overflow } : {}),
      ...(args.delivery_limit !== undefined ? { 'x-delivery-limit': args.delivery_limit } : {}),
      ...(args.max_age !== undefined ? { 'x-max-age': args.max_age } : {}),
    };
    const path = apiPath('queues', vhostName, args.name);
    const existed = await orIfNotFound(
      broker.management.get<QueueInfo>(path, { query: { columns: 'name' } }).then(() => true),
      false,
    );
    // A queue that exists stays as it is; a new one is judged by where its dead letters go.
    const refusal = existed ? undefined : await judgeNewQueue(broker, vhostName, args.name, queueArguments);
    if (refusal) return { text: refusal, isError: true };
    try {
      await broker.management.put(
        path,
        { durable, auto_delete: args.auto_delete ?? false, arguments: queueArguments },
        { notFound: vhostNotFound(vhostName) },
      );
    } catch (error) {
      const conflict = error instanceof BrokerError && /inequivalent arg[^:]*: .*/.exec(error.message);
      if (conflict) {
        return {
          text: `Queue ${inQuotes(args.name)} already exists in vhost ${inQuotes(vhostName)} with different settings (${conflict[0]}). Queue settings cannot change: use a policy, or delete and recreate it.`,
          isError: true,
        };
      }
      throw error;
    }
    const described = Object.keys(queueArguments).length > 0 ? ` with ${JSON.stringify(queueArguments)}` : '';
    return existed
      ? `Queue ${inQuotes(args.name)} already existed in vhost ${inQuotes(vhostName)} with the same settings; nothing changed.`
      : `Created ${durable ? 'durable' : 'transient'} queue ${inQuotes(args.name)} in vhost ${inQuotes(vhostName)}${described}.`;
  },
});

/** The ready messages go, the queue stays (its unacked messages too: they are with consumers). */
export const purgeQueue = defineTool({
  name: 'purge_queue',
  title: 'Purge queue',
  group: 'queues',
  description: 'Remove all ready messages; unacked ones stay.',
  input: z.strictObject({ vhost, name: objectName('queue name'), confirm }),
  annotations: destroys(false),
  async handler(args, { broker, confirm }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const { messages, consumers } = await liveQueueCounts(broker, vhostName, args.name);
    const declined = await confirm(
      args.confirm,
      `would purge ${plural(messages, 'ready message')} from queue ${inQuotes(args.name)} in vhost ${inQuotes(vhostName)} (${plural(consumers, 'consumer')}; unacked messages stay)`,
    );
    if (declined) return declined;
    const reply = await broker.amqp
      .forVhost(vhostName)
      .withChannel(`purging queue ${inQuotes(args.name)}`, (channel) => channel.purgeQueue(args.name));
    return `Purged ${plural(reply.messageCount, 'message')} from queue ${inQuotes(args.name)} in vhost ${inQuotes(vhostName)}.`;
  },
});

export const deleteQueue = defineTool({
  name: 'delete_queue',
  title: 'Delete queue',
  group: 'queues',
  description: 'Delete a queue and its messages.',
  input: z.strictObject({
    vhost,
    name: objectName('queue name'),
    if_empty: z.boolean().optional().describe('Only if empty'),
    if_unused: z.boolean().optional().describe('Only with no consumers'),
    confirm,
  }),
  annotations: destroys(false),
  async handler(args, { broker, confirm }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const { messages, consumers } = await liveQueueCounts(broker, vhostName, args.name);
    const blockers = [
      args.if_empty && messages > 0 ? `it has ${plural(messages, 'message')} (if_empty)` : undefined,
      args.if_unused && consumers > 0 ? `it has ${plural(consumers, 'consumer')} (if_unused)` : undefined,
    ].filter(Boolean);
    if (blockers.length > 0) return { text: `Queue ${inQuotes(args.name)} was not deleted: ${blockers.join(' and ')}.`, isError: true };
    const refusal = await judgeQueueDeletion(broker, vhostName, args.name);
    if (refusal) return { text: refusal, isError: true };
    const impact = `queue ${inQuotes(args.name)} in vhost ${inQuotes(vhostName)} with ${plural(messages, 'ready message')} and ${plural(consumers, 'consumer')}`;
    const declined = await confirm(args.confirm, `would delete ${impact}`);
    if (declined) return declined;
    await broker.management.delete(apiPath('queues', vhostName, args.name), {
      query: { 'if-empty': args.if_empty ? 'true' : undefined, 'if-unused': args.if_unused ? 'true' : undefined },
      notFound: queueNotFound(args.name, vhostName),
    });
    return `Deleted ${impact}.`;
  },
});
