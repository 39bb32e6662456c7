import { z } from 'zod';
import type { Broker } from '../../broker/broker.js';
import { apiPath } from '../../broker/management-client.js';
import { maskUri, withoutCredentials } from '../credentials.js';
import { orIfNotFound, vhostNotFound } from '../not-found.js';
import { capOutput, plural, record, table } from '../output.js';
import { objectName, vhost } from '../schemas.js';
import { READ_ONLY, defineTool } from '../tool.js';
import { inQuotes } from '../../broker/one-line.js';

interface User {
  name: string;
  tags: string[] | string;
}

interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

interface TopicPermission {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

interface Limits {
  vhost?: string;
  user?: string;
  value: Record<string, number>;
}

export interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  priority: number;
  definition: Record<string, unknown>;
}

interface Parameter {
  vhost: string;
  name: string;
  component: string;
  value: Record<string, unknown>;
}

interface ShovelStatus {
  name: string;
  vhost: string;
  state: string;
  type?: string;
  src_uri?: string;
  dest_uri?: string;
  src_queue?: string;
  src_exchange?: string;
  dest_queue?: string;
  dest_exchange?: string;
  reason?: string;
  timestamp?: string;
}

interface FederationLink {
  upstream: string;
  vhost: string;
  type: string;
  status: string;
  exchange?: string;
  queue?: string;
  upstream_exchange?: string;
  upstream_queue?: string;
  uri?: string;
  error?: string;
  timestamp?: string;
}

/** RabbitMQ 3.x gives tags as a comma-separated string, 4.x as a list. */
export function tagList(tags: string[] | string | undefined): string[] {
  if (Array.isArray(tags)) return tags;
  return (tags ?? '').split(',').filter(Boolean);
}

function limitsText(limits: Record<string, number> | undefined): string {
  const entries = Object.entries(limits ?? {});
  return entries.length > 0 ? entries.map(([key, value]) => `${key}=${value}`).join(', ') : 'none';
}

function topicText(p: TopicPermission): string {
  return `exchange ${p.exchange || '(default)'}: write=${p.write || '(none)'} read=${p.read || '(none)'}`;
}

/** The broker answers 404 for a user that does not exist. */
function userNotFound(name: string): string {
  return `user ${inQuotes(name)} not found; list_users shows the existing ones`;
}

async function userDetail(broker: Broker, name: string): Promise<string> {
  const notFound = userNotFound(name);
  const [user, permissions, topics, limits] = await Promise.all([
    broker.management.get<User>(apiPath('users', name), { notFound }),
    broker.management.get<Permission[]>(apiPath('users', name, 'permissions'), { notFound }),
    broker.management.get<TopicPermission[]>(apiPath('users', name, 'topic-permissions'), { notFound }),
    broker.management.get<Limits[]>(apiPath('user-limits', name), { notFound }).catch(() => []),
  ]);
  const lines = [
    record({
      user: user.name,
      tags: tagList(user.tags).join(', ') || 'none (cannot use the management API)',
      limits: limitsText(limits[0]?.value),
      'connected as': user.name === broker.user ? 'this server connects as this user' : undefined,
    }),
    permissions.length > 0
      ? `Permissions\n${table(
          ['vhost', 'configure', 'write', 'read'],
          permissions.map((p) => [p.vhost, p.configure, p.write, p.read]),
        )}`
      : 'Permissions: none (it cannot use any vhost)',
  ];
  if (topics.length > 0) {
    lines.push(
      `Topic permissions\n${table(
        ['vhost', 'exchange', 'write', 'read'],
        topics.map((p) => [p.vhost, p.exchange, p.write, p.read]),
      )}`,
    );
  }
  return lines.join('\n');
}

async function vhostAccess(broker: Broker, vhostName: string): Promise<string> {
  const notFound = vhostNotFound(vhostName);
  const [permissions, topics, limits] = await Promise.all([
    broker.management.get<Permission[]>(apiPath('vhosts', vhostName, 'permissions'), { notFound }),
    broker.management.get<TopicPermission[]>(apiPath('vhosts', vhostName, 'topic-permissions'), { notFound }),
    broker.management.get<Limits[]>(apiPath('vhost-limits', vhostName), { notFound }),
  ]);
  const lines = [`Who may use vhost ${inQuotes(vhostName)} (limits: ${limitsText(limits[0]?.value)})`];
  lines.push(
    permissions.length > 0
      ? table(
          ['user', 'configure', 'write', 'read'],
          permissions.map((p) => [p.user, p.configure, p.write, p.read]),
        )
      : 'No user has permissions here.',
  );
  if (topics.length > 0) lines.push(`Topic permissions\n${topics.map((p) => `${p.user}: ${topicText(p)}`).join('\n')}`);
  return lines.join('\n');
}

export const listUsers = defineTool({
  name: 'list_users',
  title: 'List users',
  group: 'admin',
  description: 'Users with tags and limits; never passwords.',
  input: z.strictObject({
    user: objectName('user name').optional().describe('One, with permissions'),
    vhost: vhost.describe('Who may use it'),
  }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    if (args.user !== undefined) return userDetail(broker, args.user);
    if (args.vhost !== undefined) return vhostAccess(broker, args.vhost);
    const [users, permissions, limits] = await Promise.all([
      broker.management.get<User[]>(apiPath('users')),
      broker.management.get<Permission[]>(apiPath('permissions')),
      broker.management.get<Limits[]>(apiPath('user-limits')).catch(() => []),
    ]);
    const rows = users.map((user) => [
      user.name,
      tagList(user.tags).join(',') || '-',
      permissions
        .filter((p) => p.user === user.name)
        .map((p) => p.vhost)
        .join(', ') || '-',
      limitsText(limits.find((l) => l.user === user.name)?.value),
    ]);
    return capOutput(`${plural(users.length, 'user')}\n${table(['name', 'tags', 'vhosts', 'limits'], rows)}`, 'give user for one');
  },
});

