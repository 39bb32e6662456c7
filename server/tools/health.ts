import { z } from 'zod';
import { type NodeSummary, alarmsOf } from '../broker/alarms.js';
import { BrokerError } from '../broker/broker-errors.js';
import type { Broker } from '../broker/broker.js';
import { wallSummary } from '../broker/own-permissions.js';
import { bytes } from '../broker/byte-size.js';
import { apiPath } from '../broker/management-client.js';
import { type Majorities, QUORUM_COLUMNS, type QueueReplicas, lostMajority, majoritiesOf, queueNames } from '../broker/quorum-majority.js';
import { formatNumber, plural, rate, record, table } from './output.js';
import { type OverviewData, overview as overviewSchema } from './structured.js';
import { READ_ONLY, defineTool } from './tool.js';
import { inQuotes } from '../broker/one-line.js';

interface Overview {
  rabbitmq_version: string;
  erlang_version: string;
  cluster_name: string;
  node: string;
  object_totals?: Record<string, number>;
  queue_totals?: { messages?: number; messages_ready?: number; messages_unacknowledged?: number };
  message_stats?: Record<string, unknown>;
  listeners?: { node: string; protocol: string; ip_address: string; port: number }[];
}

const NODE_COLUMNS = [
  'name',
  'type',
  'running',
  'uptime',
  'mem_used',
  'mem_limit',
  'mem_alarm',
  'disk_free',
  'disk_free_limit',
  'disk_free_alarm',
  'fd_used',
  'fd_total',
  'sockets_used',
  'sockets_total',
  'proc_used',
  'proc_total',
  'run_queue',
  'partitions',
];

function duration(milliseconds: number | undefined): string | undefined {
  if (milliseconds === undefined) return undefined;
  const minutes = Math.floor(milliseconds / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  return days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes % 60}m` : `${minutes}m`;
}

function percent(part: number | undefined, whole: number | undefined): string {
  return part !== undefined && whole ? ` (${Math.round((part / whole) * 100)}%)` : '';
}

/** Who the server is logged in as, and how long the management API takes to answer (a ping). */
async function whoami(broker: Broker): Promise<string> {
  const started = performance.now();
  const me = await broker.management.get<{ name: string; tags: string[] | string }>(apiPath('whoami'));
  const ms = Math.round(performance.now() - started);
  const tags = Array.isArray(me.tags) ? me.tags : String(me.tags).split(',').filter(Boolean);
  const amqp = broker.amqp.default.state.status;
  return `${me.name} (${tags.join(', ') || 'no tags'}) on vhost ${broker.defaultVhost}; management API ${ms} ms, AMQP ${amqp}`;
}

/** Which promises the broker holds for the server's user and which only the server does (own-permissions.ts). */
async function wallLines(broker: Broker): Promise<{ broker: string; server: string }> {
  try {
    return wallSummary(await broker.wall.report());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { broker: `not known: the server's own user could not be read (${reason})`, server: 'every promise, as far as it knows' };
  }
}

export async function overviewText(broker: Broker): Promise<string> {
  return (await overviewReport(broker, clusterHealth(broker))).text;
}

/** The cluster's nodes, and when one is down, what that did to the quorum queues. */
interface ClusterHealth {
  nodes: NodeSummary[];
  down: string[];
  /** Why the nodes are not shown: a user without the monitoring tag may not list them. */
  hidden?: string;
  /** Read only while a node is down (every quorum queue is listed for it). */
  quorum?: Majorities;
}

async function clusterHealth(broker: Broker): Promise<ClusterHealth> {
  let nodes: NodeSummary[];
  try {
    nodes = await broker.management.get<NodeSummary[]>(apiPath('nodes'), { query: { columns: NODE_COLUMNS.join(',') } });
  } catch (error) {
    // A least-privilege user (create-user) has the management tag only, when monitoring would show every vhost.
    if (!(error instanceof BrokerError && error.code === 'forbidden')) throw error;
    return { nodes: [], down: [], hidden: `not shown to user ${broker.user} (listing nodes needs the monitoring tag)` };
  }
  const down = nodes.filter((node) => !node.running).map((node) => node.name);
  if (down.length === 0) return { nodes, down };
  const queues = await broker.management.getAll<QueueReplicas>(apiPath('queues'), { columns: QUORUM_COLUMNS });
  const running = new Set(nodes.filter((node) => node.running).map((node) => node.name));
  return { nodes, down, quorum: majoritiesOf(queues, running) };
}

