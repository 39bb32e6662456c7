import { z } from 'zod';
import { BrokerError } from '../broker/broker-errors.js';
import type { Broker } from '../broker/broker.js';
import { apiPath } from '../broker/management-client.js';
import { type Policy, tagList } from './admin-reads.js';
import { withoutCredentials } from './credentials.js';
import { advertiseAs } from './json-schema.js';
import { vhostNotFound } from './not-found.js';
import { destructiveRefusal, policyImpact, removingPolicyKeys, shovelRemoves } from './effects.js';
import { plural } from './output.js';
import { confirm, objectName, vhost } from './schemas.js';
import { defineTool, destroys, writes } from './tool.js';

/**
 * Administration in two tools instead of twenty: `configure` creates or updates any kind of
 * broker configuration and `delete_configuration` removes it, each kind checked by its own
 * schema here (so a wrong field gets an error that lists the right ones) while tools/list
 * carries one short schema. Keys may be written with - or _ (apply_to or apply-to).
 */
const KINDS = [
  'vhost',
  'user',
  'permissions',
  'topic_permissions',
  'user_limits',
  'vhost_limits',
  'policy',
  'operator_policy',
  'shovel',
  'federation_upstream',
] as const;
type Kind = (typeof KINDS)[number];

const regex = z.string().max(1000);
const limit = z.number().int().min(-1).max(1_000_000_000);
const uri = z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URI');

const policySettings = z.strictObject({
  pattern: z.string().min(1).max(1000).optional(),
  definition: z
    .record(z.string(), z.unknown())
    .refine((value) => Object.keys(value).length > 0, 'a policy needs at least one key, e.g. {"max-length": 1000}')
    .optional(),
  'apply-to': z.enum(['queues', 'exchanges', 'all', 'classic_queues', 'quorum_queues', 'streams']).optional(),
  priority: z.number().int().min(0).max(1000).optional(),
});

const SETTINGS: Record<Kind, z.ZodType<Record<string, unknown>>> = {
  vhost: z.strictObject({
    description: z.string().max(1000).optional(),
    tags: z.union([z.string(), z.array(z.string())]).optional(),
    'default-queue-type': z.enum(['classic', 'quorum', 'stream']).optional(),
    tracing: z.boolean().optional(),
  }),
  user: z.strictObject({ tags: z.union([z.string(), z.array(z.string())]).optional() }),
  permissions: z.strictObject({ configure: regex, write: regex, read: regex }),
  topic_permissions: z.strictObject({ exchange: z.string().max(255), write: regex, read: regex }),
  user_limits: z
    .strictObject({ 'max-connections': limit.optional(), 'max-channels': limit.optional() })
    .refine((value) => Object.keys(value).length > 0, 'give max-connections and/or max-channels (-1: no limit)'),
  vhost_limits: z
    .strictObject({ 'max-connections': limit.optional(), 'max-queues': limit.optional() })
    .refine((value) => Object.keys(value).length > 0, 'give max-connections and/or max-queues (-1: no limit)'),
  policy: policySettings,
  operator_policy: policySettings,
  shovel: z
    .strictObject({
      'src-uri': uri.optional(),
      'src-queue': z.string().max(255).optional(),
      'src-exchange': z.string().max(255).optional(),
      'src-exchange-key': z.string().max(255).optional(),
      'dest-uri': uri.optional(),
      'dest-queue': z.string().max(255).optional(),
      'dest-exchange': z.string().max(255).optional(),
      'dest-exchange-key': z.string().max(255).optional(),
      'ack-mode': z.enum(['on-confirm', 'on-publish', 'no-ack']).optional(),
      'src-delete-after': z.union([z.literal('never'), z.literal('queue-length'), z.number().int().min(1)]).optional(),
      'src-prefetch-count': z.number().int().min(1).max(65535).optional(),
      'reconnect-delay': z.number().min(0).max(3600).optional(),
      'dest-add-forward-headers': z.boolean().optional(),
    })
    .refine(
      (value) => (value['src-queue'] === undefined) !== (value['src-exchange'] === undefined),
      'give src-queue or src-exchange (one of them)',
    )
    .refine(
      (value) => (value['dest-queue'] === undefined) !== (value['dest-exchange'] === undefined),
      'give dest-queue or dest-exchange (one of them)',
    ),
  federation_upstream: z.strictObject({
    uri: z.union([uri, z.array(uri).min(1)]),
    exchange: z.string().max(255).optional(),
    queue: z.string().max(255).optional(),
    'max-hops': z.number().int().min(1).max(255).optional(),
    'prefetch-count': z.number().int().min(1).max(65535).optional(),
    'reconnect-delay': z.number().min(0).max(3600).optional(),
    'ack-mode': z.enum(['on-confirm', 'on-publish', 'no-ack']).optional(),
    'trust-user-id': z.boolean().optional(),
    expires: z.number().int().min(1).optional(),
    'message-ttl': z.number().int().min(0).optional(),
  }),
};

