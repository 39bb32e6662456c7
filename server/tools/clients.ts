import { z } from 'zod';
import type { Broker } from '../broker/broker.js';
import { BrokerError } from '../broker/broker-errors.js';
import { apiPath } from '../broker/management-client.js';
import { SERVER_NAME } from '../version.js';
import { vhostNotFound } from './not-found.js';
import { capOutput, pageFooter, plural, rate, record, table } from './output.js';
import { compileNameFilter, matchingItems } from '../broker/name-filter.js';
import { DEFAULT_PAGE_SIZE, checkRegex, confirm, nameFilter, objectName, paging, vhost } from './schemas.js';
import { type ClientList, ONE_ITEM_PAGE, clientList, pageFields } from './structured.js';
import { READ_ONLY, type ToolResult, defineTool, destroys } from './tool.js';
import { inQuotes } from '../broker/one-line.js';

interface ConnectionInfo {
  name: string;
  user?: string;
  vhost?: string;
  state?: string;
  channels?: number;
  protocol?: string;
  ssl?: boolean;
  peer_host?: string;
  peer_port?: number;
  connected_at?: number;
  timeout?: number;
  client_properties?: { connection_name?: string; product?: string; version?: string; platform?: string };
  recv_oct_details?: { rate: number };
  send_oct_details?: { rate: number };
}

interface ChannelInfo {
  name: string;
  user?: string;
  vhost?: string;
  state?: string;
  prefetch_count?: number;
  messages_unacknowledged?: number;
  messages_unconfirmed?: number;
  consumer_count?: number;
  confirm?: boolean;
  transactional?: boolean;
  message_stats?: Record<string, unknown>;
  connection_details?: { name?: string };
}

interface ConsumerInfo {
  consumer_tag: string;
  queue: { name: string; vhost: string };
  channel_details?: { name?: string; connection_name?: string; user?: string };
  prefetch_count?: number;
  ack_required?: boolean;
  active?: boolean;
  exclusive?: boolean;
}

const nameText = z.string().min(1).max(1000);

function clientName(connection: ConnectionInfo): string {
  const props = connection.client_properties ?? {};
  return props.connection_name ?? [props.product, props.version].filter(Boolean).join(' ');
}

/** Pages a list the management API does not page itself. */
function pageLocally<T>(items: readonly T[], page = 1, pageSize = DEFAULT_PAGE_SIZE) {
  const pageCount = Math.max(1, Math.ceil(items.length / pageSize));
  const current = Math.min(page, pageCount);
  return { items: items.slice((current - 1) * pageSize, current * pageSize), page: current, pageCount, filteredCount: items.length };
}

interface ClientListArgs {
  vhost?: string;
  filter?: string;
  page?: number;
  page_size?: number;
}

/**
 * Connections or channels, one page. Unfiltered across all vhosts, the broker sorts and pages; its
 * own filter matches only the address-style name, so a filter (which covers every name the list
 * shows: the client's own name, the user) and one vhost (whose API returns everything) are done here.
 */
async function pageOfClients<T extends { name: string; messages_unacknowledged?: number }>(
  broker: Broker,
  resource: 'connections' | 'channels',
  args: ClientListArgs,
  order: { sort: string; sortReverse: boolean; columns: readonly string[] },
  names: (item: T) => (string | undefined)[],
) {
  const pageSize = args.page_size ?? DEFAULT_PAGE_SIZE;
  if (args.vhost === undefined && !args.filter) {
    return broker.management.getPage<T>(apiPath(resource), { page: args.page, pageSize, ...order });
  }
  const all =
    args.vhost === undefined
      ? await broker.management.get<T[]>(apiPath(resource), { query: { columns: order.columns.join(',') } })
      : await broker.management.get<T[]>(apiPath('vhosts', args.vhost, resource), { notFound: vhostNotFound(args.vhost) });
  const pattern = args.filter ? await compileNameFilter(args.filter) : undefined;
  const key = order.sort as keyof T;
  const sorted = (pattern ? await matchingItems(all, pattern, names) : [...all]).sort((a, b) => {
    const difference = a[key] === b[key] ? 0 : (a[key] ?? 0) < (b[key] ?? 0) ? -1 : 1;
    return order.sortReverse ? -difference : difference;
  });
  return pageLocally(sorted, args.page, pageSize);
}

