import { z } from 'zod';
import { uriVhost } from '../broker/amqp-uri.js';
import { type ApiRoute, readApiPath } from '../broker/api-route.js';
import { BrokerError } from '../broker/broker-errors.js';
import type { Broker } from '../broker/broker.js';
import { apiPath } from '../broker/management-client.js';
import type { SafetyLevel } from '../config/load-config.js';
import { withoutCredentials } from './credentials.js';
import { capOutput } from './output.js';
import { policyImpact, removingPolicyKeys, shovelRemoves } from './effects.js';
import { confirm } from './schemas.js';
import { RANK, READ_ONLY, defineTool, destroys, writes } from './tool.js';
import { inQuotes } from '../broker/one-line.js';

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * What a request does, judged by its route and body: the level it needs and why; or that the
 * server will not send it, and what would allow it. `unjudged`: its effect is not known here, so
 * only an unscoped server at the destructive level sends it.
 */
type Verdict = { level: SafetyLevel; why?: string; unjudged?: boolean } | { refused: string };

interface Request {
  broker: Broker;
  route: ApiRoute;
  method: Method;
  body: Record<string, unknown> | undefined;
}

type Judge = (request: Request) => Verdict | Promise<Verdict>;

const READ: Verdict = { level: 'read-only' };
const WRITE: Verdict = { level: 'write' };
const DESTRUCTIVE: Verdict = { level: 'destructive' };

/** Under --queues, refused with what would allow it; otherwise the verdict. */
function unlessQueues(verdict: Verdict, reaches: string, tool?: string): Judge {
  return ({ broker }) =>
    broker.scope.queues.restricts
      ? {
          refused: `${reaches}, queues outside this server's scope (--queues ${broker.scope.queues}) too: ${tool ? `use ${tool}, which judges that, or ` : ''}a server without --queues`,
        }
      : verdict;
}

/** Policy keys whose effect is known: those that remove messages or queues are judged by effects.ts. */
const POLICY_KEYS = new Set([
  'alternate-exchange',
  'dead-letter-exchange',
  'dead-letter-routing-key',
  'dead-letter-strategy',
  'queue-mode',
  'queue-version',
  'queue-master-locator',
  'queue-leader-locator',
  'ha-mode',
  'ha-params',
  'ha-sync-mode',
  'ha-sync-batch-size',
  'ha-promote-on-shutdown',
  'ha-promote-on-failure',
  'initial-cluster-size',
  'target-group-size',
  'stream-max-segment-size-bytes',
  'max-in-memory-length',
  'max-in-memory-bytes',
  'consumer-timeout',
]);
const FEDERATION_KEYS = new Set(['federation-upstream', 'federation-upstream-set']);
const FEDERATION_MOVES =
  "once a policy applies it, federation moves the messages of the upstream's queues (another vhost's or another broker's) into this one's";

const ACK_MODES = new Set(['ack_requeue_true', 'reject_requeue_true', 'ack_requeue_false', 'reject_requeue_false']);

async function judgeGet({ broker, route, body }: Request): Promise<Verdict> {
  const { vhost, queue } = route.bindings;
  const ackmode = body?.ackmode;
  if (typeof ackmode !== 'string' || !ACK_MODES.has(ackmode)) {
    return { refused: `ackmode must be one of ${[...ACK_MODES].join(', ')}` };
  }
  if (ackmode.endsWith('requeue_false')) return { level: 'destructive', why: 'takes the messages off the queue' };
  const type = await broker.management
    .get<{ type?: string }>(apiPath('queues', vhost ?? '', queue ?? ''), { query: { columns: 'type' } })
    .then((found) => found.type)
    .catch(() => undefined);
  if (type !== 'classic')
    return { level: 'destructive', why: 'hands the messages back, which counts toward a quorum queue delivery limit' };
  return { level: 'write', why: 'marks the messages redelivered' };
}

async function judgePolicy({ broker, route, body }: Request): Promise<Verdict> {
  const definition = (body?.definition ?? {}) as Record<string, unknown>;
  const keys = Object.keys(definition);
  if (keys.some((key) => FEDERATION_KEYS.has(key))) {
    if (broker.scope.active) {
      return {
        refused: `a policy that applies federation pulls messages from wherever its upstreams point: a server without --vhosts or --queues`,
      };
    }
    return { level: 'destructive', why: `applies federation: ${FEDERATION_MOVES}` };
  }
  const unknown = keys.filter((key) => !POLICY_KEYS.has(key) && removingPolicyKeys({ [key]: true }).length === 0);
  if (unknown.length > 0)
    return { level: 'destructive', why: `sets ${unknown.join(', ')}, whose effect is not judged here`, unjudged: true };
  const removing = removingPolicyKeys(definition);
  if (removing.length > 0 && typeof body?.pattern === 'string') {
    const impact = await policyImpact(broker, route.bindings.vhost ?? '', {
      pattern: body.pattern,
      'apply-to': typeof body['apply-to'] === 'string' ? body['apply-to'] : undefined,
      definition,
    });
    return { level: 'destructive', why: `sets ${removing.join(', ')}: ${impact}` };
  }
  return WRITE;
}