/** What `name` names for each kind, and whether the kind lives in a vhost. */
const SUBJECT: Record<Kind, { name: string; inVhost: boolean }> = {
  vhost: { name: 'vhost', inVhost: false },
  user: { name: 'user', inVhost: false },
  permissions: { name: 'user', inVhost: true },
  topic_permissions: { name: 'user', inVhost: true },
  user_limits: { name: 'user', inVhost: false },
  vhost_limits: { name: 'vhost', inVhost: false },
  policy: { name: 'policy', inVhost: true },
  operator_policy: { name: 'operator policy', inVhost: true },
  shovel: { name: 'shovel', inVhost: true },
  federation_upstream: { name: 'federation upstream', inVhost: true },
};

/** The keys each kind's settings accept, for error messages. */
function fieldsOf(kind: Kind): string {
  return Object.keys((SETTINGS[kind] as unknown as { shape?: Record<string, unknown> }).shape ?? {}).join(', ');
}

/** apply_to → apply-to, default_queue_type → default-queue-type: both spellings are accepted. */
function kebabKeys(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key.replaceAll('_', '-'), value]));
}

function parseSettings(kind: Kind, raw: Record<string, unknown> | undefined): Record<string, unknown> {
  const parsed = SETTINGS[kind].safeParse(kebabKeys(raw ?? {}));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 6).map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown setting(s) ${issue.keys.join(', ')}`;
    return `${issue.path.length > 0 ? issue.path.join('.') : 'settings'}: ${issue.message}`;
  });
  throw new BrokerError('invalid', `Invalid settings for ${kind}: ${problems.join('; ')}. ${kind} takes: ${fieldsOf(kind)}.`);
}

interface Target {
  kind: Kind;
  name: string;
  vhost: string;
}

function describe(target: Target): string {
  const subject = SUBJECT[target.kind];
  const where = subject.inVhost ? ` in vhost '${target.vhost}'` : '';
  switch (target.kind) {
    case 'permissions':
      return `permissions of user '${target.name}' on vhost '${target.vhost}'`;
    case 'topic_permissions':
      return `topic permissions of user '${target.name}' on vhost '${target.vhost}'`;
    case 'user_limits':
      return `limits of user '${target.name}'`;
    case 'vhost_limits':
      return `limits of vhost '${target.name}'`;
    default:
      return `${subject.name} '${target.name}'${where}`;
  }
}

function objectPath(target: Target): string {
  const { kind, name, vhost: v } = target;
  switch (kind) {
    case 'vhost':
      return apiPath('vhosts', name);
    case 'user':
      return apiPath('users', name);
    case 'permissions':
      return apiPath('permissions', v, name);
    case 'topic_permissions':
      return apiPath('topic-permissions', v, name);
    case 'user_limits':
      return apiPath('user-limits', name);
    case 'vhost_limits':
      return apiPath('vhost-limits', name);
    case 'policy':
      return apiPath('policies', v, name);
    case 'operator_policy':
      return apiPath('operator-policies', v, name);
    case 'shovel':
      return apiPath('parameters', 'shovel', v, name);
    case 'federation_upstream':
      return apiPath('parameters', 'federation-upstream', v, name);
  }
}

/** The object as it is now, or undefined when it does not exist. Limits come back as { key: value }. */
async function current(broker: Broker, target: Target): Promise<Record<string, unknown> | undefined> {
  try {
    const found = await broker.management.get<unknown>(objectPath(target));
    if (target.kind === 'user_limits' || target.kind === 'vhost_limits') {
      const value = (found as { value?: Record<string, number> }[])[0]?.value;
      return value && Object.keys(value).length > 0 ? value : undefined;
    }
    if (target.kind === 'topic_permissions') return (found as Record<string, unknown>[])[0];
    return found as Record<string, unknown>;
  } catch (error) {
    if (error instanceof BrokerError && error.code === 'not_found') return undefined;
    throw error;
  }
}

/** "pattern: ^a → ^b; priority: 0 → 5": the fields that differ, credentials masked. */
function changes(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const shown = (value: unknown) => JSON.stringify(withoutCredentials(value)) ?? 'unset';
  const keys = Object.keys(after).filter((key) => shown(before[key]) !== shown(after[key]));
  return keys.map((key) => `${key}: ${shown(before[key])} → ${shown(after[key])}`).join('; ');
}

/** RabbitMQ answers a limit's PUT or DELETE with 406 when asked for JSON (it has no body to give). */
const LIMITS_ACCEPT = { headers: { accept: '*/*' } };

/** The local broker, same vhost: what a shovel means when it gives no URI. */
function localUri(vhostName: string): string {
  return `amqp:///${encodeURIComponent(vhostName)}`;
}

