import { randomBytes } from 'node:crypto';
import type { BrokerEndpoint, SafetyLevel } from '../config/load-config.js';
import { NamePatterns } from '../config/name-patterns.js';
import { connectAmqp } from './amqp-session.js';
import { BrokerError } from './broker-errors.js';
import type { ScopePatterns, VhostPermissions } from './least-privilege.js';
import { type ManagementClient, apiPath } from './management-client.js';
import { inQuotes } from './one-line.js';

/**
 * Which of the server's promises the broker itself enforces for the user the server runs as, and
 * which only the server does. The server reads its own user (tags, and permissions when the broker
 * shows them: only to administrators), then, for a user that is no administrator, asks the broker
 * directly whether it would refuse a few names: a queue name the scope hides, one it allows, the
 * default exchange and the firehose. Each question is one that changes nothing whatever the
 * answer (below); the answers are evidence for those names, said as such.
 */

export interface OwnUser {
  name: string;
  tags: string[];
  /** As the broker holds them; undefined when this user may not read them. */
  permissions?: VhostPermissions[];
  topicPermissions?: { vhost: string; exchange: string; write: string; read: string }[];
  /** Why the permissions could not be read (RabbitMQ shows them to administrators only). */
  unreadable?: string;
  /** The vhosts the management API lists for this user: without monitoring, those it has permissions in. */
  visibleVhosts: string[];
}

export type Permission = 'configure' | 'write' | 'read';

/** The broker's answer for one permission on one name. */
export interface ProbeResult {
  name: string;
  permission: Permission;
  outcome: 'refused' | 'allowed' | 'unknown';
  /** The broker's words when the outcome is unknown. */
  detail?: string;
}

/** Names to ask about: some the scope hides, one it allows. */
export interface Witnesses {
  hidden: { name: string; /** A random name no queue has: safe to basic.get. */ unguessable: boolean }[];
  inScope?: string;
}

export interface WallPromise {
  /** The promise in a few words ("read-only", "scope --queues orders-*: hidden queues"). */
  what: string;
  by: 'broker' | 'server';
  why: string;
}

export interface WallReport {
  user: string;
  vhost: string;
  promises: WallPromise[];
  checkedAt: Date;
}

export const DEFAULT_EXCHANGE = 'amq.default';
export const FIREHOSE = 'amq.rabbitmq.trace';

function tagsOf(tags: unknown): string[] {
  const list = Array.isArray(tags) ? tags.map(String) : String(tags ?? '').split(',');
  return list.map((tag) => tag.trim()).filter(Boolean);
}

/** Reads this server's own user: tags always, permissions if the broker shows them to it. */
export async function readOwnUser(management: ManagementClient): Promise<OwnUser> {
  const me = await management.getForScopeCheck<{ name: string; tags: unknown }>(apiPath('whoami'));
  const own: OwnUser = { name: me.name, tags: tagsOf(me.tags), visibleVhosts: [] };
  const [permissions, topicPermissions, vhosts] = await Promise.allSettled([
    management.getForScopeCheck<VhostPermissions[]>(apiPath('users', me.name, 'permissions')),
    management.getForScopeCheck<NonNullable<OwnUser['topicPermissions']>>(apiPath('users', me.name, 'topic-permissions')),
    management.getForScopeCheck<{ name: string }[]>(apiPath('vhosts'), { query: { columns: 'name' } }),
  ]);
  if (permissions.status === 'fulfilled') own.permissions = permissions.value;
  else own.unreadable = refusal(permissions.reason);
  if (topicPermissions.status === 'fulfilled') own.topicPermissions = topicPermissions.value;
  if (vhosts.status === 'fulfilled') own.visibleVhosts = vhosts.value.map((vhost) => vhost.name);
  return own;
}

function refusal(error: unknown): string {
  if (error instanceof BrokerError && error.code === 'forbidden') return 'RabbitMQ shows permissions to administrators only';
  throw error;
}

/** One instance of a glob, its stars filled with `fill`, its `?` with x. */
function instance(glob: string, fill: string): string {
  return glob.replaceAll('*', fill).replaceAll('?', 'x');
}

/** Names to probe for a scope: instances of each deny glob and a name outside every allow glob (hidden), one allowed name. */
export function witnessNames(queues: readonly string[], random: () => string = () => randomBytes(6).toString('hex')): Witnesses {
  const scope = new NamePatterns(queues);
  const allow = queues.filter((pattern) => !pattern.startsWith('!'));
  const deny = queues.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  const hidden: Witnesses['hidden'] = [];
  for (const glob of deny) {
    const name = instance(glob, `mcp-probe-${random()}`);
    if (!name.startsWith('amq.')) hidden.push({ name, unguessable: glob.includes('*') });
  }
  if (allow.length > 0) {
    const outside = [`mcp-probe-${random()}`, `~mcp-probe-${random()}`, `_${random()}`].find((name) => !scope.matches(name));
    if (outside) hidden.push({ name: outside, unguessable: true });
  }
  const inScope = [...allow.map((glob) => instance(glob, `mcp-probe-${random()}`)), `mcp-probe-${random()}`].find(
    (name) => scope.matches(name) && !name.startsWith('amq.'),
  );
  return { hidden, inScope };
}