/**
 * Under --queues, what a shovel delivers or copies through exchanges is followed by
 * set_configuration (its routes, dead-lettering); here only a shovel between named queues, or to
 * the default exchange with a key in scope, is judged.
 */
function shovelUnderQueues(broker: Broker, value: Record<string, unknown>): Verdict | undefined {
  if (!broker.scope.queues.restricts) return undefined;
  const refused = (what: string) => ({
    refused: `${what}, queues outside this server's scope (--queues ${broker.scope.queues}) too: use set_configuration, which follows its routes, or a server without --queues`,
  });
  if (value['src-exchange'] !== undefined)
    return refused('a shovel from an exchange binds a queue of its own there, which copies what is routed to other queues');
  for (const key of ['dest-publish-properties', 'publish-properties']) {
    const properties = value[key] as Record<string, unknown> | undefined;
    if (properties && typeof properties === 'object' && properties.expiration !== undefined) {
      return refused(`${key} sets an expiration, after which messages are dead-lettered wherever the queue's dead-letter exchange routes`);
    }
  }
  if (value['dest-queue'] !== undefined) return undefined;
  const exchange = value['dest-exchange'];
  const key = value['dest-exchange-key'];
  if ((exchange !== '' && exchange !== 'amq.default') || typeof key !== 'string') {
    return refused("a shovel to an exchange, or with the messages' own routing keys, reaches whatever is bound there");
  }
  for (const uri of [value['dest-uri']].flat()) {
    const reading = typeof uri === 'string' ? uriVhost(uri) : undefined;
    if (reading && 'vhost' in reading) broker.scope.checkQueue(reading.vhost, key);
  }
  return undefined;
}

function judgeParameter({ broker, route, body }: Request): Verdict {
  const component = route.bindings.component;
  if (component === 'shovel') {
    const underQueues = shovelUnderQueues(broker, (body?.value ?? {}) as Record<string, unknown>);
    if (underQueues) return underQueues;
    const removes = shovelRemoves((body?.value ?? {}) as Record<string, unknown>);
    return removes ? { level: 'destructive', why: removes } : WRITE;
  }
  if (component === 'federation-upstream' || component === 'federation-upstream-set') {
    return {
      level: 'destructive',
      why: `sets a federation ${component === 'federation-upstream' ? 'upstream' : 'upstream set'}: ${FEDERATION_MOVES}`,
    };
  }
  return {
    level: 'destructive',
    why: `sets a runtime parameter of ${inQuotes(component)}, whose effect on messages is not known here`,
    unjudged: true,
  };
}

/** Deleting or restarting a shovel changes what it does to its queues: judged on its settings, under a scope. */
async function judgeExistingShovel({ broker, route }: Request, verdict: Verdict): Promise<Verdict> {
  const { vhost = '', name = '' } = route.bindings;
  if (broker.scope.active && (route.bindings.component ?? 'shovel') === 'shovel') {
    const existing = await broker.management
      .getForScopeCheck<{ value?: unknown }>(apiPath('parameters', 'shovel', vhost, name))
      .catch((error: unknown) => {
        if (error instanceof BrokerError && error.code === 'not_found') return undefined;
        throw error;
      });
    if (existing) broker.scope.checkParameter('shovel', vhost, existing.value);
  }
  return verdict;
}

/**
 * The requests the escape hatch judges, by route and method; a GET of any other known route is a
 * read. What is missing here is sent only by an unscoped server at the destructive level.
 */