async function apply(
  broker: Broker,
  target: Target,
  settings: Record<string, unknown>,
  password: string | undefined,
  before?: Record<string, unknown>,
) {
  const { kind, name, vhost: v } = target;
  const management = broker.management;
  switch (kind) {
    case 'vhost': {
      // What is not given stays as it is: a PUT replaces the vhost's metadata.
      const merged = { ...comparable('vhost', before), ...settings };
      const queueType = merged['default-queue-type'];
      const body = {
        description: merged.description ?? '',
        tags: tagList(merged.tags as string | string[] | undefined).join(','),
        tracing: merged.tracing ?? false,
        // 3.10 and 3.11 read defaultqueuetype, 3.12 and later default_queue_type.
        ...(typeof queueType === 'string' && queueType !== 'undefined'
          ? { default_queue_type: queueType, defaultqueuetype: queueType }
          : {}),
      };
      return management.put(objectPath(target), body);
    }
    case 'user': {
      const tags = tagList((settings.tags as string | string[] | undefined) ?? (before?.tags as string[] | string | undefined)).join(',');
      if (password !== undefined) return management.put(objectPath(target), { password, tags });
      if (!before) throw new BrokerError('invalid', `User '${name}' does not exist: give a password to create it.`);
      // Keeping the password means sending its hash back; it is never shown.
      return management.put(objectPath(target), { password_hash: before.password_hash, hashing_algorithm: before.hashing_algorithm, tags });
    }
    case 'permissions':
      return management.put(objectPath(target), settings, { notFound: vhostNotFound(v) });
    case 'topic_permissions':
      return management.put(objectPath(target), settings, { notFound: vhostNotFound(v) });
    case 'user_limits':
    case 'vhost_limits':
      for (const [key, value] of Object.entries(settings)) {
        await management.put(`${objectPath(target)}/${encodeURIComponent(key)}`, { value }, LIMITS_ACCEPT);
      }
      return;
    case 'policy':
    case 'operator_policy': {
      // An update changes what is given and keeps the rest (a PUT would reset apply-to and priority).
      const body = mergedPolicy(settings, before);
      if (body.pattern === undefined || body.definition === undefined)
        throw new BrokerError('invalid', `A new ${SUBJECT[kind].name} needs pattern and definition.`);
      return management.put(objectPath(target), body, { notFound: vhostNotFound(v) });
    }
    case 'shovel':
      return management.put(
        objectPath(target),
        { value: { 'src-protocol': 'amqp091', 'dest-protocol': 'amqp091', 'src-uri': localUri(v), 'dest-uri': localUri(v), ...settings } },
        { notFound: vhostNotFound(v) },
      );
    case 'federation_upstream':
      return management.put(objectPath(target), { value: settings }, { notFound: vhostNotFound(v) });
  }
}

/** What the object looks like for the diff: the fields `settings` may set, as the broker keeps them. */
function comparable(kind: Kind, object: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!object) return {};
  if (kind === 'shovel' || kind === 'federation_upstream') return (object.value as Record<string, unknown>) ?? {};
  if (kind === 'vhost')
    return {
      description: object.description,
      tags: tagList(object.tags as string[]),
      'default-queue-type': object.default_queue_type,
      tracing: object.tracing,
    };
  if (kind === 'user') return { tags: tagList(object.tags as string[]) };
  return object;
}

