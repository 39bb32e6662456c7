import type { SafetyLevel } from '../config/load-config.js';
import { NamePatterns } from '../config/name-patterns.js';
import { inQuotes } from './one-line.js';

/**
 * The broker user a scoped server needs, and no more: RabbitMQ then refuses by itself much of
 * what the scope and the safety level forbid, whatever the server's own checks let through.
 *
 * What RabbitMQ checks (deps/rabbit/src/rabbit_channel.erl; the management API declares, binds,
 * publishes and gets over the same checks): declaring or deleting a queue or exchange needs
 * configure on it; reading (get, consume) and purging a queue needs read on it; publishing needs
 * write on the exchange (the default exchange is checked as `amq.default`); binding needs write
 * on the destination and read on the source exchange; a queue declared with a dead-letter exchange
 * needs read on itself and write on that exchange, an exchange with an alternate exchange read on
 * itself and write on the alternate. One pattern covers queues and exchanges alike, matched
 * against the name with Erlang's `re` (PCRE, byte by byte, unanchored; 4.3 stops at 50,000 steps
 * and refuses the access then). Policies, shovels and federation need the policymaker tag; users,
 * vhosts, tracing and definitions imports the administrator tag; node and cluster views monitoring.
 */

export interface Permissions {
  configure: string;
  write: string;
  read: string;
}

export interface VhostPermissions extends Permissions {
  vhost: string;
}

/** What a scope-limited server may reach: the --vhosts and --queues patterns. */
export interface ScopePatterns {
  vhosts: readonly string[];
  queues: readonly string[];
}

export interface PlanOptions {
  /**
   * Grant write on the default exchange under --queues: publish_messages to a queue by name and
   * move_messages need it, and it lets the user publish to every queue of the vhost by name.
   */
  defaultExchange?: boolean;
}

/** RabbitMQ's pattern for "nothing": its own default for an empty permission. */
export const NOTHING = '^$';
const EVERYTHING = '.*';

/** Exchanges whose messages name or copy other queues' traffic: the firehose, the event and log exchanges, direct reply-to. */
const INTERNAL_PREFIX = 'amq.rabbitmq.';
const DEFAULT_EXCHANGE = 'amq.default';

/** One character of a name, as the broker's byte-wise engine sees its UTF-8: an ASCII byte or a lead byte and its continuations. */
const ONE_CHARACTER = '(?:[\\x00-\\x7F]|[\\xC0-\\xFF][\\x80-\\xBF]*)';

function escapeCharacter(character: string): string {
  if (/^[A-Za-z0-9_\-/:@%~,= ]$/.test(character)) return character;
  const code = character.codePointAt(0) as number;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  // A backslash before any other ASCII character makes it literal in PCRE; UTF-8 bytes of other
  // characters have no meaning there and match themselves.
  return code < 0x80 ? `\\${character}` : character;
}

/** A name as itself. */
function exact(name: string): string {
  return [...name].map(escapeCharacter).join('');
}

/** A glob segment (no star): `?` is one character, the rest itself. */
function literal(text: string): string {
  return [...text].map((character) => (character === '?' ? ONE_CHARACTER : escapeCharacter(character))).join('');
}

/**
 * A glob (`*` any run, `?` one character) as a PCRE fragment that matches from where it starts to
 * the end of the name exactly when the rest of the name matches the glob. Each segment between
 * stars is taken at its first occurrence and kept (an atomic group), which is how a glob matches
 * anyway, so the engine never backtracks across stars: a few steps per byte of a name, far under
 * the 50,000 RabbitMQ 4.3 allows.
 */
export function globFragment(glob: string): string {
  const segments = glob.split('*');
  const first = literal(segments[0] as string);
  if (segments.length === 1) return `${first}\\z`;
  const middle = segments
    .slice(1, -1)
    .filter((segment) => segment !== '')
    .map((segment) => `(?>.*?${literal(segment)})`);
  const last = segments.at(-1) as string;
  return `${first}${middle.join('')}.*${literal(last)}\\z`;
}

