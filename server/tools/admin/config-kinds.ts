import { z } from 'zod';
import { BrokerError } from '../../broker/broker-errors.js';
import type { Broker } from '../../broker/broker.js';
import { apiPath } from '../../broker/management-client.js';
import { policyImpact, removingPolicyKeys, shovelRemoves } from '../effects.js';
import {
  judgeFederationUpstream,
  judgePermissions,
  judgeShovel,
  judgeShovelDeletion,
  judgeVhostDeletion,
  judgeVhostSettings,
} from '../scope-effects.js';
import { vhostNotFound } from '../not-found.js';
import { plural } from '../output.js';
import { type Policy, tagList } from './admin-reads.js';
import { inQuotes } from '../../broker/one-line.js';

/**
 * The kinds of broker configuration set_configuration and delete_configuration handle, one
 * record each: its settings schema, how messages name it, where the management API keeps it,
 * how to write, compare, preview and delete it. Adding a kind is a name in CONFIG_KIND_NAMES and
 * its record in CONFIG_KINDS; the compiler refuses one without the other.
 */
export const CONFIG_KIND_NAMES = [
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
export type Kind = (typeof CONFIG_KIND_NAMES)[number];

/** The object a call names: `name` is the user or vhost for permissions and limits. */
export interface ConfigTarget {
  name: string;
  vhost: string;
}

type Settings = Record<string, unknown>;

/** Why setting something makes the broker remove messages or queues, and what it would remove now. */
export interface Removal {
  why: string;
  impact: string;
}

/** A set_configuration call as a kind sees it. */
export interface ConfigWrite {
  broker: Broker;
  target: ConfigTarget;
  /** The object's path: the kind's path() of target. */
  path: string;
  /** Checked against the kind's schema. */
  settings: Settings;
  /** Only kind user takes one. */
  password?: string;
  /** The object as it is now; undefined when it does not exist. */
  before: Settings | undefined;
}

export interface ConfigKind {
  /** The settings it takes, keys in kebab-case; unknown keys are refused. */
  settings: z.ZodType<Settings>;
  /** "policy 'p' in vhost 'v'": how answers name the object. */
  describe(target: ConfigTarget): string;
  /** Where the management API keeps the object. */
  path(target: ConfigTarget): string;
  /** The object in the GET answer of its path, or undefined when there is none. Default: the answer itself. */
  fromAnswer?(answer: unknown): Settings | undefined;
  /** What the object looks like for the diff: the fields `settings` may set, as the broker keeps them. Default: all of it. */
  comparable?(object: Settings): Settings;
  /** Creates or updates the object. */
  apply(write: ConfigWrite): Promise<unknown>;
  /** A body the scope must allow besides the path, for a kind whose settings reach other vhosts or queues. */
  scopedBody?(target: ConfigTarget, settings: Settings): Settings;
  /** Why a scoped server refuses what setting this would set off (scope-effects.ts), or undefined. */
  judge?(write: ConfigWrite): Promise<string | undefined> | string | undefined;
  /** Whether setting this removes messages or queues; undefined when it cannot. Default: it never does. */
  removal?(write: ConfigWrite): Promise<Removal | undefined>;
  /** Added to "Created …" when a new object does nothing until something else uses it. */
  createdNote?: string;
  /** Why the object must not be deleted through this server, when it must not. */
  deleteRefusal?(broker: Broker, target: ConfigTarget, before: Settings): Promise<string | undefined> | string | undefined;
  /** What deleting takes away, for the preview. */
  deleteImpact(broker: Broker, target: ConfigTarget, before: Settings): Promise<string>;
  /** Deletes the object. Default: a DELETE of its path. */
  remove?(broker: Broker, path: string, before: Settings): Promise<unknown>;
}

const regex = z.string().max(1000);
const limit = z.number().int().min(-1).max(1_000_000_000);
const uri = z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URI');
const tags = z.union([z.string(), z.array(z.string())]);

/** "vhost 'a'" */
function named(noun: string): (target: ConfigTarget) => string {
  return (target) => `${noun} ${inQuotes(target.name)}`;
}

/** "policy 'p' in vhost 'v'" */
function namedInVhost(noun: string): (target: ConfigTarget) => string {
  return (target) => `${noun} ${inQuotes(target.name)} in vhost ${inQuotes(target.vhost)}`;
}

/** The delete preview of a kind whose deletion takes nothing else with it: the object as it is. */
function removesOnlyItself(describe: (target: ConfigTarget) => string): ConfigKind['deleteImpact'] {
  return async (_broker, target, before) => `would remove the ${describe(target)} (${JSON.stringify(before)})`;
}

/** RabbitMQ answers a limit's PUT or DELETE with 406 when asked for JSON (it has no body to give). */
const LIMITS_ACCEPT = { headers: { accept: '*/*' } };

/** A user's or vhost's limits: one PUT or DELETE per limit, read back as a list holding { value }. */
function limitsKind(owner: 'user' | 'vhost', settings: z.ZodType<Settings>): ConfigKind {
  const describe = (target: ConfigTarget) => `limits of ${owner} ${inQuotes(target.name)}`;
  return {
    settings,
    describe,
    path: (target) => apiPath(`${owner}-limits`, target.name),
    fromAnswer(answer) {
      const value = (answer as { value?: Record<string, number> }[])[0]?.value;
      return value && Object.keys(value).length > 0 ? value : undefined;
    },
    async apply({ broker, path, settings: given }) {
      for (const [key, value] of Object.entries(given)) {
        await broker.management.put(`${path}/${encodeURIComponent(key)}`, { value }, LIMITS_ACCEPT);
      }
    },
    deleteImpact: removesOnlyItself(describe),
    async remove(broker, path, before) {
      for (const key of Object.keys(before)) await broker.management.delete(`${path}/${encodeURIComponent(key)}`, LIMITS_ACCEPT);
    },
  };
}

const policySettings = z.strictObject({
  pattern: z.string().min(1).max(1000).optional(),
  definition: z
    .record(z.string(), z.unknown())
    .refine((value) => Object.keys(value).length > 0, 'a policy needs at least one key, e.g. {"max-length": 1000}')
    .optional(),
  'apply-to': z.enum(['queues', 'exchanges', 'all', 'classic_queues', 'quorum_queues', 'streams']).optional(),
  priority: z.number().int().min(0).max(1000).optional(),
});

/** The policy a set would leave: what is given over what is there (as apply() sends it). */
function mergedPolicy(settings: Settings, before: Settings | undefined) {
  const base = before
    ? { pattern: before.pattern, definition: before.definition, 'apply-to': before['apply-to'], priority: before.priority }
    : { 'apply-to': 'all', priority: 0 };
  return { ...base, ...settings } as { pattern?: string; definition?: Record<string, unknown>; 'apply-to'?: string };
}

/** A policy or an operator policy: the same settings, kept apart by the broker and by the queues naming them. */
function policyKind(
  noun: 'policy' | 'operator policy',
  segment: 'policies' | 'operator-policies',
  queueField: 'policy' | 'operator_policy',
): ConfigKind {
  const describe = namedInVhost(noun);
  return {
    settings: policySettings,
    describe,
    path: (target) => apiPath(segment, target.vhost, target.name),
    apply({ broker, target, path, settings, before }) {
      // An update changes what is given and keeps the rest (a PUT would reset apply-to and priority).
      const body = mergedPolicy(settings, before);
      if (body.pattern === undefined || body.definition === undefined)
        throw new BrokerError('invalid', `A new ${noun} needs pattern and definition.`);
      return broker.management.put(path, body, { notFound: vhostNotFound(target.vhost) });
    },
    async removal({ broker, target, settings, before }) {
      const policy = mergedPolicy(settings, before);
      const keys = removingPolicyKeys(policy.definition, policy['apply-to']);
      if (keys.length === 0 || policy.pattern === undefined || policy.definition === undefined) return undefined;
      const impact = await policyImpact(broker, target.vhost, {
        pattern: policy.pattern,
        'apply-to': policy['apply-to'],
        definition: policy.definition,
      });
      return { why: `sets ${keys.join(', ')}`, impact };
    },
    async deleteImpact(broker, target, before) {
      const queues = await broker.management.get<{ policy?: string; operator_policy?: string }[]>(apiPath('queues', target.vhost));
      const applied = queues.filter((queue) => queue[queueField] === target.name).length;
      const definition = JSON.stringify((before as unknown as Policy).definition);
      return `would delete ${describe(target)} (${definition}), which applies to ${plural(applied, 'queue')} now; they lose those settings`;
    },
  };
}

/** What a shovel or federation upstream sets: the parameter's value. */
function parameterValue(object: Settings): Settings {
  return (object.value as Settings) ?? {};
}

/** The local broker, same vhost: what a shovel means when it gives no URI. */
function localUri(vhostName: string): string {
  return `amqp:///${encodeURIComponent(vhostName)}`;
}

function shovelValue(target: ConfigTarget, settings: Settings): Settings {
  return { 'src-uri': localUri(target.vhost), 'dest-uri': localUri(target.vhost), ...settings };
}

function vhostComparable(object: Settings): Settings {
  return {
    description: object.description,
    tags: tagList(object.tags as string[]),
    'default-queue-type': object.default_queue_type,
    tracing: object.tracing,
  };
}

const describeVhost = named('vhost');

const vhostKind: ConfigKind = {
  settings: z.strictObject({
    description: z.string().max(1000).optional(),
    tags: tags.optional(),
    'default-queue-type': z.enum(['classic', 'quorum', 'stream']).optional(),
    tracing: z.boolean().optional(),
  }),
  describe: describeVhost,
  path: (target) => apiPath('vhosts', target.name),
  comparable: vhostComparable,
  judge: ({ broker, target, settings }) => judgeVhostSettings(broker, target.name, settings),
  deleteRefusal: (broker, target) => judgeVhostDeletion(broker, target.name),
  apply({ broker, path, settings, before }) {
    // What is not given stays as it is: a PUT replaces the vhost's metadata.
    const merged = { ...(before ? vhostComparable(before) : {}), ...settings };
    const queueType = merged['default-queue-type'];
    const body = {
      description: merged.description ?? '',
      tags: tagList(merged.tags as string | string[] | undefined).join(','),
      tracing: merged.tracing ?? false,
      // 3.10 and 3.11 read defaultqueuetype, 3.12 and later default_queue_type.
      ...(typeof queueType === 'string' && queueType !== 'undefined' ? { default_queue_type: queueType, defaultqueuetype: queueType } : {}),
    };
    return broker.management.put(path, body);
  },
  async deleteImpact(broker, target) {
    const queues = await broker.management.get<{ messages?: number }[]>(apiPath('queues', target.name));
    const messages = queues.reduce((sum, queue) => sum + (queue.messages ?? 0), 0);
    const own = target.name === broker.defaultVhost ? "; it is this server's own vhost" : '';
    return `would delete ${describeVhost(target)} with ${plural(queues.length, 'queue')} holding ${plural(messages, 'message')}, and its exchanges, bindings, policies and permissions${own}`;
  },
};

const describeUser = named('user');

const userKind: ConfigKind = {
  settings: z.strictObject({ tags: tags.optional() }),
  describe: describeUser,
  path: (target) => apiPath('users', target.name),
  comparable: (object) => ({ tags: tagList(object.tags as string[]) }),
  apply({ broker, target, path, settings, password, before }) {
    const userTags = tagList((settings.tags as string | string[] | undefined) ?? (before?.tags as string[] | string | undefined)).join(',');
    if (password !== undefined) return broker.management.put(path, { password, tags: userTags });
    if (!before) throw new BrokerError('invalid', `User ${inQuotes(target.name)} does not exist: give a password to create it.`);
    // Keeping the password means sending its hash back; it is never shown.
    return broker.management.put(path, {
      password_hash: before.password_hash,
      hashing_algorithm: before.hashing_algorithm,
      tags: userTags,
    });
  },
  deleteRefusal: (broker, target) =>
    target.name === broker.user
      ? `User ${inQuotes(target.name)} is the one this server connects as; deleting it would cut the server off. Use the management UI or another account.`
      : undefined,
  async deleteImpact(broker, target, before) {
    const connections = await broker.management.get<{ user: string }[]>(apiPath('connections'));
    const open = connections.filter((connection) => connection.user === target.name).length;
    return `would delete ${describeUser(target)} (tags: ${tagList(before.tags as string[]).join(',') || 'none'}) and its permissions${open > 0 ? `; its ${plural(open, 'open connection')} stay until closed, then it cannot log in` : ''}`;
  },
};

const describePermissions = (target: ConfigTarget) => `permissions of user ${inQuotes(target.name)} on vhost ${inQuotes(target.vhost)}`;

const permissionsKind: ConfigKind = {
  settings: z.strictObject({ configure: regex, write: regex, read: regex }),
  describe: describePermissions,
  path: (target) => apiPath('permissions', target.vhost, target.name),
  judge: ({ broker, target }) => judgePermissions(broker, `The ${describePermissions(target)} were not set`),
  deleteRefusal: (broker, target) => judgePermissions(broker, `The ${describePermissions(target)} were not deleted`),
  apply: ({ broker, target, path, settings }) => broker.management.put(path, settings, { notFound: vhostNotFound(target.vhost) }),
  deleteImpact: async (_broker, target, before) =>
    `would remove the ${describePermissions(target)} (configure=${String(before.configure)} write=${String(before.write)} read=${String(before.read)}); the user can no longer use that vhost`,
};

const describeTopicPermissions = (target: ConfigTarget) =>
  `topic permissions of user ${inQuotes(target.name)} on vhost ${inQuotes(target.vhost)}`;

const topicPermissionsKind: ConfigKind = {
  settings: z.strictObject({ exchange: z.string().max(255), write: regex, read: regex }),
  describe: describeTopicPermissions,
  path: (target) => apiPath('topic-permissions', target.vhost, target.name),
  judge: ({ broker, target }) => judgePermissions(broker, `The ${describeTopicPermissions(target)} were not set`),
  deleteRefusal: (broker, target) => judgePermissions(broker, `The ${describeTopicPermissions(target)} were not deleted`),
  // The answer lists the user's topic permissions in the vhost; the first is the one shown.
  fromAnswer: (answer) => (answer as Settings[])[0],
  apply: ({ broker, target, path, settings }) => broker.management.put(path, settings, { notFound: vhostNotFound(target.vhost) }),
  deleteImpact: removesOnlyItself(describeTopicPermissions),
};

const describeShovel = namedInVhost('shovel');

const shovelKind: ConfigKind = {
  settings: z
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
  describe: describeShovel,
  path: (target) => apiPath('parameters', 'shovel', target.vhost, target.name),
  comparable: parameterValue,
  apply: ({ broker, target, path, settings }) =>
    broker.management.put(
      path,
      { value: { 'src-protocol': 'amqp091', 'dest-protocol': 'amqp091', ...shovelValue(target, settings) } },
      { notFound: vhostNotFound(target.vhost) },
    ),
  // The URIs and queues a shovel reaches must be in scope too.
  scopedBody: (target, settings) => ({ value: shovelValue(target, settings) }),
  judge: ({ broker, target, settings, before }) =>
    judgeShovel(broker, target.vhost, target.name, { ...(before ? parameterValue(before) : {}), ...shovelValue(target, settings) }),
  deleteRefusal: (broker, target, before) => judgeShovelDeletion(broker, target.vhost, target.name, parameterValue(before)),
  async removal({ broker, target, settings, before }) {
    const existing = before ? parameterValue(before) : {};
    const removes = shovelRemoves({ ...existing, ...settings });
    if (!removes) return undefined;
    const queue = String(settings['src-queue'] ?? existing['src-queue']);
    const ready = await broker.management
      .get<{ messages_ready?: number }>(apiPath('queues', target.vhost, queue), { query: { columns: 'messages_ready' } })
      .then((info) => info.messages_ready ?? 0)
      .catch(() => 0);
    return { why: removes, impact: `${plural(ready, 'ready message')} are there now` };
  },
  deleteImpact: async (_broker, target) =>
    `would delete ${describeShovel(target)}; it stops moving messages (those in flight are handled per its ack-mode)`,
};

const describeUpstream = namedInVhost('federation upstream');

/**
 * The policies of the upstream's vhost that apply it to queues now: by its name, by the set 'all',
 * or by a set that lists it. Queue federation moves messages; exchange federation copies them.
 */
async function policiesFederatingQueues(broker: Broker, target: ConfigTarget): Promise<string[]> {
  const [policies, sets] = await Promise.all([
    broker.management.get<Policy[]>(apiPath('policies', target.vhost)).catch(() => [] as Policy[]),
    broker.management
      .get<{ name: string; value?: { upstream?: string }[] }[]>(apiPath('parameters', 'federation-upstream-set', target.vhost))
      .catch(() => []),
  ]);
  const listing = new Set(sets.filter((set) => (set.value ?? []).some((member) => member.upstream === target.name)).map((set) => set.name));
  return policies
    .filter((policy) => policy['apply-to'] !== 'exchanges')
    .filter((policy) => {
      const upstream = policy.definition['federation-upstream'];
      const set = policy.definition['federation-upstream-set'];
      return upstream === target.name || set === 'all' || (typeof set === 'string' && listing.has(set));
    })
    .map((policy) => policy.name);
}

const federationUpstreamKind: ConfigKind = {
  settings: z.strictObject({
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
  describe: describeUpstream,
  path: (target) => apiPath('parameters', 'federation-upstream', target.vhost, target.name),
  comparable: parameterValue,
  judge: ({ broker, target }) => judgeFederationUpstream(broker, `The ${describeUpstream(target)} was not set`),
  deleteRefusal: (broker, target) => judgeFederationUpstream(broker, `The ${describeUpstream(target)} was not deleted`),
  apply: ({ broker, target, path, settings }) =>
    broker.management.put(path, { value: settings }, { notFound: vhostNotFound(target.vhost) }),
  async removal({ broker, target }) {
    const federating = await policiesFederatingQueues(broker, target);
    if (federating.length === 0) return undefined;
    return {
      why: `is used for queues by ${federating.length === 1 ? 'policy' : 'policies'} ${federating.map((name) => `${inQuotes(name)}`).join(', ')}, so queue federation moves messages off the upstream's queues of the same names (in another vhost or broker) whenever the local ones have consumers`,
      impact: 'every message those upstream queues receive from then on can be taken',
    };
  },
  createdNote: ': a policy with federation-upstream or federation-upstream-set makes exchanges or queues use it',
  deleteImpact: async (_broker, target) => `would delete ${describeUpstream(target)}; federation links using it stop`,
};

export const CONFIG_KINDS: Record<Kind, ConfigKind> = {
  vhost: vhostKind,
  user: userKind,
  permissions: permissionsKind,
  topic_permissions: topicPermissionsKind,
  user_limits: limitsKind(
    'user',
    z
      .strictObject({ 'max-connections': limit.optional(), 'max-channels': limit.optional() })
      .refine((value) => Object.keys(value).length > 0, 'give max-connections and/or max-channels (-1: no limit)'),
  ),
  vhost_limits: limitsKind(
    'vhost',
    z
      .strictObject({ 'max-connections': limit.optional(), 'max-queues': limit.optional() })
      .refine((value) => Object.keys(value).length > 0, 'give max-connections and/or max-queues (-1: no limit)'),
  ),
  policy: policyKind('policy', 'policies', 'policy'),
  operator_policy: policyKind('operator policy', 'operator-policies', 'operator_policy'),
  shovel: shovelKind,
  federation_upstream: federationUpstreamKind,
};

/** The keys a kind's settings accept, for error messages. */
function fieldsOf(kind: Kind): string {
  return Object.keys((CONFIG_KINDS[kind].settings as unknown as { shape?: Record<string, unknown> }).shape ?? {}).join(', ');
}

/** apply_to → apply-to, default_queue_type → default-queue-type: both spellings are accepted. */
function kebabKeys(settings: Settings): Settings {
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key.replaceAll('_', '-'), value]));
}

/** The settings checked against the kind's schema; a wrong field gets an error that lists the right ones. */
export function parseSettings(kind: Kind, raw: Settings | undefined): Settings {
  const parsed = CONFIG_KINDS[kind].settings.safeParse(kebabKeys(raw ?? {}));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 6).map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown setting(s) ${issue.keys.join(', ')}`;
    return `${issue.path.length > 0 ? issue.path.join('.') : 'settings'}: ${issue.message}`;
  });
  throw new BrokerError('invalid', `Invalid settings for ${kind}: ${problems.join('; ')}. ${kind} takes: ${fieldsOf(kind)}.`);
}
