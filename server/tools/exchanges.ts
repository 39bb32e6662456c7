import { z } from 'zod';
import type { Broker } from '../broker/broker.js';
import type { Binding } from '../broker/exchange-routing.js';
import { apiPath } from '../broker/management-client.js';
import { exchangeNotFound, orIfNotFound, vhostNotFound } from './not-found.js';
import { capOutput, pageFooter, plural, quoted, rate, record, table, walkedOnlyNote } from './output.js';
import { checkRegex, confirm, exchangeName, nameFilter, objectName, paging, table as argumentTable, vhost } from './schemas.js';
import { type ExchangeList, ONE_ITEM_PAGE, exchangeList, pageFields } from './structured.js';
import { READ_ONLY, defineTool, destroys, writes } from './tool.js';
import { pageOfVhost } from './vhost-page.js';
import { judgeExchangeDeletion, judgeNewExchange } from './scope-effects.js';
import { inQuotes } from '../broker/one-line.js';

export interface ExchangeInfo {
  name: string;
  vhost: string;
  type: string;
  durable?: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: Record<string, unknown>;
  policy?: string;
  message_stats?: Record<string, unknown>;
}

export function getExchangeInfo(broker: Broker, vhostName: string, name: string): Promise<ExchangeInfo> {
  return broker.management.get<ExchangeInfo>(apiPath('exchanges', vhostName, name === '' ? 'amq.default' : name), {
    notFound: exchangeNotFound(name, vhostName),
  });
}

export function describeBinding(binding: Binding): string {
  const args = binding.arguments && Object.keys(binding.arguments).length > 0 ? ` args ${JSON.stringify(binding.arguments)}` : '';
  return `${quoted(binding.source)} → ${binding.destination_type} ${inQuotes(binding.destination)} key ${inQuotes(binding.routing_key)}${args}`;
}

/** Refuses names RabbitMQ reserves, before the broker answers with a bare ACCESS_REFUSED. */
function reservedExchange(name: string): string | undefined {
  if (name === '') return 'the default exchange cannot be created, deleted or changed';
  if (name.startsWith('amq.')) return `exchange names starting with 'amq.' are reserved by RabbitMQ (${inQuotes(name)})`;
  return undefined;
}

const LIST_COLUMNS = [
  'name',
  'type',
  'durable',
  'auto_delete',
  'internal',
  'message_stats.publish_in_details.rate',
  'message_stats.publish_out_details.rate',
];

export const listExchanges = defineTool({
  name: 'list_exchanges',
  title: 'List exchanges',
  group: 'exchanges',
  description: 'Exchanges with type, flags, rates; or one with bindings.',
  input: z.strictObject({
    vhost,
    name: exchangeName.optional().describe('One, with bindings'),
    filter: nameFilter,
    ...paging,
  }),
  output: exchangeList,
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    if (args.name !== undefined) {
      const exchange = await getExchangeInfo(broker, vhostName, args.name);
      const text = await exchangeDetail(broker, vhostName, args.name, exchange);
      return { text, structured: { vhost: vhostName, ...ONE_ITEM_PAGE, exchanges: [exchangeItemOf(exchange)] } };
    }
    const badRegex = await checkRegex(args.filter);
    if (badRegex) return { text: badRegex, isError: true };
    const page = await pageOfVhost<ExchangeInfo>(broker, 'exchanges', vhostName, args, { sort: 'name', columns: LIST_COLUMNS });
    const structured: ExchangeList = { vhost: vhostName, ...pageFields(page), exchanges: page.items.map(exchangeItemOf) };
    if (page.filteredCount === 0) {
      return { text: `No exchange in vhost ${inQuotes(vhostName)} matches /${args.filter ?? ''}/.${walkedOnlyNote(page)}`, structured };
    }
    const rows = page.items.map((e) => [
      e.name === '' ? '(default)' : e.name,
      e.type,
      [e.durable ? 'D' : '', e.auto_delete ? 'AD' : '', e.internal ? 'I' : ''].filter(Boolean).join(','),
      rate(e.message_stats, 'publish_in') ?? 0,
      rate(e.message_stats, 'publish_out') ?? 0,
    ]);
    const text = capOutput(
      `Exchanges in vhost ${inQuotes(vhostName)} (flags: D durable, AD auto-delete, I internal)\n${table(['name', 'type', 'flags', 'in/s', 'out/s'], rows)}\n${pageFooter(page, 'list_exchanges')}`,
    );
    return { text, structured };
  },
});

function exchangeItemOf(e: ExchangeInfo): ExchangeList['exchanges'][number] {
  return {
    name: e.name,
    type: e.type,
    durable: e.durable ?? false,
    auto_delete: e.auto_delete ?? false,
    internal: e.internal ?? false,
    in_per_s: rate(e.message_stats, 'publish_in') ?? 0,
    out_per_s: rate(e.message_stats, 'publish_out') ?? 0,
  };
}