/** What the down nodes did to the quorum queues, in words the model can act on; undefined while every node runs. */
function quorumText({ down, quorum }: ClusterHealth): string | undefined {
  if (!quorum) return undefined;
  const { lost, degraded, edge } = quorum;
  if (lost.length > 0) {
    const more = lost.length > 10 ? `; and ${lost.length - 10} more` : '';
    return `${plural(lost.length, 'queue')} without a majority, accepting no publishes and delivering nothing until enough of their nodes run again: ${lost.slice(0, 10).map(lostMajority).join('; ')}${more}. Start the down nodes (${down.join(', ')}); do not remove them from the cluster: their queues need them.`;
  }
  if (degraded.length === 0) return `no quorum queue has a member on the down node${down.length === 1 ? '' : 's'}.`;
  const risk = edge.length > 0 ? `; one more node down would stop ${queueNames(edge)} (just a majority left)` : '';
  return `every quorum queue still has a majority of its members running, ${plural(degraded.length, 'queue')} with a member down included${risk}.`;
}

interface VisibleQueue {
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  message_stats?: Record<string, unknown>;
}

const RATE_KEYS = ['publish', 'deliver_get', 'ack', 'redeliver'];

/**
 * Under a scope, the totals of what the scope shows, summed from its own lists: the broker's
 * totals (objects, messages, rates) count hidden queues too, and would tell how busy they are.
 */
async function scopedTotals(broker: Broker): Promise<Pick<Overview, 'object_totals' | 'queue_totals' | 'message_stats'>> {
  const [queues, exchanges, connections, channels] = await Promise.all([
    broker.management.getAll<VisibleQueue>(apiPath('queues'), {
      columns: [
        'name',
        'vhost',
        'messages',
        'messages_ready',
        'messages_unacknowledged',
        'consumers',
        ...RATE_KEYS.map((key) => `message_stats.${key}_details.rate`),
      ],
    }),
    broker.management.getAll<unknown>(apiPath('exchanges'), { columns: ['name', 'vhost'] }),
    broker.management.getAll<unknown>(apiPath('connections'), { columns: ['name', 'vhost'] }),
    broker.management.getAll<unknown>(apiPath('channels'), { columns: ['name', 'vhost'] }),
  ]);
  const sum = (pick: (queue: VisibleQueue) => number | undefined) => queues.reduce((total, queue) => total + (pick(queue) ?? 0), 0);
  return {
    object_totals: {
      queues: queues.length,
      exchanges: exchanges.length,
      connections: connections.length,
      channels: channels.length,
      consumers: sum((queue) => queue.consumers),
    },
    queue_totals: {
      messages: sum((queue) => queue.messages),
      messages_ready: sum((queue) => queue.messages_ready),
      messages_unacknowledged: sum((queue) => queue.messages_unacknowledged),
    },
    message_stats: Object.fromEntries(RATE_KEYS.map((key) => [`${key}_details`, { rate: sum((queue) => rate(queue.message_stats, key)) }])),
  };
}

/** The overview as text for the model and as data (get_overview's structured result). */
async function overviewReport(broker: Broker, health: Promise<ClusterHealth>): Promise<{ text: string; data: OverviewData }> {
  const [overview, cluster, connectedAs, wall, scoped] = await Promise.all([
    broker.management.get<Overview>(apiPath('overview')),
    health,
    whoami(broker),
    wallLines(broker),
    broker.scope.active ? scopedTotals(broker) : undefined,
  ]);
  const { nodes, down } = cluster;
  const totals = (scoped ?? overview).object_totals ?? {};
  const queued = (scoped ?? overview).queue_totals ?? {};
  const stats = (scoped ?? overview).message_stats;
  const alarms = alarmsOf(nodes);
  const listeners = (overview.listeners ?? [])
    .filter((listener) => listener.protocol !== 'clustering')
    .map((listener) => `${listener.protocol} ${listener.ip_address}:${listener.port}`);
  const data: OverviewData = {
    version: overview.rabbitmq_version,
    erlang: overview.erlang_version,
    cluster: overview.cluster_name,
    nodes_running: nodes.length - down.length,
    nodes: nodes.length,
    nodes_down: down,
    messages: queued.messages ?? 0,
    ready: queued.messages_ready ?? 0,
    unacked: queued.messages_unacknowledged ?? 0,
    objects: Object.fromEntries(['queues', 'exchanges', 'connections', 'channels', 'consumers'].map((key) => [key, totals[key] ?? 0])),
    publish_per_s: rate(stats, 'publish') ?? 0,
    deliver_per_s: rate(stats, 'deliver_get') ?? 0,
    alarms,
    quorum_queues_without_majority: (cluster.quorum?.lost ?? []).map((queue) => ({
      name: queue.name,
      vhost: queue.vhost,
      members: queue.members,
      members_down: queue.down,
    })),
  };
  const text = record({
    broker: `RabbitMQ ${overview.rabbitmq_version} (Erlang ${overview.erlang_version}), cluster ${overview.cluster_name}`,
    nodes:
      cluster.hidden ?? `${nodes.length - down.length} of ${nodes.length} running${down.length > 0 ? `; DOWN: ${down.join(', ')}` : ''}`,
    connected_as: connectedAs,
    enforced_by_broker: wall.broker,
    only_by_server: wall.server,
    scope: broker.scope.active ? `${broker.scope.describe()} (the counts and rates below are of what it shows)` : undefined,
    objects: ['queues', 'exchanges', 'connections', 'channels', 'consumers']
      .map((key) => plural(totals[key] ?? 0, key.replace(/s$/, '')))
      .join(', '),
    messages: `${queued.messages ?? 0} (${queued.messages_ready ?? 0} ready, ${queued.messages_unacknowledged ?? 0} unacked)`,
    'rates/s': ['publish', 'deliver_get', 'ack', 'redeliver'].map((key) => `${key} ${formatNumber(rate(stats, key) ?? 0)}`).join(', '),
    alarms: alarms.length > 0 ? alarms.join('; ') : 'none',
    quorum_queues: quorumText(cluster),
    listeners: [...new Set(listeners)].join(', '),
  });
  return { text, data };
}