export const listPolicies = defineTool({
  name: 'list_policies',
  title: 'List policies',
  group: 'admin',
  description: 'Policies and operator policies.',
  input: z.strictObject({ vhost, queue: objectName('queue name').optional().describe('Which apply to it') }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    if (args.queue !== undefined) {
      const queue = await broker.management.get<{
        policy?: string;
        operator_policy?: string;
        effective_policy_definition?: Record<string, unknown>;
      }>(apiPath('queues', vhostName, args.queue), {
        notFound: `queue ${inQuotes(args.queue)} not found in vhost ${inQuotes(vhostName)}; list_queues shows what exists`,
      });
      return record({
        queue: args.queue,
        policy: queue.policy || 'none',
        operator_policy: queue.operator_policy || 'none',
        effective:
          queue.effective_policy_definition && Object.keys(queue.effective_policy_definition).length > 0
            ? queue.effective_policy_definition
            : 'nothing applies',
      });
    }
    const notFound = vhostNotFound(vhostName);
    const [policies, operator] = await Promise.all([
      broker.management.get<Policy[]>(apiPath('policies', vhostName), { notFound }),
      broker.management.get<Policy[]>(apiPath('operator-policies', vhostName), { notFound }),
    ]);
    const rows = [...policies.map((p) => ['policy', p] as const), ...operator.map((p) => ['operator', p] as const)]
      .sort((a, b) => b[1].priority - a[1].priority)
      .map(([kind, p]) => [kind, p.name, p.pattern, p['apply-to'], p.priority, JSON.stringify(p.definition)]);
    if (rows.length === 0) return `No policies or operator policies in vhost ${inQuotes(vhostName)}.`;
    return capOutput(
      `Policies in vhost ${inQuotes(vhostName)}, highest priority first\n${table(['kind', 'name', 'pattern', 'apply-to', 'priority', 'definition'], rows)}`,
    );
  },
});

function endpoint(uri: unknown, queue: unknown, exchange: unknown, key?: unknown): string {
  const where =
    typeof queue === 'string' && queue
      ? `queue ${queue}`
      : typeof exchange === 'string'
        ? `exchange ${exchange || '(default)'}${key ? ` key ${String(key)}` : ''}`
        : '?';
  const uris = [uri].flat().filter((value): value is string => typeof value === 'string');
  return `${where} @ ${uris.map(maskUri).join(' | ') || 'this broker'}`;
}

export const listLinks = defineTool({
  name: 'list_links',
  title: 'Shovels and federation',
  group: 'admin',
  description: 'Shovels and federation upstreams, with state.',
  input: z.strictObject({ vhost }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const notFound = vhostNotFound(vhostName);
    const [shovels, shovelStatus, upstreams, links] = await Promise.all([
      broker.management.get<Parameter[]>(apiPath('parameters', 'shovel', vhostName), { notFound }),
      // The plugins' status answers are null when the plugin is not enabled.
      orIfNotFound(broker.management.get<ShovelStatus[]>(apiPath('shovels', vhostName)), null),
      broker.management.get<Parameter[]>(apiPath('parameters', 'federation-upstream', vhostName), { notFound }),
      orIfNotFound(broker.management.get<FederationLink[]>(apiPath('federation-links', vhostName)), null),
    ]);
    const lines: string[] = [];
    if (shovelStatus === null) lines.push('Shovel status unavailable: enable rabbitmq_shovel_management.');
    if (shovels.length > 0) {
      const rows = shovels.map((shovel) => {
        const value = shovel.value;
        const status = shovelStatus?.find((s) => s.name === shovel.name);
        return [
          shovel.name,
          status ? `${status.state}${status.reason ? ` (${maskUri(status.reason)})` : ''}` : 'not running',
          endpoint(value['src-uri'], value['src-queue'], value['src-exchange'], value['src-exchange-key']),
          endpoint(value['dest-uri'], value['dest-queue'], value['dest-exchange'], value['dest-exchange-key']),
          String(value['ack-mode'] ?? 'on-confirm'),
        ];
      });
      lines.push(`Shovels in vhost ${inQuotes(vhostName)}\n${table(['name', 'state', 'from', 'to', 'ack-mode'], rows)}`);
    } else lines.push(`No dynamic shovels in vhost ${inQuotes(vhostName)}.`);
    if (upstreams.length > 0) {
      const rows = upstreams.map((upstream) => {
        const mine = (links ?? []).filter((link) => link.upstream === upstream.name);
        const value = withoutCredentials(upstream.value);
        return [
          upstream.name,
          [value.uri].flat().join(' | '),
          mine.length > 0
            ? mine
                .map(
                  (link) => `${link.type} ${link.exchange ?? link.queue}: ${link.status}${link.error ? ` (${maskUri(link.error)})` : ''}`,
                )
                .join('; ')
            : 'no links (no federation policy matches)',
        ];
      });
      lines.push(`Federation upstreams\n${table(['name', 'uri', 'links'], rows)}`);
    } else lines.push(`No federation upstreams in vhost ${inQuotes(vhostName)}.`);
    if (links === null) lines.push('Federation link status unavailable: enable rabbitmq_federation_management.');
    return capOutput(lines.join('\n'));
  },
});