/** Restarting a shovel reconnects both ends; the shovel plugin's management API does it. */
async function restartShovel(broker: Broker, name: string, vhostName: string): Promise<string> {
  await broker.management.delete(`${apiPath('shovels', 'vhost', vhostName, name)}/restart`, {
    notFound: `shovel '${name}' not found in vhost '${vhostName}' (or rabbitmq_shovel_management is off); list_links shows the shovels`,
  });
  return `Restarted shovel '${name}' in vhost '${vhostName}'; list_links shows its state.`;
}

const kind = z.enum(KINDS);
/** set_configuration also restarts a shovel (write level: it stops and starts, nothing is removed). */
const configureKind = z.enum([...KINDS, 'shovel_restart']);
const name = objectName('name').describe('Or user/vhost (permissions, limits)');

export const setConfiguration = defineTool({
  name: 'set_configuration',
  title: 'Set configuration',
  group: 'admin',
  description: 'Create or update any configuration; says what changed.',
  input: z.strictObject({
    kind: configureKind.describe('What to set'),
    name,
    vhost,
    settings: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('e.g. policy: pattern,definition,apply-to,priority; permissions: configure,write,read'),
    password: z.string().min(1).max(1000).optional().describe('For kind user'),
    confirm,
  }),
  annotations: writes(true),
  // Settings that remove messages or queues (a policy with max-length, a shovel from a queue)
  // need --allow-destructive and a confirmation: on such a server the tool may destroy.
  annotationsAt: (level) => (level === 'destructive' ? destroys(true) : writes(true)),
  async handler(args, { broker, safety, confirm: gate }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    if (args.kind === 'shovel_restart') return restartShovel(broker, args.name, vhostName);
    const target: Target = { kind: args.kind, name: args.name, vhost: vhostName };
    if (args.password !== undefined && args.kind !== 'user') return { text: 'password is only for kind user.', isError: true };
    const settings = parseSettings(args.kind, args.settings);
    // The scope first: a preview must say nothing of what the scope hides.
    broker.scope.checkPath(objectPath(target), 'PUT');
    if (target.kind === 'shovel')
      broker.scope.checkBody(objectPath(target), {
        value: { 'src-uri': localUri(vhostName), 'dest-uri': localUri(vhostName), ...settings },
      });
    const before = await current(broker, target);
    const removal = await removalOf(broker, target, settings, before);
    if (removal) {
      if (safety !== 'destructive') return { text: destructiveRefusal(describe(target), removal.why, safety), isError: true };
      const declined = await gate(args.confirm, `would set ${describe(target)}, which ${removal.why}: ${removal.impact}`);
      if (declined) return declined;
    }
    await apply(broker, target, settings, args.password, before);
    const after = await current(broker, target);
    const what = describe(target);
    if (!before)
      return `Created ${what}${args.kind === 'federation_upstream' ? ': a policy with federation-upstream or federation-upstream-set makes exchanges or queues use it' : ''}.`;
    const changed = changes(comparable(args.kind, before), comparable(args.kind, after));
    const passwordNote = args.password !== undefined ? ' Password changed.' : '';
    return changed
      ? `Updated ${what}: ${changed}.${passwordNote}`
      : `${what[0]?.toUpperCase()}${what.slice(1)} was already like that; nothing changed.${passwordNote}`;
  },
});

/** The policy a set would leave: what is given over what is there (as apply() sends it). */
function mergedPolicy(settings: Record<string, unknown>, before: Record<string, unknown> | undefined) {
  const base = before
    ? { pattern: before.pattern, definition: before.definition, 'apply-to': before['apply-to'], priority: before.priority }
    : { 'apply-to': 'all', priority: 0 };
  return { ...base, ...settings } as { pattern?: string; definition?: Record<string, unknown>; 'apply-to'?: string };
}

/**
 * Whether setting this makes the broker remove messages or queues (a policy with max-length or
 * expires, a shovel from a queue), with what it would remove now; undefined when it cannot.
 */