function memoryTop(memory: NodeSummary['memory'], count = 6): string | undefined {
  if (!memory) return undefined;
  const parts = Object.entries(memory)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[0] !== 'total')
    .sort((a, b) => b[1] - a[1])
    .slice(0, count);
  return parts.map(([key, value]) => `${key} ${bytes(value)}`).join(', ');
}

async function nodeDetails(broker: Broker, health: Promise<ClusterHealth>): Promise<string> {
  const { nodes } = await health;
  const memories = await Promise.all(
    nodes.map((node) =>
      node.running
        ? broker.management
            .get<NodeSummary>(apiPath('nodes', node.name), { query: { memory: 'true', columns: 'memory' } })
            .then((detail) => detail.memory)
            .catch(() => undefined)
        : undefined,
    ),
  );
  return nodes
    .map((node, index) =>
      [
        `${node.name} (${node.type ?? '?'}, ${node.running ? `running, up ${duration(node.uptime)}` : 'DOWN'})`,
        record({
          memory: node.running
            ? `${bytes(node.mem_used)} of ${bytes(node.mem_limit)} limit${percent(node.mem_used, node.mem_limit)}${node.mem_alarm ? ' ALARM' : ''}`
            : undefined,
          memory_top: memoryTop(memories[index]),
          disk_free: node.running
            ? `${bytes(node.disk_free)}, limit ${bytes(node.disk_free_limit)}${node.disk_free_alarm ? ' ALARM' : ''}`
            : undefined,
          file_descriptors: node.fd_total ? `${node.fd_used}/${node.fd_total}${percent(node.fd_used, node.fd_total)}` : undefined,
          sockets: node.sockets_total ? `${node.sockets_used}/${node.sockets_total}` : undefined,
          erlang_processes: node.proc_total ? `${node.proc_used}/${node.proc_total}` : undefined,
          run_queue: node.run_queue,
          partitions: node.partitions && node.partitions.length > 0 ? node.partitions.join(', ') : undefined,
        }),
      ].join('\n'),
    )
    .join('\n\n');
}

interface CheckResult {
  status: 'ok' | 'failed';
  reason?: string;
  /** node-is-quorum-critical: what would lose its majority if this node stopped. */
  queues?: { name: string; virtual_host?: string; type?: string }[];
}

/** The quorum-critical check's list in words: queues by name and vhost, Ra clusters of RabbitMQ itself by what they are. */
function criticalMembers(queues: NonNullable<CheckResult['queues']>): string {
  const named = queues
    .slice(0, 10)
    .map((queue) =>
      queue.type === 'rabbit_quorum_queue' || queue.type === 'rabbit_stream_queue'
        ? `${inQuotes(queue.name)} in vhost ${inQuotes(queue.virtual_host)}`
        : queue.name === 'rabbitmq_metadata'
          ? "RabbitMQ's metadata store (rabbitmq_metadata)"
          : `${inQuotes(queue.name)} (${queue.type ?? 'process'})`,
    );
  return `${named.join(', ')}${queues.length > 10 ? `, and ${queues.length - 10} more` : ''}`;
}

interface Check {
  label: string;
  ok: boolean;
  reason?: string;
}

/** The cluster-wide checks, from what the overview read: every node up, every quorum queue with its majority. */
function clusterChecks({ down, quorum }: ClusterHealth): Check[] {
  const lost = quorum?.lost ?? [];
  return [
    { label: 'all nodes running', ok: down.length === 0, reason: down.length > 0 ? `DOWN: ${down.join(', ')}` : undefined },
    {
      label: 'quorum queues have a majority of their members running',
      ok: lost.length === 0,
      reason:
        lost.length > 0
          ? `${plural(lost.length, 'queue')} without one, accepting no publishes and delivering nothing: ${lost.slice(0, 10).map(lostMajority).join('; ')}${lost.length > 10 ? `; and ${lost.length - 10} more` : ''}`
          : undefined,
    },
  ];
}