const JUDGES: Record<string, Partial<Record<Method, Judge>>> = {
  'aliveness-test/:vhost': { GET: () => ({ level: 'write', why: 'declares a test queue and publishes to it' }) },
  'health/checks/quorum-queues-without-elected-leaders/all-vhosts/pattern/:pattern': {
    GET: () => ({ refused: 'its pattern is a regular expression the broker would run: leave out /pattern/…' }),
  },
  'health/checks/quorum-queues-without-elected-leaders/vhost/:vhost/pattern/:pattern': {
    GET: () => ({ refused: 'its pattern is a regular expression the broker would run: leave out /pattern/…' }),
  },
  'exchanges/:vhost/:exchange': {
    PUT: unlessQueues(WRITE, "an exchange's alternate exchange routes messages into whatever is bound there", 'create_exchange'),
    DELETE: unlessQueues(DESTRUCTIVE, 'deleting an exchange removes its bindings, and with them the routes into queues', 'delete_exchange'),
  },
  'exchanges/:vhost/:exchange/publish': {
    POST: unlessQueues(WRITE, 'a message reaches every queue its routes, dead-lettering and expiry lead to', 'publish_messages'),
  },
  'queues/:vhost/:queue': {
    PUT: unlessQueues(
      WRITE,
      "a queue's dead-letter exchange routes its expired and rejected messages into whatever is bound there",
      'create_queue',
    ),
    DELETE: () => DESTRUCTIVE,
  },
  'queues/:vhost/:queue/contents': { DELETE: () => DESTRUCTIVE },
  'queues/:vhost/:queue/get': { POST: judgeGet },
  'queues/:vhost/:queue/actions': { POST: () => WRITE },
  'queues/quorum/:vhost/:queue/replicas/add': { POST: () => WRITE },
  'queues/quorum/:vhost/:queue/replicas/delete': { DELETE: () => DESTRUCTIVE },
  'bindings/:vhost/e/:source/:dtype/:destination': {
    POST: unlessQueues(WRITE, 'a new binding copies to its destination what is routed to other queues', 'create_binding'),
  },
  'bindings/:vhost/e/:source/:dtype/:destination/:props': {
    DELETE: (request) =>
      request.route.bindings.dtype === 'q'
        ? DESTRUCTIVE
        : unlessQueues(DESTRUCTIVE, 'an exchange-to-exchange binding carries messages on to queues', 'delete_binding')(request),
  },
  'vhosts/:vhost': {
    PUT: unlessQueues(WRITE, "a vhost's settings (tracing, the default queue type) apply to all its queues", 'set_configuration'),
    DELETE: unlessQueues(DESTRUCTIVE, 'deleting a vhost deletes all its queues and their messages', 'delete_configuration'),
  },
  'vhosts/:vhost/deletion/protection': { POST: () => WRITE, DELETE: () => WRITE },
  'vhosts/:vhost/start/:node': { POST: unlessQueues(WRITE, 'restarting a vhost restarts all its queues') },
  'vhost-limits/:vhost/:name': {
    PUT: unlessQueues(WRITE, "a vhost's limits apply to all its queues and connections"),
    DELETE: unlessQueues(DESTRUCTIVE, "a vhost's limits apply to all its queues and connections"),
  },
  'permissions/:vhost/:user': {
    PUT: unlessQueues(WRITE, "a user's permissions reach all the vhost's queues", 'set_configuration'),
    DELETE: unlessQueues(DESTRUCTIVE, "a user's permissions reach all the vhost's queues", 'delete_configuration'),
  },
  'topic-permissions/:vhost/:user': {
    PUT: unlessQueues(WRITE, "a user's topic permissions reach all the vhost's queues", 'set_configuration'),
    DELETE: unlessQueues(DESTRUCTIVE, "a user's topic permissions reach all the vhost's queues", 'delete_configuration'),
  },
  'policies/:vhost/:name': { PUT: judgePolicy, DELETE: () => DESTRUCTIVE },
  'operator-policies/:vhost/:name': { PUT: judgePolicy, DELETE: () => DESTRUCTIVE },
  'parameters/:component/:vhost/:name': {
    PUT: judgeParameter,
    DELETE: (request) =>
      judgeExistingShovel(request, { level: 'destructive', why: `deletes a ${request.route.bindings.component} parameter` }),
  },
  'shovels/vhost/:vhost/:name/restart': { DELETE: (request) => judgeExistingShovel(request, { level: 'write', why: 'restarts a shovel' }) },
  'federation-links/vhost/:vhost/:id/:node/restart': { DELETE: unlessQueues(WRITE, 'a federation link moves messages between queues') },
  definitions: { POST: judgeImport },
  'all-configuration': { POST: judgeImport },
  'definitions/:vhost': { POST: judgeImport },
  // Broker-wide: a scope refuses them before they are judged.
  'users/:user': { PUT: () => WRITE, DELETE: () => DESTRUCTIVE },
  'users/bulk-delete': { POST: () => ({ level: 'destructive', why: 'deletes users' }) },
  'user-limits/:user/:name': { PUT: () => WRITE, DELETE: () => DESTRUCTIVE },
  'cluster-name': { PUT: () => WRITE },
  'feature-flags/:name/enable': { PUT: () => ({ level: 'destructive', why: 'enables a feature flag, which cannot be undone' }) },
  'rebalance/queues': { POST: () => WRITE },
  'queues/quorum/replicas/on/:node/grow': { POST: () => WRITE },
  'queues/quorum/replicas/on/:node/shrink': { DELETE: () => DESTRUCTIVE },
  'connections/:connection': { DELETE: () => ({ level: 'destructive', why: 'closes a connection' }) },
  'connections/username/:username': { DELETE: () => ({ level: 'destructive', why: "closes the user's connections" }) },
};