type ProbeChannel = {
  assertQueue(name: string, options: object): Promise<unknown>;
  bindQueue(queue: string, exchange: string, key: string): Promise<unknown>;
  get(queue: string, options: object): Promise<false | object>;
  nack(message: object, allUpTo?: boolean, requeue?: boolean): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  close(): Promise<void>;
};

/**
 * What the broker said, as refused (its access check on the name), allowed (it went past the check)
 * or unknown. Each question's first check is the one asked about, so a refusal naming the queue is
 * that permission refused: 4.x says which ("write access to queue 'x'"), 3.x only "access to queue 'x'".
 */
function outcomeOf(error: unknown, passedCheck: RegExp): Pick<ProbeResult, 'outcome' | 'detail'> {
  const text = error instanceof Error ? error.message : String(error);
  if (/ACCESS.REFUSED - (?:\w+ )?access to queue/.test(text)) return { outcome: 'refused' };
  if (passedCheck.test(text)) return { outcome: 'allowed' };
  return { outcome: 'unknown', detail: text.replace(/^.*with message "(.*)"$/s, '$1') };
}

/**
 * Asks the broker, on a connection of its own to `vhost`, whether it would let this user have each
 * permission on each name. Each question changes nothing, whatever exists:
 * - configure: declaring the queue with `x-expires` set to text, which the broker refuses after its
 *   access check, for a new queue (invalid argument) and an existing one (not equivalent) alike;
 * - write: binding the queue to the default exchange, which the broker refuses after its access check;
 * - read: basic.get, only on names no queue can have (random ones, or reserved `amq.` ones), where
 *   past the access check the broker answers that the queue does not exist.
 */