/** Whether some name that starts with `prefix` matches the glob. */
function globAdmitsPrefix(glob: string, prefix: string): boolean {
  const pattern = [...glob];
  const text = [...prefix];
  for (let index = 0; index < text.length; index++) {
    const character = pattern[index];
    if (character === undefined) return false;
    if (character === '*') return true;
    if (character !== '?' && character !== text[index]) return false;
  }
  return true;
}

/**
 * The permission pattern for the names the --queues patterns allow, minus `never`: exact names
 * and prefixes the user must not reach even when a pattern would allow them. Denies become a
 * negative lookahead (PCRE has it), so the broker refuses exactly what the server does. `(?s)`
 * lets `.` match a newline, and `\z` ends at the true end, as the server's globs do.
 */
export function namesPattern(queues: readonly string[], never: { names?: readonly string[]; prefixes?: readonly string[] } = {}): string {
  const allow = queues.filter((pattern) => !pattern.startsWith('!'));
  const deny = queues.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  const scope = new NamePatterns(queues);
  const admits = (prefix: string) => allow.length === 0 || allow.some((glob) => globAdmitsPrefix(glob, prefix));
  const excluded = [
    ...deny.map(globFragment),
    ...(never.names ?? []).filter((name) => scope.matches(name)).map((name) => `${exact(name)}\\z`),
    ...(never.prefixes ?? []).filter(admits).map(exact),
  ];
  if (allow.length === 0 && excluded.length === 0) return EVERYTHING;
  const lookahead = excluded.length > 0 ? `(?!${excluded.join('|')})` : '';
  const allowed = allow.length > 0 ? `(?:${allow.map(globFragment).join('|')})` : '';
  return `(?s)^${lookahead}${allowed}`;
}

function atLeastWrite(level: SafetyLevel): boolean {
  return level !== 'read-only';
}

/** The configure, write and read patterns the server needs in each vhost of its scope. */
export function permissionsFor(scope: ScopePatterns, level: SafetyLevel, options: PlanOptions = {}): Permissions {
  const hidesQueues = scope.queues.length > 0;
  const names = hidesQueues ? namesPattern(scope.queues, { prefixes: [INTERNAL_PREFIX] }) : EVERYTHING;
  if (!atLeastWrite(level)) return { configure: NOTHING, write: NOTHING, read: names };
  const write =
    hidesQueues && !options.defaultExchange
      ? namesPattern(scope.queues, { prefixes: [INTERNAL_PREFIX], names: [DEFAULT_EXCHANGE] })
      : names;
  return { configure: names, write, read: names };
}

/**
 * The user's tags. `management` is enough to use the management API in the vhosts it has
 * permissions in; `monitoring` would also show every other vhost's queues and connections, so it
 * is given only when no --vhosts hides a vhost (it adds nodes and the cluster's health).
 * `policymaker` only at a level that sets policies and without --queues (a policy matches hidden
 * queues too); `administrator` never: it could grant itself anything.
 */
export function tagsFor(scope: ScopePatterns, level: SafetyLevel): string[] {
  const tags = [scope.vhosts.length > 0 ? 'management' : 'monitoring'];
  if (atLeastWrite(level) && scope.queues.length === 0) tags.push('policymaker');
  return tags;
}

export interface UserPlan {
  tags: string[];
  /** One entry per vhost of the broker that --vhosts matches, at the time of planning. */
  permissions: VhostPermissions[];
  /** What the broker itself refuses this user, in sentences. */
  brokerEnforces: string[];
  /** What stays the server's job alone, with why. */
  serverOnly: string[];
  /** What else the operator should know (new vhosts, exchanges, the default exchange). */
  notes: string[];
}

export class PlanError extends Error {
  override name = 'PlanError';
}

function list(names: readonly string[]): string {
  return names.map((name) => `${inQuotes(name)}`).join(', ');
}

/**
 * The least-privilege user for a scope and a safety level on a broker whose vhosts are
 * `brokerVhosts` (listed by an administrator). Throws PlanError when no vhost is in scope.
 */