function judgeImport({ broker }: Request): Verdict {
  if (broker.scope.active) {
    return {
      refused:
        'an import sets policies, shovels and arguments whose effects reach further than its own objects: use import_definitions, which judges them',
    };
  }
  return { level: 'destructive', why: 'imports definitions, whose policies and shovels can remove messages' };
}

const FLAG: Record<SafetyLevel, string> = { 'read-only': '', write: '--allow-write', destructive: '--allow-destructive' };

/** Query parameters that page or filter in the broker, over what a scope hides too. */
const PAGING = ['page', 'page_size', 'pagination'];

export interface ApiRequest {
  /** The route, when the path names one the server knows. */
  route?: ApiRoute;
  /** The path to send: the route's canonical path, or a well-formed one the server knows no route for. */
  path: string;
  query: Record<string, string>;
}

/**
 * "/api/queues/%2F/orders?columns=name" or "queues/%2F/orders" → the route, the path to send and
 * the query, all as the broker's router reads them (api-route.ts): no scheme or host, every
 * segment decoded once, no dot segments, the first of each query parameter.
 */
export function parseApiPath(raw: string): ApiRequest | { problem: string } {
  const text = raw.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(text) || text.startsWith('//')) return { problem: 'give a path like /api/queues/%2F, not a URL' };
  const question = text.indexOf('?');
  const pathPart = question < 0 ? text : text.slice(0, question);
  const queryPart = question < 0 ? '' : text.slice(question + 1);
  const withoutPrefix = pathPart.replace(/^\/+/, '').replace(/^api(\/|$)/, '');
  if (withoutPrefix.replace(/\/+$/, '') === '') return { problem: 'give a path under /api, e.g. /api/overview' };
  const reading = readApiPath(`/api/${withoutPrefix}`);
  const query = parseQuery(queryPart);
  if ('problem' in query) return query;
  if ('route' in reading) return { route: reading.route, path: reading.route.path, query: query.query };
  if (reading.unknownPath !== undefined) return { path: reading.unknownPath, query: query.query };
  return { problem: reading.problem };
}

/** A query as cowboy's parse_qs reads it (+ is a space), keeping the first of each name, as the management API does. */
function parseQuery(text: string): { query: Record<string, string> } | { problem: string } {
  const query: Record<string, string> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    if (equals < 0) return { problem: `give the query parameter ${inQuotes(pair)} a value (${pair}=…)` };
    const [name, value] = [pair.slice(0, equals), pair.slice(equals + 1)].map(decodeQueryPart);
    if (name === undefined || value === undefined)
      return { problem: `the query parameter ${inQuotes(pair)} is not percent-encoded properly` };
    if (!(name in query)) query[name] = value;
  }
  return { query };
}

