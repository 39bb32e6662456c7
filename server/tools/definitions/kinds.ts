import { withoutCredentials } from '../credentials.js';
import { quoted } from '../output.js';
import { inQuotes } from '../../broker/one-line.js';

/**
 * The sections of a definitions document (GET/POST /api/definitions, or /api/definitions/{vhost}
 * for one vhost): what each kind of object is called, where it lives, what identifies it and
 * which of its fields an import compares.
 */

export type Item = Record<string, unknown>;

/** One kind of object in a definitions document, and how to compare it with what exists. */
export interface DefinitionKind {
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

const name = (item: Item) => `${inQuotes(String(item.name))}`;

export const KINDS: readonly DefinitionKind[] = [
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
    label: (item) => `user ${inQuotes(String(item.user))}`,
    fields: { configure: undefined, write: undefined, read: undefined },
  },
  {
    key: 'topic_permissions',
    one: 'topic permission',
    many: 'topic permissions',
    inVhost: true,
    perVhostImport: false,
    id: (item) => [item.user, item.exchange],
    label: (item) => `user ${inQuotes(String(item.user))} on exchange ${inQuotes(String(item.exchange))}`,
    fields: { write: undefined, read: undefined },
  },
  {
    key: 'parameters',
    one: 'parameter',
    many: 'parameters',
    inVhost: true,
    perVhostImport: true,
    id: (item) => [item.component, item.name],
    label: (item) => `${String(item.component)} ${inQuotes(String(item.name))}`,
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
      `${quoted(String(item.source))} → ${String(item.destination_type)} ${inQuotes(String(item.destination))} key ${inQuotes(String(item.routing_key))}${hasEntries(item.arguments) ? ` ${show(item.arguments)}` : ''}`,
    fields: {},
  },
];

export function kindNamed(key: string): DefinitionKind {
  const kind = KINDS.find((candidate) => candidate.key === key);
  if (!kind) throw new Error(`no definitions kind ${inQuotes(key)}`);
  return kind;
}

/** "3 queues", "1 policy" */
export function count(n: number, kind: DefinitionKind): string {
  return `${n} ${n === 1 ? kind.one : kind.many}`;
}

export function hasEntries(value: unknown): boolean {
  return !!value && typeof value === 'object' && Object.keys(value).length > 0;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

const MAX_SHOWN = 300;

/** A value as the diff shows it: credentials masked, long ones cut. */
export function show(value: unknown): string {
  const text = value === undefined ? 'none' : JSON.stringify(withoutCredentials(value));
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** A document's objects of one kind; anything there that is not an object is left out. */
export function itemsOf(document: Item, kind: DefinitionKind): Item[] {
  const items = document[kind.key];
  return Array.isArray(items) ? items.filter((item): item is Item => !!item && typeof item === 'object') : [];
}