function noneFound(what: string, args: ClientListArgs): string {
  return `No ${what}${args.vhost ? ` in vhost ${inQuotes(args.vhost)}` : ''}${args.filter ? ` matching /${args.filter}/` : ''}.`;
}

const CONNECTION_COLUMNS = ['name', 'user', 'vhost', 'state', 'channels', 'client_properties', 'recv_oct_details', 'send_oct_details'];

export const listConnections = defineTool({
  name: 'list_connections',
  title: 'Connections and consumers',
  group: 'clients',
  description: 'Connections (user, client, traffic), channels or consumers.',
  input: z.strictObject({
    vhost,
    show: z.enum(['connections', 'channels', 'consumers']).optional().describe('Default connections'),
    name: nameText.optional().describe('One, in detail'),
    queue: objectName('queue name').optional().describe('Consumers of this queue'),
    filter: nameFilter,
    ...paging,
  }),
  output: clientList,
  annotations: READ_ONLY,
  async handler(args, { broker }): Promise<ToolResult> {
    const badRegex = await checkRegex(args.filter);
    if (badRegex) return { text: badRegex, isError: true };
    const show = args.show ?? (args.queue !== undefined ? 'consumers' : 'connections');
    if (args.queue !== undefined && show !== 'consumers') return { text: 'queue goes with show: consumers.', isError: true };
    if (show === 'channels') return listChannels(broker, args);
    if (show === 'consumers') return listConsumers(broker, args);
    if (args.name !== undefined) return connectionDetail(broker, args.name);
    const page = await pageOfClients<ConnectionInfo>(
      broker,
      'connections',
      args,
      {
        sort: 'name',
        sortReverse: false,
        columns: CONNECTION_COLUMNS,
      },
      (c) => [c.name, clientName(c), c.user],
    );
    const structured: ClientList = {
      ...(args.vhost ? { vhost: args.vhost } : {}),
      ...pageFields(page),
      connections: page.items.map(connectionItemOf),
    };
    if (page.filteredCount === 0) return { text: noneFound('connections', args), structured };
    const rows = page.items.map((c) => [
      c.name,
      c.user,
      c.vhost,
      clientName(c),
      c.state,
      c.channels ?? 0,
      c.recv_oct_details?.rate ?? 0,
      c.send_oct_details?.rate ?? 0,
    ]);
    const text = capOutput(
      `${table(['name', 'user', 'vhost', 'client', 'state', 'channels', 'recv B/s', 'send B/s'], rows)}\n${pageFooter(page, 'list_connections')}`,
    );
    return { text, structured };
  },
});

function connectionItemOf(c: ConnectionInfo): NonNullable<ClientList['connections']>[number] {
  return {
    name: c.name,
    ...(c.user !== undefined ? { user: c.user } : {}),
    ...(c.vhost !== undefined ? { vhost: c.vhost } : {}),
    client: clientName(c),
    ...(c.state !== undefined ? { state: c.state } : {}),
    channels: c.channels ?? 0,
    recv_bytes_per_s: c.recv_oct_details?.rate ?? 0,
    send_bytes_per_s: c.send_oct_details?.rate ?? 0,
  };
}

function channelItemOf(c: ChannelInfo): NonNullable<ClientList['channels']>[number] {
  return {
    name: c.name,
    ...(c.user !== undefined ? { user: c.user } : {}),
    ...(c.vhost !== undefined ? { vhost: c.vhost } : {}),
    prefetch: c.prefetch_count ?? 0,
    unacked: c.messages_unacknowledged ?? 0,
    consumers: c.consumer_count ?? 0,
    publish_per_s: rate(c.message_stats, 'publish') ?? 0,
    deliver_per_s: rate(c.message_stats, 'deliver_get') ?? 0,
  };
}

