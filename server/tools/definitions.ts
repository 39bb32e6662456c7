import { z } from 'zod';
import { BrokerError, isConnectionFailure } from '../broker/broker-errors.js';
import type { Broker } from '../broker/broker.js';
import { apiPath } from '../broker/management-client.js';
import { MASK, withoutCredentials } from './credentials.js';
import { vhostNotFound } from './not-found.js';
import { capOutput, quoted } from './output.js';
import { confirm, objectName } from './schemas.js';
import { READ_ONLY, defineTool, destroys } from './tool.js';

/**
 * Definitions: the broker's topology, policies, parameters and users as one JSON document
 * (GET/POST /api/definitions, or /api/definitions/{vhost} for one vhost). Exports leave
 * credentials out; imports are previewed as a diff against what exists, since an import adds
 * and updates objects but never deletes, and cannot change a queue or exchange in place.
 */

type Item = Record<string, unknown>;

function holdsMask(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes(MASK);
}

/** One kind of object in a definitions document, and how to compare it with what exists. */
interface Kind {
  key: string;
  one: string;
  many: string;
  /** Lives in a vhost: a whole-broker document must name it. */
  inVhost: boolean;
  /** Taken by a vhost-level import (which ignores users, vhosts, permissions and global parameters). */
  perVhostImport: boolean;
  /** The identity within its vhost. */
  id(item: Item): unknown[];
  label(item: Item): string;
  /** Compared fields and their defaults when absent (no default: compared only when the document states it). */
  fields: Record<string, unknown>;
  /** RabbitMQ cannot change these in place: an import keeps the existing object as it is. */
  fixed?: boolean;
}

const name = (item: Item) => `'${String(item.name)}'`;

const KINDS: readonly Kind[] = [
  {
    key: 'vhosts',
    one: 'vhost',
    many: 'vhosts',
    inVhost: false,
    perVhostImport: false,
    id: (item) => [item.name],
    label: name,
    fields: { description: undefined, tags: undefined, default_queue_type: undefined, tracing: undefined },
  },
  {
    key: 'users',
    one: 'user',
    many: 'users',
    inVhost: false,
    perVhostImport: false,
    id: (item) => [item.name],
    label: name,
    fields: { tags: undefined, limits: undefined },
  },
  {
    key: 'permissions',
    one: 'permission',
    many: 'permissions',
    inVhost: true,
    perVhostImport: false,
    id: (item) => [item.user],
    label: (item) => `user '${String(item.user)}'`,
    fields: { configure: undefined, write: undefined, read: undefined },
  },
  {
    key: 'topic_permissions',
    one: 'topic permission',
    many: 'topic permissions',
    inVhost: true,
    perVhostImport: false,
    id: (item) => [item.user, item.exchange],
    label: (item) => `user '${String(item.user)}' on exchange '${String(item.exchange)}'`,
    fields: { write: undefined, read: undefined },
  },
  {
    key: 'parameters',
    one: 'parameter',
    many: 'parameters',
    inVhost: true,
    perVhostImport: true,
    id: (item) => [item.component, item.name],
    label: (item) => `${String(item.component)} '${String(item.name)}'`,
    fields: { value: undefined },
  },
  {
    key: 'global_parameters',
    one: 'global parameter',
    many: 'global parameters',
    inVhost: false,
    perVhostImport: false,
    id: (item) => [item.name],
    label: name,
    fields: { value: undefined },
  },
  {
    key: 'policies',
    one: 'policy',
    many: 'policies',
    inVhost: true,
    perVhostImport: true,
    id: (item) => [item.name],
    label: name,
    fields: { pattern: undefined, 'apply-to': 'all', definition: undefined, priority: 0 },
  },
  {
    key: 'queues',
    one: 'queue',
    many: 'queues',
    inVhost: true,
    perVhostImport: true,
    id: (item) => [item.name],
    label: name,
    fields: { durable: undefined, auto_delete: undefined, arguments: {} },
    fixed: true,
  },
  {
    key: 'exchanges',
    one: 'exchange',
    many: 'exchanges',
    inVhost: true,
    perVhostImport: true,
    id: (item) => [item.name],
    label: name,
    fields: { type: undefined, durable: undefined, auto_delete: undefined, internal: false, arguments: {} },
    fixed: true,
  },
  {
    key: 'bindings',
    one: 'binding',
    many: 'bindings',
    inVhost: true,
    perVhostImport: true,
    id: (item) => [item.source, item.destination_type, item.destination, item.routing_key, canonical(item.arguments ?? {})],
    label: (item) =>
      `${quoted(String(item.source))} → ${String(item.destination_type)} '${String(item.destination)}' key '${String(item.routing_key)}'${hasEntries(item.arguments) ? ` ${show(item.arguments)}` : ''}`,
    fields: {},
  },
];

