import { MASK } from '../credentials.js';
import { type DefinitionKind, type Item, KINDS, canonical, count, hasEntries, itemsOf, kindNamed, show } from './kinds.js';
import { inQuotes } from '../../broker/one-line.js';

/**
 * The import plan: what importing a document would add, change, leave in conflict, skip or
 * refuse, worked out from the wanted document and the current one alone (no I/O), since an
 * import adds and updates objects but never deletes, and cannot change a queue or exchange in
 * place.
 */

function holdsMask(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes(MASK);
}

export interface Entry {
  kind: DefinitionKind;
  label: string;
  detail?: string;
}

export interface Diff {
  added: Entry[];
  changed: Entry[];
  conflicts: Entry[];
  skipped: Entry[];
  unchanged: Entry[];
  /** Problems that would make the import fail or do harm; nothing is applied while there are any. */
  blockers: string[];
}

function tagList(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value.map(String) : [];
  return list
    .map((tag) => tag.trim())
    .filter(Boolean)
    .sort();
}

function comparable(kind: DefinitionKind, field: string, value: unknown): unknown {
  if (field === 'tags') return tagList(value);
  // RabbitMQ reports an unset default queue type as the atom 'undefined'.
  if (kind.key === 'vhosts' && field === 'default_queue_type' && value === 'undefined') return undefined;
  return value;
}

/** Field differences as "field old → new", credentials masked. */
function fieldChanges(kind: DefinitionKind, incoming: Item, existing: Item): string[] {
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
  const label = `user ${inQuotes(String(user.name))}`;
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

function identity(kind: DefinitionKind, item: Item, target: string | undefined): string {
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
function skipReason(
  kind: DefinitionKind,
  item: Item,
  target: string | undefined,
  exchanges: Set<string>,
  queues: Set<string>,
): string | undefined {
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
  if (!exists(exchanges, source)) return `exchange ${inQuotes(source)} neither exists nor is in the document: RabbitMQ skips the binding`;
  const destination = String(item.destination);
  const destinations = item.destination_type === 'queue' ? queues : exchanges;
  if (!exists(destinations, destination)) {
    return `${String(item.destination_type)} ${inQuotes(destination)} neither exists nor is in the document: RabbitMQ skips the binding`;
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
    blockers.push(`vhost ${inQuotes(vhost)} does not exist and the document does not create it: RabbitMQ would fail the import partway`);
  }
  for (const kind of KINDS.filter((candidate) => candidate.key === 'permissions' || candidate.key === 'topic_permissions')) {
    const unknownUsers = new Set(
      itemsOf(incoming, kind)
        .filter((item) => !knownUsers.has(item.user))
        .map((item) => String(item.user)),
    );
    for (const user of unknownUsers) blockers.push(`${kind.many} name user ${inQuotes(user)}, who neither exists nor is in the document`);
  }
  return blockers;
}

/**
 * What importing `incoming` would do to `current` (a document of the same level). With `verifying`,
 * what cannot be read back (a plain-text password) counts as matching.
 */
export function diffDefinitions(incoming: Item, current: Item, target: string | undefined, verifying = false): Diff {
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
      const where = target === undefined && kind.inVhost ? ` in vhost ${inQuotes(String(item.vhost))}` : '';
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
        if (password.clears) cleared.push(`${inQuotes(String(item.name))}`);
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

function addedDetail(kind: DefinitionKind, item: Item): string | undefined {
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