function consumerItemOf(c: ConsumerInfo): NonNullable<ClientList['consumers']>[number] {
  const channel = c.channel_details?.name ?? c.channel_details?.connection_name;
  return {
    queue: c.queue.name,
    tag: c.consumer_tag,
    ...(channel !== undefined ? { channel } : {}),
    ...(c.channel_details?.user !== undefined ? { user: c.channel_details.user } : {}),
    prefetch: c.prefetch_count ?? 0,
    manual_ack: c.ack_required ?? false,
    active: c.active !== false,
    exclusive: c.exclusive ?? false,
  };
}

const CHANNEL_COLUMNS = [
  'name',
  'user',
  'vhost',
  'state',
  'prefetch_count',
  'messages_unacknowledged',
  'consumer_count',
  'confirm',
  'message_stats.publish_details.rate',
  'message_stats.deliver_get_details.rate',
];

function channelRow(c: ChannelInfo) {
  return [
    c.name,
    c.user,
    c.vhost,
    c.state,
    c.prefetch_count ?? 0,
    c.messages_unacknowledged ?? 0,
    c.consumer_count ?? 0,
    c.confirm ? 'yes' : 'no',
    rate(c.message_stats, 'publish') ?? 0,
    rate(c.message_stats, 'deliver_get') ?? 0,
  ];
}
const CHANNEL_HEADER = ['name', 'user', 'vhost', 'state', 'prefetch', 'unacked', 'consumers', 'confirm', 'publish/s', 'deliver/s'];

function connectionNotFound(name: string): string {
  return `connection ${inQuotes(name)} not found (it may have closed already); list_connections shows the open ones`;
}

/**
 * A request about one connection. RabbitMQ looks the connection up more than once per request,
 * so one that closes in between answers 500 instead of 404: if it is no longer listed, that is
 * the "not found" the user should read.
 */
async function aboutConnection<T>(broker: Broker, name: string, request: (notFound: string) => Promise<T>): Promise<T> {
  const notFound = connectionNotFound(name);
  try {
    return await request(notFound);
  } catch (error) {
    if (!(error instanceof BrokerError) || error.status !== 500) throw error;
    const open = await broker.management.get<{ name: string }[]>(apiPath('connections'), { query: { columns: 'name,vhost' } });
    if (open.some((connection) => connection.name === name)) throw error;
    throw new BrokerError('not_found', notFound, { status: 404, service: 'management' });
  }
}

async function connectionDetail(broker: Broker, name: string): Promise<ToolResult> {
  const [connection, channels] = await Promise.all([
    aboutConnection(broker, name, (notFound) => broker.management.get<ConnectionInfo>(apiPath('connections', name), { notFound })),
    aboutConnection(broker, name, (notFound) =>
      broker.management.get<ChannelInfo[]>(apiPath('connections', name, 'channels'), { notFound }),
    ),
  ]);
  const props = connection.client_properties ?? {};
  const text = capOutput(
    `${record({
      connection: connection.name,
      user: connection.user,
      vhost: connection.vhost,
      client: [props.connection_name, props.product, props.version, props.platform].filter(Boolean).join(', ') || undefined,
      state: connection.state,
      protocol: `${connection.protocol ?? '?'}${connection.ssl ? ' over TLS' : ''}`,
      peer: connection.peer_host ? `${connection.peer_host}:${connection.peer_port}` : undefined,
      connected_at: connection.connected_at ? new Date(connection.connected_at).toISOString() : undefined,
      heartbeat_s: connection.timeout,
      'traffic B/s': `recv ${connection.recv_oct_details?.rate ?? 0}, send ${connection.send_oct_details?.rate ?? 0}`,
    })}\nchannels: ${channels.length}${channels.length > 0 ? `\n${table(CHANNEL_HEADER, channels.map(channelRow))}` : ''}`,
  );
  const structured: ClientList = {
    ...ONE_ITEM_PAGE,
    connections: [connectionItemOf(connection)],
    channels: channels.map(channelItemOf),
  };
  return { text, structured };
}

type ListArgs = { vhost?: string; filter?: string; queue?: string; page?: number; page_size?: number };