function kindNamed(key: string): Kind {
  return KINDS.find((kind) => kind.key === key) as Kind;
}

function count(n: number, kind: Kind): string {
  return `${n} ${n === 1 ? kind.one : kind.many}`;
}

function hasEntries(value: unknown): boolean {
  return !!value && typeof value === 'object' && Object.keys(value).length > 0;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

const MAX_SHOWN = 300;

/** A value as the diff shows it: credentials masked, long ones cut. */
function show(value: unknown): string {
  const text = value === undefined ? 'none' : JSON.stringify(withoutCredentials(value));
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

function itemsOf(document: Item, kind: Kind): Item[] {
  const items = document[kind.key];
  return Array.isArray(items) ? items.filter((item): item is Item => !!item && typeof item === 'object') : [];
}

// --- Export -------------------------------------------------------------------------------------

/** GET of a whole-broker or vhost document; RabbitMQ answers an unknown vhost with 400 vhost_not_found. */
async function readDefinitions(broker: Broker, vhost: string | undefined): Promise<Item> {
  if (vhost === undefined) return broker.management.get<Item>(apiPath('definitions'));
  try {
    return await broker.management.get<Item>(apiPath('definitions', vhost), { notFound: vhostNotFound(vhost) });
  } catch (error) {
    if (error instanceof BrokerError && /vhost_not_found/.test(error.message)) throw new BrokerError('not_found', vhostNotFound(vhost));
    throw error;
  }
}

/** Valid JSON with one object per line: readable, and much smaller than indenting every level. */
export function formatDocument(document: Item): string {
  const entries = Object.entries(document);
  const lines = ['{'];
  entries.forEach(([key, value], index) => {
    const comma = index < entries.length - 1 ? ',' : '';
    if (Array.isArray(value) && value.length > 0) {
      lines.push(`  ${JSON.stringify(key)}: [`);
      value.forEach((item, itemIndex) => lines.push(`    ${JSON.stringify(item)}${itemIndex < value.length - 1 ? ',' : ''}`));
      lines.push(`  ]${comma}`);
    } else lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`);
  });
  lines.push('}');
  return lines.join('\n');
}

function counts(document: Item): string {
  const parts = KINDS.filter((kind) => Array.isArray(document[kind.key])).map((kind) => count(itemsOf(document, kind).length, kind));
  return parts.join(', ') || 'nothing';
}

/** A vhost's definitions, credentials stripped, as the JSON the resource serves. */
export async function vhostDefinitionsJson(broker: Broker, vhost: string): Promise<string> {
  return formatDocument(withoutCredentials(await readDefinitions(broker, vhost)));
}

export const exportDefinitions = defineTool({
  name: 'export_definitions',
  title: 'Export definitions',
  group: 'definitions',
  description: 'Definitions JSON: topology, policies, users; secrets masked.',
  input: z.strictObject({ vhost: objectName('vhost').optional().describe('Omit: whole broker') }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const document = withoutCredentials(await readDefinitions(broker, args.vhost));
    const version = typeof document.rabbitmq_version === 'string' ? document.rabbitmq_version : document.rabbit_version;
    const where = args.vhost === undefined ? 'the whole broker' : `vhost '${args.vhost}'`;
    const hint =
      args.vhost === undefined
        ? 'export one vhost at a time (vhost argument; list_vhosts shows them)'
        : `the resource rabbitmq://vhosts/${encodeURIComponent(args.vhost)}/definitions serves the whole document`;
    return capOutput(
      `Definitions of ${where} (RabbitMQ ${String(version ?? '?')}): ${counts(document)}. ${args.vhost === undefined ? 'Password hashes removed; secrets' : 'Secrets'} in parameters shown as ${MASK}.\n${formatDocument(document)}`,
      hint,
    );
  },
});

// --- Import: document shape ---------------------------------------------------------------------

const text = z.string();
const table = z.record(z.string(), z.unknown());
const tags = z.union([z.string(), z.array(z.string())]);
const present = z.unknown().refine((value) => value !== undefined, 'required');
/** Each item keeps fields this schema does not know (RabbitMQ ignores or uses them); wrong types are refused. */
const list = <Shape extends z.ZodRawShape>(shape: Shape) => z.array(z.looseObject(shape)).optional();

/** The fields RabbitMQ needs for each object (it answers a missing one with an opaque function_clause). */
const documentSchema = z.looseObject({
  vhosts: list({ name: objectName('vhost name'), description: text.optional(), tags: tags.optional() }),
  users: list({
    name: objectName('user name'),
    password_hash: text.optional(),
    password: text.optional(),
    hashing_algorithm: text.optional(),
    tags: tags.optional(),
    limits: table.optional(),
  }),
  permissions: list({ user: text, vhost: text.optional(), configure: text, write: text, read: text }),
  topic_permissions: list({ user: text, vhost: text.optional(), exchange: text, write: text, read: text }),
  parameters: list({ vhost: text.optional(), component: text, name: objectName('parameter name'), value: present }),
  global_parameters: list({ name: objectName('global parameter name'), value: present }),
  policies: list({
    vhost: text.optional(),
    name: objectName('policy name'),
    pattern: text,
    'apply-to': text.optional(),
    definition: table,
    priority: z.number().int().optional(),
  }),
  queues: list({
    vhost: text.optional(),
    name: objectName('queue name'),
    durable: z.boolean(),
    auto_delete: z.boolean(),
    arguments: table.optional(),
  }),
  exchanges: list({
    vhost: text.optional(),
    name: text,
    type: text,
    durable: z.boolean(),
    auto_delete: z.boolean(),
    internal: z.boolean().optional(),
    arguments: table.optional(),
  }),
  bindings: list({
    vhost: text.optional(),
    source: text,
    destination: text,
    destination_type: z.enum(['queue', 'exchange']),
    routing_key: text,
    arguments: table.optional(),
  }),
});

/** "queues[2] 'orders'.durable: Invalid input: expected boolean, received string" */
function documentProblems(error: z.ZodError, document: Item): string {
  const problems = error.issues.slice(0, 8).map((issue) => {
    const [key, index, ...rest] = issue.path;
    if (typeof index !== 'number') return `${issue.path.join('.') || 'document'}: ${issue.message}`;
    const item = (document[String(key)] as unknown[])[index] as Item | undefined;
    const named = typeof item?.name === 'string' ? ` '${item.name}'` : typeof item?.source === 'string' ? ` (source '${item.source}')` : '';
    return `${String(key)}[${index}]${named}${rest.length > 0 ? `.${rest.join('.')}` : ''}: ${issue.message}`;
  });
  const more = error.issues.length > problems.length ? ` (and ${error.issues.length - problems.length} more)` : '';
  return `The definitions document is not valid: ${problems.join('; ')}${more}. Nothing was changed.`;
}

// --- Import: diff -------------------------------------------------------------------------------

interface Entry {
  kind: Kind;
  label: string;
  detail?: string;
}

interface Diff {
  added: Entry[];
  changed: Entry[];
  conflicts: Entry[];
  skipped: Entry[];
  unchanged: Entry[];
  /** Problems that would make the import fail or do harm; nothing is applied while there are any. */
  blockers: string[];
}

const MAX_BLOCKERS_SHOWN = 10;

function tagList(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value.map(String) : [];
  return list
    .map((tag) => tag.trim())
    .filter(Boolean)
    .sort();
}

function comparable(kind: Kind, field: string, value: unknown): unknown {
  if (field === 'tags') return tagList(value);
  // RabbitMQ reports an unset default queue type as the atom 'undefined'.
  if (kind.key === 'vhosts' && field === 'default_queue_type' && value === 'undefined') return undefined;
  return value;
}

/** Field differences as "field old → new", credentials masked. */
function fieldChanges(kind: Kind, incoming: Item, existing: Item): string[] {
  const changes: string[] = [];
  for (const [field, fallback] of Object.entries(kind.fields)) {
    if ((incoming[field] ?? fallback) === undefined) continue;
    const wanted = comparable(kind, field, incoming[field] ?? fallback);
    const now = comparable(kind, field, existing[field] ?? fallback);
    if (canonical(wanted) === canonical(now)) continue;
    const [before, after] = [show(now), show(wanted)];
    changes.push(before === after ? `${field}: a credential differs (not shown)` : `${field} ${before} → ${after}`);
  }
  return changes;
}

/** What an import does to a user's password: never shows a hash, refuses to clear one by accident. */
function passwordChange(user: Item, existing: Item | undefined, verifying: boolean): { change?: string; blocker?: string; clears?: true } {
  const label = `user '${String(user.name)}'`;
  if (user.password !== undefined && user.password_hash !== undefined) {
    return { blocker: `${label} has both password and password_hash; RabbitMQ refuses that: keep one` };
  }
  if (user.password !== undefined) return verifying ? {} : { change: 'password set (not shown)' };
  if (user.password_hash !== undefined) {
    const same =
      existing?.password_hash === user.password_hash &&
      (user.hashing_algorithm === undefined || user.hashing_algorithm === existing.hashing_algorithm);
    return existing && !same ? { change: 'password hash replaced (not shown)' } : {};
  }
  // RabbitMQ clears the password of an existing user imported without one: never what an exported document means.
  return existing && typeof existing.password_hash === 'string' && existing.password_hash !== '' ? { clears: true } : {};
}

function vhostOf(item: Item, target: string | undefined): string | undefined {
  return target ?? (typeof item.vhost === 'string' ? item.vhost : undefined);
}

function identity(kind: Kind, item: Item, target: string | undefined): string {
  return JSON.stringify([kind.inVhost ? vhostOf(item, target) : null, ...kind.id(item)]);
}

/** A vhost document's exchange and queue names per vhost, to tell which bindings would find both ends. */
function namesByVhost(documents: Item[], key: string, target: string | undefined): Set<string> {
  const names = new Set<string>();
  const kind = kindNamed(key);
  for (const document of documents)
    for (const item of itemsOf(document, kind)) names.add(JSON.stringify([vhostOf(item, target), item.name]));
  return names;
}

/** Why the broker would skip this object silently, if it would. */
function skipReason(kind: Kind, item: Item, target: string | undefined, exchanges: Set<string>, queues: Set<string>): string | undefined {
  const itemName = typeof item.name === 'string' ? item.name : '';
  if (
    (kind.key === 'queues' || kind.key === 'exchanges') &&
    (itemName.startsWith('amq.') || (kind.key === 'exchanges' && itemName === ''))
  ) {
    return 'reserved name: RabbitMQ skips it';
  }
  if (kind.key !== 'bindings') return undefined;
  const vhost = vhostOf(item, target);
  const source = String(item.source);
  if (source === '') return "the default exchange's bindings are implicit: RabbitMQ skips it";
  const exists = (set: Set<string>, object: string) => object.startsWith('amq.') || set.has(JSON.stringify([vhost, object]));
  if (!exists(exchanges, source)) return `exchange '${source}' neither exists nor is in the document: RabbitMQ skips the binding`;
  const destination = String(item.destination);
  const destinations = item.destination_type === 'queue' ? queues : exchanges;
  if (!exists(destinations, destination)) {
    return `${String(item.destination_type)} '${destination}' neither exists nor is in the document: RabbitMQ skips the binding`;
  }
  return undefined;
}

/** Problems only a whole-broker import has: objects without a vhost, unknown vhosts and users. */
function wholeBrokerBlockers(incoming: Item, current: Item): string[] {
  const blockers: string[] = [];
  const knownVhosts = new Set(
    [...itemsOf(current, kindNamed('vhosts')), ...itemsOf(incoming, kindNamed('vhosts'))].map((vhost) => vhost.name),
  );
  const knownUsers = new Set([...itemsOf(current, kindNamed('users')), ...itemsOf(incoming, kindNamed('users'))].map((user) => user.name));
  const unknownVhosts = new Set<string>();
  for (const kind of KINDS.filter((candidate) => candidate.inVhost)) {
    const items = itemsOf(incoming, kind);
    const homeless = items.filter((item) => typeof item.vhost !== 'string');
    if (homeless.length > 0) {
      blockers.push(
        `${count(homeless.length, kind)} without a vhost (e.g. ${kind.label(homeless[0] as Item)}): a whole-broker import needs one on each; pass vhost to import into one vhost`,
      );
    }
    for (const item of items) if (typeof item.vhost === 'string' && !knownVhosts.has(item.vhost)) unknownVhosts.add(item.vhost);
  }
  for (const vhost of unknownVhosts) {
    blockers.push(`vhost '${vhost}' does not exist and the document does not create it: RabbitMQ would fail the import partway`);
  }
  for (const kind of KINDS.filter((candidate) => candidate.key === 'permissions' || candidate.key === 'topic_permissions')) {
    const unknownUsers = new Set(
      itemsOf(incoming, kind)
        .filter((item) => !knownUsers.has(item.user))
        .map((item) => String(item.user)),
    );
    for (const user of unknownUsers) blockers.push(`${kind.many} name user '${user}', who neither exists nor is in the document`);
  }
  return blockers;
}

/**
 * What importing `incoming` would do to `current` (a document of the same level). With `verifying`,
 * what cannot be read back (a plain-text password) counts as matching.
 */
function diffDefinitions(incoming: Item, current: Item, target: string | undefined, verifying = false): Diff {
  const diff: Diff = { added: [], changed: [], conflicts: [], skipped: [], unchanged: [], blockers: [] };
  const cleared: string[] = [];
  if (target === undefined) diff.blockers.push(...wholeBrokerBlockers(incoming, current));
  const exchanges = namesByVhost([current, incoming], 'exchanges', target);
  const queues = namesByVhost([current, incoming], 'queues', target);
  for (const kind of KINDS) {
    const existing = new Map(itemsOf(current, kind).map((item) => [identity(kind, item, target), item]));
    for (const raw of itemsOf(incoming, kind)) {
      // A vhost document of 3.11+ keeps a vhost's description and tags under metadata.
      const item = kind.key === 'vhosts' && raw.metadata && typeof raw.metadata === 'object' ? { ...(raw.metadata as Item), ...raw } : raw;
      const where = target === undefined && kind.inVhost ? ` in vhost '${String(item.vhost)}'` : '';
      const label = `${kind.label(item)}${where}`;
      if ((kind.key === 'parameters' || kind.key === 'global_parameters') && holdsMask(item.value)) {
        diff.blockers.push(
          `${kind.one} ${label} holds a credential masked as ${MASK} (export_definitions masks them): put the real value back or leave it out`,
        );
      }
      const skipped = skipReason(kind, item, target, exchanges, queues);
      if (skipped) {
        diff.skipped.push({ kind, label, detail: skipped });
        continue;
      }
      const now = existing.get(identity(kind, item, target));
      const changes = now ? fieldChanges(kind, item, now) : [];
      if (kind.key === 'users') {
        const password = passwordChange(item, now, verifying);
        if (password.blocker) diff.blockers.push(password.blocker);
        if (password.clears) cleared.push(`'${String(item.name)}'`);
        if (password.change && now) changes.push(password.change);
      }
      if (!now) diff.added.push({ kind, label, detail: addedDetail(kind, item) });
      else if (changes.length === 0) diff.unchanged.push({ kind, label });
      else if (kind.fixed) diff.conflicts.push({ kind, label, detail: changes.join('; ') });
      else diff.changed.push({ kind, label, detail: changes.join('; ') });
    }
  }
  if (cleared.length > 0) {
    const users =
      cleared.length === 1
        ? `user ${cleared[0]} has`
        : `${cleared.length} users (${cleared.slice(0, 5).join(', ')}${cleared.length > 5 ? ', …' : ''}) have`;
    diff.blockers.push(
      `${users} no password_hash: importing would clear ${cleared.length === 1 ? "that user's password" : 'their passwords'} (export_definitions strips hashes); add password or password_hash, or leave the users out`,
    );
  }
  return diff;
}

function addedDetail(kind: Kind, item: Item): string | undefined {
  switch (kind.key) {
    case 'queues':
      return hasEntries(item.arguments) ? show(item.arguments) : undefined;
    case 'exchanges':
      return `${String(item.type)}${item.internal ? ', internal' : ''}${hasEntries(item.arguments) ? ` ${show(item.arguments)}` : ''}`;
    case 'policies':
      return `pattern ${JSON.stringify(item.pattern)} → ${show(item.definition)}`;
    case 'users': {
      const userTags = tagList(item.tags);
      const noPassword = item.password === undefined && !item.password_hash ? ', no password' : '';
      return `${userTags.length > 0 ? `tags ${userTags.join(',')}` : 'no tags'}${noPassword}`;
    }
    case 'permissions':
      return `configure ${JSON.stringify(item.configure)} write ${JSON.stringify(item.write)} read ${JSON.stringify(item.read)}`;
    default:
      return undefined;
  }
}

const MAX_LISTED = 25;

type Section = keyof Pick<Diff, 'added' | 'changed' | 'conflicts' | 'skipped'>;

const SECTIONS: readonly { key: Section; verb: string; counted: (n: number) => string }[] = [
  { key: 'added', verb: 'add', counted: (n) => `${n} to add` },
  { key: 'changed', verb: 'change', counted: (n) => `${n} to change` },
  { key: 'conflicts', verb: 'conflict', counted: (n) => `${n} conflict${n === 1 ? '' : 's'}` },
  { key: 'skipped', verb: 'skip', counted: (n) => `${n} skipped` },
];

/** "3 to add, 1 conflict, 12 unchanged" over some entries. */
function tally(entries: Record<Section | 'unchanged', readonly Entry[]>): string {
  const parts = SECTIONS.filter(({ key }) => entries[key].length > 0).map(({ key, counted }) => counted(entries[key].length));
  if (entries.unchanged.length > 0) parts.push(`${entries.unchanged.length} unchanged`);
  return parts.join(', ') || 'no object RabbitMQ would import';
}

/** Per kind: a count line, then what is added, changed, in conflict or skipped. */
function diffDetails(diff: Diff, ignored: readonly string[]): string {
  const lines: string[] = [];
  for (const kind of KINDS) {
    const mine = (entries: readonly Entry[]) => entries.filter((entry) => entry.kind === kind);
    const entries = {
      added: mine(diff.added),
      changed: mine(diff.changed),
      conflicts: mine(diff.conflicts),
      skipped: mine(diff.skipped),
      unchanged: mine(diff.unchanged),
    };
    if (Object.values(entries).every((list) => list.length === 0)) continue;
    lines.push(`${kind.many}: ${tally(entries)}`);
    for (const { key, verb } of SECTIONS) {
      for (const entry of entries[key].slice(0, MAX_LISTED))
        lines.push(`  ${verb} ${entry.label}${entry.detail ? `: ${entry.detail}` : ''}`);
      if (entries[key].length > MAX_LISTED) lines.push(`  … and ${entries[key].length - MAX_LISTED} more to ${verb}`);
    }
  }
  if (diff.conflicts.length > 0) {
    lines.push(
      "Conflicts: RabbitMQ cannot change a queue's or exchange's type, flags or arguments in place, so the import leaves those as they are (delete and re-create one to change it; deleting a queue loses its messages).",
    );
  }
  if (ignored.length > 0) lines.push(`Ignored by a vhost-level import: ${ignored.join(', ')}.`);
  return lines.join('\n');
}

// --- Import: the tool ---------------------------------------------------------------------------

/**
 * The document as a tool argument: advertised as an object; a string holding one is accepted too,
 * since some clients send nested JSON as text.
 */
const definitionsArgument = z.preprocess(
  (value, context) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      context.addIssue({ code: 'custom', message: `not valid JSON (${(error as Error).message})` });
      return z.NEVER;
    }
  },
  z.record(z.string(), z.unknown(), { error: 'must be a definitions document: a JSON object, or a string holding one' }),
);