async function healthChecks(broker: Broker, health: Promise<ClusterHealth>): Promise<string> {
  const overview = await broker.management.get<Overview>(apiPath('overview'), { query: { columns: 'node,listeners' } });
  const protocols = [
    ...new Set((overview.listeners ?? []).filter((l) => l.node === overview.node && l.protocol !== 'clustering').map((l) => l.protocol)),
  ];
  const checks: [string, string[]][] = [
    ['alarms', ['alarms']],
    ['local alarms', ['local-alarms']],
    ['virtual hosts running', ['virtual-hosts']],
    ['quorum queues keep a majority if this node stops', ['node-is-quorum-critical']],
    ['no certificate expires within 30 days', ['certificate-expiration', '30', 'days']],
    ...protocols.map((protocol): [string, string[]] => [`${protocol} listener`, ['protocol-listener', protocol]]),
  ];
  const nodeResults = await Promise.all(
    checks.map(async ([label, segments]): Promise<Check> => {
      try {
        const response = await broker.management.request<CheckResult>('GET', apiPath('health', 'checks', ...segments), {
          acceptStatus: [503],
        });
        const body = response.body;
        const members = body?.queues && body.queues.length > 0 ? `: ${criticalMembers(body.queues)}` : '';
        return { label, ok: body?.status === 'ok', reason: body?.reason ? `${body.reason}${members}` : undefined };
      } catch (error) {
        return { label, ok: false, reason: (error as Error).message };
      }
    }),
  );
  const results = [...clusterChecks(await health), ...nodeResults];
  const failed = results.filter((result) => !result.ok).length;
  const lines = results.map((result) => `${result.ok ? 'ok    ' : 'FAILED'} ${result.label}${result.reason ? `: ${result.reason}` : ''}`);
  return `${failed === 0 ? `All ${results.length} checks passed` : `${failed} of ${results.length} checks FAILED`} on node ${overview.node} (the first two across its cluster).\n${lines.join('\n')}`;
}

interface FeatureFlag {
  name: string;
  state: string;
  stability?: string;
  desc?: string;
}

/** Feature flags not enabled yet (they block upgrades), and deprecated features in use (4.x reports them). */
async function features(broker: Broker): Promise<string> {
  const flags = await broker.management.get<FeatureFlag[]>(apiPath('feature-flags'));
  const disabled = flags.filter((flag) => flag.state !== 'enabled');
  const lines = [
    `${flags.length - disabled.length} of ${flags.length} feature flags enabled.`,
    disabled.length > 0
      ? `Not enabled (enable before upgrading: rabbitmqctl enable_feature_flag all)\n${table(
          ['flag', 'state', 'stability', 'what'],
          disabled.map((f) => [f.name, f.state, f.stability, f.desc]),
        )}`
      : 'All are enabled.',
  ];
  try {
    const used = await broker.management.get<{ name: string; deprecation_phase?: string; desc?: string }[]>(
      apiPath('deprecated-features', 'used'),
    );
    lines.push(
      used.length > 0
        ? `Deprecated features in use\n${table(
            ['feature', 'phase', 'what'],
            used.map((f) => [f.name, f.deprecation_phase, f.desc]),
          )}`
        : 'No deprecated features in use.',
    );
  } catch (error) {
    // Before 3.13 the route does not exist: 404, or 406 when JSON is asked for.
    if (!(error instanceof BrokerError && (error.code === 'not_found' || error.status === 406))) throw error;
    lines.push('Deprecated features in use: not reported by this RabbitMQ version (3.13 and later report them).');
  }
  return lines.join('\n');
}

export const getOverview = defineTool({
  name: 'get_overview',
  title: 'Broker overview',
  group: 'health',
  description: 'Version, user, ping, totals, rates, alarms, listeners.',
  input: z.strictObject({
    include: z
      .array(z.enum(['nodes', 'checks', 'features']))
      .optional()
      .describe('Per-node memory/disk, health checks, feature flags'),
  }),
  output: overviewSchema,
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const include = new Set(args.include ?? []);
    const health = clusterHealth(broker);
    const report = overviewReport(broker, health);
    const parts = await Promise.all([
      report.then((r) => r.text),
      include.has('nodes') ? nodeDetails(broker, health).then((text) => `\nNodes\n${text}`) : '',
      include.has('checks') ? healthChecks(broker, health).then((text) => `\nHealth checks\n${text}`) : '',
      include.has('features') ? features(broker).then((text) => `\nFeatures\n${text}`) : '',
    ]);
    return { text: parts.filter(Boolean).join('\n'), structured: (await report).data };
  },
});