async function listChannels(broker: Broker, args: ListArgs): Promise<ToolResult> {
  const page = await pageOfClients<ChannelInfo>(
    broker,
    'channels',
    args,
    {
      sort: 'messages_unacknowledged',
      sortReverse: true,
      columns: CHANNEL_COLUMNS,
    },
    (c) => [c.name, c.user],
  );
  const structured: ClientList = {
    ...(args.vhost ? { vhost: args.vhost } : {}),
    ...pageFields(page),
    channels: page.items.map(channelItemOf),
  };
  if (page.filteredCount === 0) return { text: noneFound('channels', args), structured };
  return { text: capOutput(`${table(CHANNEL_HEADER, page.items.map(channelRow))}\n${pageFooter(page, 'list_connections')}`), structured };
}

async function listConsumers(broker: Broker, args: ListArgs): Promise<ToolResult> {
  const vhostName = args.vhost ?? broker.defaultVhost;
  if (args.queue !== undefined) broker.scope.checkQueue(vhostName, args.queue);
  const all = await broker.management.get<ConsumerInfo[]>(apiPath('consumers', vhostName), {
    notFound: vhostNotFound(vhostName),
  });
  const pattern = args.filter ? await compileNameFilter(args.filter) : undefined;
  // The filter covers every name the table shows: queue, consumer tag, channel, user.
  const shown = (c: ConsumerInfo) => [
    c.queue.name,
    c.consumer_tag,
    c.channel_details?.name ?? c.channel_details?.connection_name,
    c.channel_details?.user,
  ];
  const ofQueue = all.filter((c) => args.queue === undefined || c.queue.name === args.queue);
  const matching = pattern ? await matchingItems(ofQueue, pattern, shown) : ofQueue;
  const page = pageLocally(matching, args.page, args.page_size ?? DEFAULT_PAGE_SIZE);
  const structured: ClientList = { vhost: vhostName, ...pageFields(page), total: all.length, consumers: page.items.map(consumerItemOf) };
  if (matching.length === 0)
    return { text: `No consumers in vhost ${inQuotes(vhostName)}${args.queue ? ` on queue ${inQuotes(args.queue)}` : ''}.`, structured };
  const rows = page.items.map((c) => [
    c.queue.name,
    c.consumer_tag,
    c.channel_details?.name ?? c.channel_details?.connection_name,
    c.channel_details?.user,
    c.prefetch_count ?? 0,
    c.ack_required ? 'manual' : 'auto',
    c.active === false ? 'waiting' : 'yes',
    c.exclusive ? 'yes' : 'no',
  ]);
  const text = capOutput(
    `Consumers in vhost ${inQuotes(vhostName)}\n${table(['queue', 'tag', 'channel', 'user', 'prefetch', 'ack', 'active', 'exclusive'], rows)}\n${pageFooter(page, 'list_connections')}`,
  );
  return { text, structured };
}

export const closeConnection = defineTool({
  name: 'close_connection',
  title: 'Close connection',
  group: 'clients',
  description: 'Close a connection, its channels and consumers.',
  input: z.strictObject({
    name: nameText.describe('From list_connections'),
    reason: z.string().max(200).optional().describe('Told to the client'),
    confirm,
  }),
  annotations: destroys(true),
  async handler(args, { broker, confirm }) {
    const connection = await aboutConnection(broker, args.name, (notFound) =>
      broker.management.get<ConnectionInfo>(apiPath('connections', args.name), { notFound }),
    );
    if (clientName(connection).startsWith(SERVER_NAME) && clientName(connection).includes(`pid ${process.pid}`)) {
      return {
        text: `Connection ${inQuotes(args.name)} is this MCP server's own; closing it would only make the server reconnect.`,
        isError: true,
      };
    }
    const impact = `connection ${inQuotes(args.name)} (user ${connection.user}, vhost ${connection.vhost}, client ${clientName(connection) || 'unnamed'}, ${plural(connection.channels ?? 0, 'channel')})`;
    const declined = await confirm(args.confirm, `would close ${impact}; its consumers stop and their unacked messages are requeued`);
    if (declined) return declined;
    await aboutConnection(broker, args.name, (notFound) =>
      broker.management.delete(apiPath('connections', args.name), {
        headers: { 'x-reason': args.reason ?? `closed by ${SERVER_NAME}` },
        notFound,
      }),
    );
    return `Closed ${impact}.`;
  },
});