/** A vhost-level document: RabbitMQ puts every object in the target vhost and ignores the global sections. */
function forVhost(document: Item): Item {
  const scoped: Item = {};
  for (const [key, value] of Object.entries(document)) {
    const kind = KINDS.find((candidate) => candidate.key === key);
    if (kind && !kind.perVhostImport) continue;
    // The vhost an object names does not count in a vhost-level import; dropping it lets the scope check the real target.
    scoped[key] = kind ? itemsOf(document, kind).map(({ vhost: _vhost, ...item }) => item) : value;
  }
  return scoped;
}

async function readCurrent(broker: Broker, target: string | undefined, incoming: Item): Promise<Item> {
  const current = await readDefinitions(broker, target);
  if (target !== undefined || itemsOf(incoming, kindNamed('vhosts')).length === 0) return current;
  // The whole-broker export of 3.10 lists vhosts by name only; their description and tags come from /api/vhosts.
  const details = await broker.management.get<Item[]>(apiPath('vhosts'));
  const byName = new Map(details.map((vhost) => [vhost.name, vhost]));
  return { ...current, vhosts: itemsOf(current, kindNamed('vhosts')).map((vhost) => ({ ...byName.get(vhost.name), ...vhost })) };
}

const IMPORT_TIMEOUT_MS = 120_000;