function decodeQueryPart(part: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(part)) return undefined;
  try {
    return decodeURIComponent(part.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** Why the query may not be sent, if so: a regular expression for the broker, or paging over what the scope hides. */
function queryProblem(query: Record<string, string>, broker: Broker): string | undefined {
  if (query.use_regex === 'true') {
    return 'use_regex makes the broker match a regular expression with a backtracking engine: use the list tools’ filter (matched here in linear time), or name= for a substring';
  }
  const paging = PAGING.filter((name) => name in query);
  if (broker.scope.active && paging.length > 0) {
    return `the broker's pages count what this server's scope hides (a page past the last one tells): leave out ${paging.join(', ')}, or use the list tools, which page after the scope`;
  }
  return undefined;
}

export const managementApi = defineTool({
  name: 'management_api',
  title: 'Management API',
  group: 'api',
  description: 'Any management API call. GET always; PUT, POST need write; DELETE destructive.',
  input: z.strictObject({
    method: z.enum(['GET', 'PUT', 'POST', 'DELETE']).optional().describe('Default GET'),
    path: z.string().min(1).max(4000).describe('e.g. /api/queues/%2F/q'),
    body: z.record(z.string(), z.unknown()).optional().describe('JSON for PUT and POST'),
    confirm,
  }),
  // Offered at every level; what it may do follows the server's level, and so do its hints.
  annotations: READ_ONLY,
  annotationsAt: (level) => (level === 'destructive' ? destroys(false) : level === 'write' ? writes(false) : READ_ONLY),
  async handler(args, { broker, safety, confirm: gate }) {
    const method = args.method ?? 'GET';
    const byVerb: SafetyLevel = method === 'GET' ? 'read-only' : method === 'DELETE' ? 'destructive' : 'write';
    if (RANK[byVerb] > RANK[safety]) {
      return { text: `${method} needs ${FLAG[byVerb]}: this server runs ${safety}. GET works at every level.`, isError: true };
    }
    const parsed = parseApiPath(args.path);
    if ('problem' in parsed) return { text: `Invalid path: ${parsed.problem}.`, isError: true };
    if (args.body !== undefined && (method === 'GET' || method === 'DELETE')) return { text: `${method} takes no body.`, isError: true };
    const search = Object.keys(parsed.query).length > 0 ? `?${new URLSearchParams(parsed.query)}` : '';
    const { route } = parsed;
    // A password in the path is not repeated.
    const shownPath = route?.template === 'auth/hash_password/:password' ? '/api/auth/hash_password/***' : parsed.path;
    const shown = `${method} ${shownPath}${search}`;
    const refuse = (why: string) => ({ text: `${shown} is not sent: ${why}.`, isError: true });

    const problem = queryProblem(parsed.query, broker);
    if (problem) return refuse(problem);
    let verdict: Verdict;
    if (route) {
      // The scope first: a preview must say nothing of what the scope hides.
      broker.scope.checkRoute(route, method);
      if (args.body !== undefined) broker.scope.checkRouteBody(route, args.body);
      if (method === 'GET' && broker.scope.active && route.answer === 'unfiltered') {
        return refuse(
          `its answer counts or names what this server's scope hides and cannot be cut to the scope: use get_overview or the list tools`,
        );
      }
      const judge = JUDGES[route.template]?.[method] ?? (method === 'GET' ? () => READ : undefined);
      verdict = judge
        ? await judge({ broker, route, method, body: args.body })
        : { level: 'destructive', why: `the server does not judge what ${method} does on /api/${route.template}`, unjudged: true };
    } else {
      verdict = { level: 'destructive', why: 'the management API has no such route that the server knows', unjudged: true };
    }
    if ('refused' in verdict) return refuse(verdict.refused);
    if (verdict.unjudged && (broker.scope.active || safety !== 'destructive')) {
      return refuse(`${verdict.why}, so only a server with --allow-destructive and without --vhosts or --queues sends it`);
    }
    if (RANK[verdict.level] > RANK[safety]) {
      return {
        text: `${shown} ${verdict.why ?? ''}, so it needs ${FLAG[verdict.level]}: this server runs ${safety}.`.replace(' ,', ','),
        isError: true,
      };
    }
    if (verdict.level === 'destructive' && method !== 'DELETE') {
      const declined = await gate(args.confirm, `would send ${shown}, which ${verdict.why}; the broker carries it out as is`);
      if (declined) return declined;
    }
    if (method === 'DELETE') {
      // The preview names what is there, when a GET of the same path can say.
      const existing = await broker.management
        .get<Record<string, unknown>>(parsed.path, { query: parsed.query })
        .catch((error: unknown) => {
          if (error instanceof BrokerError && error.code === 'not_found')
            throw new BrokerError('not_found', `Nothing to delete: ${shownPath} does not exist.`);
          return undefined;
        });
      const what =
        existing && !Array.isArray(existing) && typeof existing.name === 'string'
          ? ` (${String(existing.name)}${typeof existing.messages === 'number' ? `, ${existing.messages} messages` : ''})`
          : '';
      const declined = await gate(args.confirm, `would send ${shown}${what}; the broker carries it out as is`);
      if (declined) return declined;
    }
    const response = await broker.management.request<unknown>(method, parsed.path, { query: parsed.query, body: args.body });
    const body =
      response.body === undefined || response.body === null ? '(no content)' : JSON.stringify(withoutCredentials(response.body), null, 1);
    return capOutput(
      `${shown} → ${response.status}\n${body}`,
      'narrow the request: a vhost or name in the path, or ?columns=a,b&page=1&page_size=50',
    );
  },
});