export function planUser(input: {
  scope: ScopePatterns;
  level: SafetyLevel;
  brokerVhosts: readonly string[];
  options?: PlanOptions;
}): UserPlan {
  const { scope, level, options = {} } = input;
  const vhostPatterns = new NamePatterns(scope.vhosts);
  const vhosts = input.brokerVhosts.filter((vhost) => vhostPatterns.matches(vhost)).sort();
  if (vhosts.length === 0) {
    throw new PlanError(
      `no vhost on the broker matches --vhosts ${scope.vhosts.join(',')} (it has ${list(input.brokerVhosts) || 'none'}): create the vhost first or change the pattern`,
    );
  }
  const permissions = permissionsFor(scope, level, options);
  const tags = tagsFor(scope, level);
  const hidesQueues = scope.queues.length > 0;
  const queues = scope.queues.join(',');
  const brokerEnforces: string[] = [
    'no users, vhosts, global parameters, definitions imports or vhost tracing: the user is not an administrator',
  ];
  const serverOnly: string[] = [];
  const notes: string[] = [
    scope.vhosts.length > 0
      ? `vhosts created later that match --vhosts ${scope.vhosts.join(',')} get no permissions: run this command again after creating one`
      : 'vhosts created later get no permissions: run this command again after creating one',
  ];

  if (!atLeastWrite(level)) {
    brokerEnforces.push('read-only: configure and write match nothing, so no declare, delete, bind, publish or purge');
  } else {
    serverOnly.push(
      level === 'write'
        ? 'nothing is removed below --allow-destructive: RabbitMQ grants deleting with configure and purging and consuming with read'
        : 'a confirmation before each removal',
    );
  }
  if (!tags.includes('policymaker')) {
    brokerEnforces.push('no policies, operator policies, shovels or federation links: the user has no policymaker tag');
  } else if (scope.vhosts.length > 0) {
    serverOnly.push(
      `shovels and federation links into vhosts outside --vhosts ${scope.vhosts.join(',')}: a URI with a host logs in with its own credentials, which the broker does not check against this user (it checks URIs without a host)`,
    );
  }
  if (scope.vhosts.length > 0) {
    brokerEnforces.push(
      `no access to vhosts outside --vhosts ${scope.vhosts.join(',')}: permissions only in ${list(vhosts)}, and the management tag shows no other vhost`,
    );
  }
  if (hidesQueues) {
    brokerEnforces.push(
      `queues outside --queues ${queues} cannot be declared, deleted, bound, read, purged or consumed: the permission patterns match only names in scope`,
      `no firehose or event stream: ${INTERNAL_PREFIX}trace and ${INTERNAL_PREFIX}event are outside the patterns, and only an administrator can turn tracing on`,
    );
    if (atLeastWrite(level) && !options.defaultExchange) {
      brokerEnforces.push(`no publishing to a queue by name: no write on ${DEFAULT_EXCHANGE} (the default exchange)`);
    }
    serverOnly.push(
      'the names and counts of hidden queues: the management API shows every queue of a vhost to any user who may use it, so the server leaves them out',
    );
    if (atLeastWrite(level)) {
      serverOnly.push(
        'messages routed into hidden queues by exchanges in scope (bindings, alternate exchanges or dead-lettering others set up): the broker checks the exchange published to, not where it routes',
      );
      if (options.defaultExchange) {
        serverOnly.push(`publishing to a hidden queue by name: write on ${DEFAULT_EXCHANGE} reaches every queue of the vhost`);
      }
    }
    if (level === 'destructive') {
      serverOnly.push('deleting an exchange in scope whose bindings feed a hidden queue: configure on the exchange allows it');
    }
    notes.push(
      `RabbitMQ's patterns cover exchanges as well as queues: this user can use only exchanges whose names match --queues ${queues} (not amq.direct, amq.topic or the like)`,
    );
    if (atLeastWrite(level) && !options.defaultExchange) {
      notes.push(
        'publish_messages to a queue by name and move_messages go through the default exchange, which the broker refuses this user: --default-exchange grants it, and then only the server keeps hidden queues out of reach by name',
      );
    }
  }
  return { tags, permissions: vhosts.map((vhost) => ({ vhost, ...permissions })), brokerEnforces, serverOnly, notes };
}