/** "into vhost 'b'", saying so when the document's objects name another vhost (a vhost-level import moves them). */
function destination(document: Item, target: string | undefined): string {
  if (target === undefined) return 'into the whole broker';
  const named = KINDS.filter((kind) => kind.perVhostImport).flatMap((kind) => itemsOf(document, kind).map((item) => item.vhost));
  const others = [...new Set(named)].filter((vhost): vhost is string => typeof vhost === 'string' && vhost !== target);
  return others.length === 0
    ? `into vhost '${target}'`
    : `into vhost '${target}' (objects the document puts in vhost ${others.map((vhost) => `'${vhost}'`).join(', ')} go there instead)`;
}

/** What the re-read broker says about the objects the import was to add or change. */
function verification(before: Diff, after: Diff): string {
  const applied = before.added.length + before.changed.length;
  const missing = [...after.added, ...after.changed];
  if (missing.length === 0) return `Verified: all ${applied} now match the document.`;
  const listed = missing
    .slice(0, MAX_LISTED)
    .map((entry) => `  ${entry.kind.one} ${entry.label}${entry.detail ? `: ${entry.detail}` : ''}`);
  return `Verified: ${Math.max(applied - missing.length, 0)} of ${applied} match; still different:\n${listed.join('\n')}`;
}