export async function probe(
  endpoint: BrokerEndpoint,
  vhost: string,
  questions: readonly { name: string; permission: Permission }[],
  timeoutMs: number,
): Promise<ProbeResult[]> {
  const connection = await connectAmqp(endpoint, vhost, timeoutMs);
  connection.on('error', () => undefined);
  try {
    const results: ProbeResult[] = [];
    for (const { name, permission } of questions) {
      const channel = (await connection.createChannel()) as unknown as ProbeChannel;
      channel.on('error', () => undefined);
      let result: Pick<ProbeResult, 'outcome' | 'detail'>;
      try {
        if (permission === 'configure') {
          await channel.assertQueue(name, { durable: true, arguments: { 'x-expires': 'mcp-probe' } });
          result = { outcome: 'allowed' };
        } else if (permission === 'write') {
          await channel.bindQueue(name, '', '');
          result = { outcome: 'unknown', detail: 'the broker bound a queue to the default exchange' };
        } else {
          const message = await channel.get(name, { noAck: false });
          if (message) channel.nack(message, false, true);
          result = { outcome: 'allowed' };
        }
        await channel.close().catch(() => undefined);
      } catch (error) {
        const passed = {
          configure: /PRECONDITION|inequivalent|invalid arg|RESOURCE_LOCKED/i,
          write: /default exchange/i,
          read: /NOT_FOUND|no queue/i,
        };
        result = outcomeOf(error, passed[permission]);
      }
      results.push({ name, permission, ...result });
    }
    return results;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** The questions for a scope: every permission on the hidden names (read only where safe), configure and write on an allowed one, the default exchange and the firehose. */
export function questionsFor(witnesses: Witnesses): { name: string; permission: Permission }[] {
  const questions: { name: string; permission: Permission }[] = [];
  for (const { name, unguessable } of witnesses.hidden) {
    questions.push({ name, permission: 'configure' }, { name, permission: 'write' });
    if (unguessable) questions.push({ name, permission: 'read' });
  }
  if (witnesses.inScope)
    questions.push({ name: witnesses.inScope, permission: 'configure' }, { name: witnesses.inScope, permission: 'write' });
  questions.push({ name: DEFAULT_EXCHANGE, permission: 'write' }, { name: FIREHOSE, permission: 'read' });
  return questions;
}

function quotedList(names: readonly string[]): string {
  return names.map((name) => `${inQuotes(name)}`).join(', ');
}

/**
 * The promises of a server with this scope and level, each with who holds it: pure, from what
 * readOwnUser and probe found (`probes` undefined: not probed, with `probeFailure` saying why).
 */
export function judgeWall(input: {
  scope: ScopePatterns;
  level: SafetyLevel;
  vhost: string;
  own: OwnUser;
  witnesses: Witnesses;
  probes?: readonly ProbeResult[];
  probeFailure?: string;
}): WallPromise[] {
  const { scope, level, vhost, own, witnesses, probes } = input;
  const user = `user ${own.name}`;
  const promises: WallPromise[] = [];
  const vhostScope = new NamePatterns(scope.vhosts);
  const levelWhat = level === 'read-only' ? 'read-only' : level === 'write' ? 'write, nothing removed' : 'removals confirmed';
  const scopeWhat = (kind: 'vhosts' | 'queues', detail: string) => `scope --${kind} ${scope[kind].join(',')}: ${detail}`;

  if (own.tags.includes('administrator')) {
    const why = `${user} is an administrator: it may grant itself any permission`;
    promises.push({ what: levelWhat, by: 'server', why });
    if (scope.vhosts.length > 0) promises.push({ what: scopeWhat('vhosts', 'other vhosts'), by: 'server', why });
    if (scope.queues.length > 0) promises.push({ what: scopeWhat('queues', 'hidden queues'), by: 'server', why });
    return promises;
  }

  const answer = (name: string, permission: Permission) =>
    probes?.find((result) => result.name === name && result.permission === permission);
  const notProbed = input.probeFailure ? `not probed (${input.probeFailure})` : 'not probed';
  const policymaker = own.tags.includes('policymaker');

  // The level.
  if (level === 'read-only') {
    const changes = [
      ...(witnesses.inScope ? (['configure', 'write'] as const).map((permission) => answer(witnesses.inScope as string, permission)) : []),
      answer(DEFAULT_EXCHANGE, 'write'),
    ];
    const allowed = changes.filter((result) => result?.outcome === 'allowed') as ProbeResult[];
    if (policymaker) promises.push({ what: levelWhat, by: 'server', why: `${user} has the policymaker tag: it may set policies` });
    else if (allowed.length > 0) {
      promises.push({
        what: levelWhat,
        by: 'server',
        why: `${user} may ${allowed.map((result) => `${result.permission} ${inQuotes(result.name)}`).join(' and ')} in vhost ${inQuotes(vhost)}`,
      });
    } else if (changes.every((result) => result?.outcome === 'refused')) {
      promises.push({
        what: levelWhat,
        by: 'broker',
        why: `${user} may not configure or write ${quotedList([witnesses.inScope, DEFAULT_EXCHANGE].filter((name): name is string => name !== undefined))} in vhost ${inQuotes(vhost)} (probed) and has no policymaker tag`,
      });
    } else promises.push({ what: levelWhat, by: 'server', why: `${user}'s permissions: ${notProbed}` });
  } else {
    promises.push({
      what: levelWhat,
      by: 'server',
      why:
        level === 'write'
          ? 'RabbitMQ grants deleting with configure and purging and consuming with read'
          : 'the broker asks for no confirmation',
    });
  }

  // The vhost scope.
  if (scope.vhosts.length > 0) {
    const outside = own.visibleVhosts.filter((name) => !vhostScope.matches(name));
    if (own.tags.includes('monitoring')) {
      promises.push({
        what: scopeWhat('vhosts', 'other vhosts'),
        by: 'server',
        why: `${user} has the monitoring tag: it may read every vhost`,
      });
    } else if (outside.length > 0) {
      promises.push({
        what: scopeWhat('vhosts', 'other vhosts'),
        by: 'server',
        why: `${user} has permissions in ${quotedList(outside)} too`,
      });
    } else {
      promises.push({
        what: scopeWhat('vhosts', 'other vhosts'),
        by: 'broker',
        why: `${user} has permissions only in ${quotedList(own.visibleVhosts) || 'no vhost'}`,
      });
    }
  }

  // The queue scope.
  if (scope.queues.length > 0) {
    const hidden = witnesses.hidden.flatMap(({ name }) =>
      (['configure', 'write', 'read'] as const).map((permission) => answer(name, permission)),
    );
    const asked = hidden.filter((result): result is ProbeResult => result !== undefined);
    const allowed = asked.filter((result) => result.outcome === 'allowed');
    const names = quotedList(witnesses.hidden.map((witness) => witness.name));
    if (allowed.length > 0) {
      promises.push({
        what: scopeWhat('queues', 'hidden queues'),
        by: 'server',
        why: `${user} may ${allowed.map((result) => `${result.permission} ${inQuotes(result.name)}`).join(', ')} in vhost ${inQuotes(vhost)}`,
      });
    } else if (asked.length > 0 && asked.every((result) => result.outcome === 'refused')) {
      promises.push({
        what: scopeWhat('queues', 'declaring, deleting, binding and reading hidden queues'),
        by: 'broker',
        why: `${user} may not ${[...new Set(asked.map((result) => result.permission))].join(', ')} ${names} (names the scope hides) in vhost ${inQuotes(vhost)} (probed)`,
      });
    } else
      promises.push({
        what: scopeWhat('queues', 'hidden queues'),
        by: 'server',
        why: `${user}'s permissions on hidden names: ${notProbed}`,
      });

    const direct = answer(DEFAULT_EXCHANGE, 'write');
    if (level !== 'read-only') {
      promises.push(
        direct?.outcome === 'refused'
          ? {
              what: scopeWhat('queues', 'publishing to a hidden queue by name'),
              by: 'broker',
              why: `${user} may not write ${DEFAULT_EXCHANGE} (probed)`,
            }
          : {
              what: scopeWhat('queues', 'publishing to a hidden queue by name'),
              by: 'server',
              why: direct?.outcome === 'allowed' ? `${user} may write ${DEFAULT_EXCHANGE}, which reaches every queue by name` : notProbed,
            },
        {
          what: scopeWhat('queues', 'messages routed into hidden queues'),
          by: 'server',
          why: 'the broker checks the exchange a message is published to, not the queues it routes to',
        },
      );
    }
    const firehose = answer(FIREHOSE, 'read');
    promises.push(
      firehose?.outcome === 'refused'
        ? { what: scopeWhat('queues', 'the firehose'), by: 'broker', why: `${user} may not read ${FIREHOSE} (probed) nor turn tracing on` }
        : {
            what: scopeWhat('queues', 'the firehose'),
            by: 'server',
            why: firehose?.outcome === 'allowed' ? `${user} may bind to ${FIREHOSE}` : notProbed,
          },
      {
        what: scopeWhat('queues', 'names and counts of hidden queues'),
        by: 'server',
        why: 'the management API lists every queue of a vhost to anyone who may use it',
      },
    );
  }

  // Broker-wide things a scope keeps out.
  if (scope.vhosts.length > 0 || scope.queues.length > 0) {
    promises.push(
      policymaker
        ? { what: 'no policies, shovels or federation', by: 'server', why: `${user} has the policymaker tag` }
        : { what: 'no policies, shovels or federation', by: 'broker', why: `${user} has no policymaker tag` },
      { what: 'no users, vhosts, tracing or definitions imports', by: 'broker', why: `${user} is not an administrator` },
    );
  }
  return promises;
}

/** The report in two lines for the log and get_overview: what the broker holds, what only the server does. */
export function wallSummary(report: WallReport): { broker: string; server: string } {
  const line = (promise: WallPromise) => `${promise.what} (${promise.why})`;
  const by = (who: WallPromise['by']) =>
    report.promises
      .filter((promise) => promise.by === who)
      .map(line)
      .join('; ') || 'nothing';
  return { broker: by('broker'), server: by('server') };
}

const REPORT_TTL_MS = 60_000;

/**
 * The server's own user as the broker limits it, checked on demand and kept a minute (permissions
 * change seldom, and each check opens a connection when the user is no administrator).
 */
export class BrokerWall {
  #last?: { at: number; report: Promise<WallReport> };

  constructor(
    private readonly options: {
      management: ManagementClient;
      endpoint: BrokerEndpoint;
      vhost: string;
      scope: ScopePatterns;
      level: SafetyLevel;
      timeoutMs: number;
    },
  ) {}

  report(): Promise<WallReport> {
    const now = Date.now();
    if (this.#last && now - this.#last.at < REPORT_TTL_MS) return this.#last.report;
    const report = this.#check();
    this.#last = { at: now, report };
    report.catch(() => {
      if (this.#last?.report === report) this.#last = undefined;
    });
    return report;
  }

  async #check(): Promise<WallReport> {
    const { management, endpoint, vhost, scope, level, timeoutMs } = this.options;
    const own = await readOwnUser(management);
    const witnesses = witnessNames(scope.queues);
    let probes: ProbeResult[] | undefined;
    let probeFailure: string | undefined;
    if (!own.tags.includes('administrator')) {
      try {
        probes = await probe(endpoint, vhost, questionsFor(witnesses), timeoutMs);
      } catch (error) {
        probeFailure = error instanceof Error ? error.message : String(error);
      }
    }
    return {
      user: own.name,
      vhost,
      promises: judgeWall({ scope, level, vhost, own, witnesses, probes, probeFailure }),
      checkedAt: new Date(),
    };
  }
}