async function removalOf(
  broker: Broker,
  target: Target,
  settings: Record<string, unknown>,
  before: Record<string, unknown> | undefined,
): Promise<{ why: string; impact: string } | undefined> {
  if (target.kind === 'policy' || target.kind === 'operator_policy') {
    const policy = mergedPolicy(settings, before);
    const keys = removingPolicyKeys(policy.definition);
    if (keys.length === 0 || policy.pattern === undefined || policy.definition === undefined) return undefined;
    const impact = await policyImpact(broker, target.vhost, {
      pattern: policy.pattern,
      'apply-to': policy['apply-to'],
      definition: policy.definition,
    });
    return { why: `sets ${keys.join(', ')}`, impact };
  }
  if (target.kind === 'shovel') {
    const removes = shovelRemoves({ ...comparable('shovel', before), ...settings });
    if (!removes) return undefined;
    const queue = String(settings['src-queue'] ?? comparable('shovel', before)['src-queue']);
    const ready = await broker.management
      .get<{ messages_ready?: number }>(apiPath('queues', target.vhost, queue), { query: { columns: 'messages_ready' } })
      .then((info) => info.messages_ready ?? 0)
      .catch(() => 0);
    return { why: removes, impact: `${plural(ready, 'ready message')} are there now` };
  }
  return undefined;
}

/** What deleting takes away, for the preview. */
async function impact(broker: Broker, target: Target, before: Record<string, unknown>): Promise<string> {
  const what = describe(target);
  switch (target.kind) {
    case 'vhost': {
      const queues = await broker.management.get<{ messages?: number }[]>(apiPath('queues', target.name));
      const messages = queues.reduce((sum, queue) => sum + (queue.messages ?? 0), 0);
      const own = target.name === broker.defaultVhost ? "; it is this server's own vhost" : '';
      return `would delete ${what} with ${plural(queues.length, 'queue')} holding ${plural(messages, 'message')}, and its exchanges, bindings, policies and permissions${own}`;
    }
    case 'user': {
      const connections = await broker.management.get<{ user: string }[]>(apiPath('connections'));
      const open = connections.filter((connection) => connection.user === target.name).length;
      return `would delete ${what} (tags: ${tagList(before.tags as string[]).join(',') || 'none'}) and its permissions${open > 0 ? `; its ${plural(open, 'open connection')} stay until closed, then it cannot log in` : ''}`;
    }
    case 'policy':
    case 'operator_policy': {
      const queues = await broker.management.get<{ policy?: string; operator_policy?: string }[]>(apiPath('queues', target.vhost));
      const field = target.kind === 'policy' ? 'policy' : 'operator_policy';
      const applied = queues.filter((queue) => queue[field] === target.name).length;
      const definition = JSON.stringify((before as unknown as Policy).definition);
      return `would delete ${what} (${definition}), which applies to ${plural(applied, 'queue')} now; they lose those settings`;
    }
    case 'shovel':
      return `would delete ${what}; it stops moving messages (those in flight are handled per its ack-mode)`;
    case 'federation_upstream':
      return `would delete ${what}; federation links using it stop`;
    case 'permissions':
      return `would remove the ${what} (configure=${String(before.configure)} write=${String(before.write)} read=${String(before.read)}); the user can no longer use that vhost`;
    default:
      return `would remove the ${what} (${JSON.stringify(before)})`;
  }
}

export const deleteConfiguration = defineTool({
  name: 'delete_configuration',
  title: 'Delete configuration',
  group: 'admin',
  description: 'Delete any configuration (a vhost: with all in it).',
  input: z.strictObject({ kind: advertiseAs(kind, { type: 'string', description: 'As in set_configuration' }), name, vhost, confirm }),
  annotations: destroys(true),
  async handler(args, { broker, confirm: gate }) {
    const target: Target = { kind: args.kind, name: args.name, vhost: args.vhost ?? broker.defaultVhost };
    if (args.kind === 'user' && args.name === broker.user) {
      return {
        text: `User '${args.name}' is the one this server connects as; deleting it would cut the server off. Use the management UI or another account.`,
        isError: true,
      };
    }
    const before = await current(broker, target);
    if (!before) return { text: `There are no ${describe(target)} to delete.`, isError: true };
    const preview = await impact(broker, target, before);
    const declined = await gate(args.confirm, preview);
    if (declined) return declined;
    if (target.kind === 'user_limits' || target.kind === 'vhost_limits') {
      for (const key of Object.keys(before))
        await broker.management.delete(`${objectPath(target)}/${encodeURIComponent(key)}`, LIMITS_ACCEPT);
    } else {
      await broker.management.delete(objectPath(target));
    }
    return `Deleted ${describe(target)}.`;
  },
});