async function exchangeDetail(broker: Broker, vhostName: string, name: string, exchange: ExchangeInfo): Promise<string> {
  if (name === '') {
    return `The default exchange (direct) in vhost ${inQuotes(vhostName)} routes each message to the queue named by its routing key; it has no explicit bindings.`;
  }
  const [outgoing, incoming] = await Promise.all([
    broker.management.get<Binding[]>(apiPath('exchanges', vhostName, name, 'bindings', 'source')),
    broker.management.get<Binding[]>(apiPath('exchanges', vhostName, name, 'bindings', 'destination')),
  ]);
  const list = (bindings: Binding[]) =>
    bindings.length === 0
      ? 'none'
      : `${bindings.length}\n${bindings
          .slice(0, 100)
          .map((b) => `  ${describeBinding(b)}`)
          .join('\n')}`;
  return capOutput(
    `${record({
      exchange: `${exchange.name} (${exchange.type}) in vhost ${inQuotes(exchange.vhost)}`,
      flags: [exchange.durable ? 'durable' : 'transient', exchange.auto_delete ? 'auto-delete' : '', exchange.internal ? 'internal' : '']
        .filter(Boolean)
        .join(', '),
      arguments: exchange.arguments,
      policy: exchange.policy,
      'rates/s': `in ${rate(exchange.message_stats, 'publish_in') ?? 0}, out ${rate(exchange.message_stats, 'publish_out') ?? 0}`,
    })}\nbindings_out: ${list(outgoing)}\nbindings_in: ${list(incoming)}`,
  );
}

const BUILT_IN_TYPES = ['direct', 'fanout', 'topic', 'headers'];

export const createExchange = defineTool({
  name: 'create_exchange',
  title: 'Create exchange',
  group: 'exchanges',
  description: 'Declare an exchange.',
  input: z.strictObject({
    vhost,
    name: objectName('exchange name'),
    type: z
      .string()
      .regex(/^(direct|fanout|topic|headers|x-[\w.-]+)$/, 'type must be direct, fanout, topic, headers or a plugin type starting with x-')
      .describe('direct, fanout, topic, headers, x-…'),
    durable: z.boolean().optional().describe('Default true'),
    auto_delete: z.boolean().optional().describe('Goes with its last binding'),
    internal: z.boolean().optional().describe('No publishing to it'),
    alternate_exchange: exchangeName.optional().describe('Gets what is unroutable'),
    arguments: argumentTable.optional().describe('Other x- arguments'),
  }),
  annotations: writes(true),
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const reserved = reservedExchange(args.name);
    if (reserved) return { text: `Exchange not created: ${reserved}.`, isError: true };
    if (!BUILT_IN_TYPES.includes(args.type)) {
      const overview = await broker.management.get<{ exchange_types: { name: string }[] }>(apiPath('overview'), {
        query: { columns: 'exchange_types' },
      });
      const known = overview.exchange_types.map((t) => t.name);
      if (!known.includes(args.type)) {
        return {
          text: `Exchange not created: type ${inQuotes(args.type)} is not enabled on this broker (available: ${known.join(', ')}).`,
          isError: true,
        };
      }
    }
    const exchangeArguments = { ...args.arguments, ...(args.alternate_exchange ? { 'alternate-exchange': args.alternate_exchange } : {}) };
    const path = apiPath('exchanges', vhostName, args.name);
    const existed = await orIfNotFound(
      broker.management.get(path, { query: { columns: 'name' } }).then(() => true),
      false,
    );
    // An exchange that exists stays as it is; a new one is judged by where its alternate exchange sends messages.
    const refusal = existed ? undefined : await judgeNewExchange(broker, vhostName, args.name, args.type, exchangeArguments);
    if (refusal) return { text: refusal, isError: true };
    await broker.management.put(
      path,
      {
        type: args.type,
        durable: args.durable ?? true,
        auto_delete: args.auto_delete ?? false,
        internal: args.internal ?? false,
        arguments: exchangeArguments,
      },
      { notFound: vhostNotFound(vhostName) },
    );
    return existed
      ? `Exchange ${inQuotes(args.name)} already existed in vhost ${inQuotes(vhostName)} with the same settings; nothing changed.`
      : `Created ${args.type} exchange ${inQuotes(args.name)} in vhost ${inQuotes(vhostName)}.`;
  },
});

export const deleteExchange = defineTool({
  name: 'delete_exchange',
  title: 'Delete exchange',
  group: 'exchanges',
  description: 'Delete an exchange and its bindings.',
  input: z.strictObject({
    vhost,
    name: objectName('exchange name'),
    if_unused: z.boolean().optional().describe('Only if unbound'),
    confirm,
  }),
  annotations: destroys(true),
  async handler(args, { broker, confirm }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const reserved = reservedExchange(args.name);
    if (reserved) return { text: `Exchange not deleted: ${reserved}.`, isError: true };
    const exchange = await getExchangeInfo(broker, vhostName, args.name);
    const refusal = await judgeExchangeDeletion(broker, vhostName, args.name);
    if (refusal) return { text: refusal, isError: true };
    const [outgoing, incoming] = await Promise.all([
      broker.management.get<Binding[]>(apiPath('exchanges', vhostName, args.name, 'bindings', 'source')),
      broker.management.get<Binding[]>(apiPath('exchanges', vhostName, args.name, 'bindings', 'destination')),
    ]);
    if (args.if_unused && outgoing.length > 0) {
      return {
        text: `Exchange ${inQuotes(args.name)} was not deleted: it has ${plural(outgoing.length, 'binding')} (if_unused).`,
        isError: true,
      };
    }
    const impact = `${exchange.type} exchange ${inQuotes(args.name)} in vhost ${inQuotes(vhostName)} with ${plural(outgoing.length, 'outgoing binding')} (to ${
      [...new Set(outgoing.map((b) => b.destination))].slice(0, 10).join(', ') || 'nothing'
    }) and ${plural(incoming.length, 'incoming exchange binding')}`;
    const declined = await confirm(args.confirm, `would delete ${impact}; publishers to it would get a NOT_FOUND channel error`);
    if (declined) return declined;
    await broker.management.delete(apiPath('exchanges', vhostName, args.name), {
      query: { 'if-unused': args.if_unused ? 'true' : undefined },
      notFound: exchangeNotFound(args.name, vhostName),
    });
    return `Deleted ${impact}.`;
  },
});