export const importDefinitions = defineTool({
  name: 'import_definitions',
  title: 'Import definitions',
  group: 'definitions',
  description: 'Add and update definitions, never delete; previews a diff.',
  input: z.strictObject({
    definitions: definitionsArgument.describe('As exported'),
    vhost: objectName('vhost').optional().describe('Omit: whole broker'),
    confirm,
  }),
  annotations: destroys(true),
  async handler(args, { broker, confirm: ask, progress }) {
    const parsed = documentSchema.safeParse(args.definitions);
    if (!parsed.success) return { text: documentProblems(parsed.error, args.definitions), isError: true };
    const target = args.vhost;
    const original = parsed.data as Item;
    const document = target === undefined ? original : forVhost(original);
    const path = target === undefined ? apiPath('definitions') : apiPath('definitions', target);
    // Refused before the dry run: the scope would refuse the import itself.
    broker.scope.checkBody(path, document);

    await progress(1, 3, 'comparing the document with the broker');
    const diff = diffDefinitions(document, await readCurrent(broker, target, document), target);
    const where = destination(original, target);
    if (diff.blockers.length > 0) {
      const shown = diff.blockers.slice(0, MAX_BLOCKERS_SHOWN).map((blocker) => `- ${blocker}`);
      const more = diff.blockers.length > shown.length ? `\n- … and ${diff.blockers.length - shown.length} more` : '';
      return { text: `Not imported ${where}; nothing was changed:\n${shown.join('\n')}${more}`, isError: true };
    }
    const ignored =
      target === undefined
        ? []
        : KINDS.filter((kind) => !kind.perVhostImport && itemsOf(original, kind).length > 0).map((kind) =>
            count(itemsOf(original, kind).length, kind),
          );
    const details = diffDetails(diff, ignored);
    if (diff.added.length + diff.changed.length === 0) {
      return capOutput(`Nothing to import ${where}: ${tally(diff)}. Nothing was changed.${details ? `\n${details}` : ''}`);
    }
    const declined = await ask(
      args.confirm,
      capOutput(`would import ${where}: ${tally(diff)}\n${details}\nImports add and update; they never delete`),
    );
    if (declined) return declined;

    await progress(2, 3, 'importing');
    try {
      await broker.management.post(path, document, { timeoutMs: IMPORT_TIMEOUT_MS, notFound: target && vhostNotFound(target) });
    } catch (error) {
      if (!(error instanceof BrokerError) || isConnectionFailure(error)) throw error;
      return {
        text: `Import failed: ${error.message.slice(0, 600)}. RabbitMQ applies a document object by object, so the objects before the failing one may be in place: call import_definitions without confirm to see what remains.`,
        isError: true,
      };
    }

    await progress(3, 3, 'verifying');
    const verified = verification(diff, diffDefinitions(document, await readCurrent(broker, target, document), target, true));
    const left = [
      diff.conflicts.length > 0 ? `${diff.conflicts.length} in conflict left as they were` : '',
      diff.skipped.length > 0 ? `${diff.skipped.length} skipped` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return capOutput(
      `Imported ${where}: ${diff.added.length} added, ${diff.changed.length} changed${left ? ` (${left})` : ''}. ${verified}\n${details}`,
    );
  },
});
