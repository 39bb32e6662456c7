import { inQuotes } from './one-line.js';
/**
 * Management API paths read the way RabbitMQ's own router reads them, so that what the server
 * judges is what the broker will do. The management plugin hands its routes to cowboy_router
 * (rabbit_mgmt_dispatcher.erl, then each plugin's dispatcher: federation, shovel, stream, top,
 * tracing), which:
 * - splits the path at every `/`, drops one trailing empty segment (`…/get/` is `…/get`) and keeps
 *   the others (`/exchanges/v//publish` names exchange '');
 * - percent-decodes every segment, any of its characters (`%70ublish` is `publish`), and answers
 *   400 to a `%` without two hex digits or to a character outside its plain set (space, `#`, `"`,
 *   non-ASCII…);
 * - removes the dot segments it finds after decoding (`.`, `..`, `%2E%2E`);
 * - compares literal segments exactly (`/GET` is not `/get`) and takes the first route that
 *   matches, in the order the dispatchers list them;
 * - and its handlers read `amq.default` as the default exchange ''.
 * A request is judged by its route (template and decoded bindings) and sent as the canonical path
 * built back from them, so the broker reads exactly what was judged.
 */

/** What a GET answer of a route holds, for the scope to filter it. */
export type AnswerKind =
  /** Queues (items or one object): a name and a vhost. */
  | 'queues'
  /** Vhosts: the name is the vhost. */
  | 'vhosts'
  /** Objects that carry their vhost, and the queue they concern if any (bindings, consumers, policies, a definitions document…). */
  | 'objects'
  /** Runtime parameters: shovels and federation upstreams, judged by the vhosts and queues they reach. */
  | 'parameters'
  /** Shovels as they run (src_uri, src_queue…). */
  | 'shovels'
  /** Federation links (uri, upstream queue or exchange, local queue or exchange). */
  | 'federation-links'
  /** Nothing that lives in a vhost: nodes, users, feature flags, health. */
  | 'broker'
  /** Can name or count what a scope hides and cannot be cut to it: totals over every vhost, process lists, trace files. */
  | 'unfiltered';

interface RouteSpec {
  readonly template: string;
  readonly answer: AnswerKind;
}

/** The routes of one application, in its dispatcher's order when `ordered`. */
interface RouteGroup {
  readonly app: string;
  /** Whether the order of its routes is known (one module), so the first match wins; else two matches are ambiguous. */
  readonly ordered: boolean;
  readonly routes: readonly RouteSpec[];
}

function group(app: string, ordered: boolean, routes: [string, AnswerKind][]): RouteGroup {
  return { app, ordered, routes: routes.map(([template, answer]) => ({ template, answer })) };
}

/**
 * Every route of the management API and its plugins, RabbitMQ 3.10 to 4.3, in the order cowboy
 * tries them: the management plugin first, then the other plugins by application name. A route
 * that one version lacks matches nothing else there (checked against each version's dispatchers):
 * the broker answers 404.
 */
const ROUTES: readonly RouteGroup[] = [
  group('rabbitmq_management', true, [
    ['overview', 'unfiltered'],
    ['cluster-name', 'broker'],
    ['nodes', 'broker'],
    ['nodes/:node', 'broker'],
    ['nodes/:node/memory', 'broker'],
    ['nodes/:node/memory/relative', 'broker'],
    ['nodes/:node/memory/ets', 'broker'],
    ['nodes/:node/memory/ets/relative', 'broker'],
    ['nodes/:node/memory/ets/:filter', 'broker'],
    ['nodes/:node/memory/ets/:filter/relative', 'broker'],
    ['extensions', 'broker'],
    ['all-configuration', 'objects'],
    ['definitions', 'objects'],
    ['definitions/:vhost', 'objects'],
    ['parameters', 'parameters'],
    ['parameters/:component', 'parameters'],
    ['parameters/:component/:vhost', 'parameters'],
    ['parameters/:component/:vhost/:name', 'parameters'],
    ['global-parameters', 'broker'],
    ['global-parameters/:name', 'broker'],
    ['policies', 'objects'],
    ['policies/:vhost', 'objects'],
    ['policies/:vhost/:name', 'objects'],
    ['operator-policies', 'objects'],
    ['operator-policies/:vhost', 'objects'],
    ['operator-policies/:vhost/:name', 'objects'],
    ['vhost-limits/:vhost/:name', 'objects'],
    ['vhost-limits', 'objects'],
    ['vhost-limits/:vhost', 'objects'],
    ['connections', 'objects'],
    ['connections/:connection', 'objects'],
    ['connections/username/:username', 'objects'],
    ['connections/:connection/channels', 'objects'],
    // AMQP 1.0 sessions name the queues of their links, without a vhost.
    ['connections/:connection/sessions', 'unfiltered'],
    ['channels', 'objects'],
    ['channels/:channel', 'objects'],
    ['consumers', 'objects'],
    ['consumers/:vhost', 'objects'],
    ['exchanges', 'objects'],
    ['exchanges/:vhost', 'objects'],
    ['exchanges/:vhost/:exchange', 'objects'],
    ['exchanges/:vhost/:exchange/publish', 'objects'],
    ['exchanges/:vhost/:exchange/bindings/source', 'objects'],
    ['exchanges/:vhost/:exchange/bindings/destination', 'objects'],
    ['queues', 'queues'],
    ['queues/detailed', 'queues'],
    ['queues/:vhost', 'queues'],
    ['queues/:vhost/:queue', 'queues'],
    ['queues/:vhost/:destination/bindings', 'objects'],
    ['queues/:vhost/:queue/contents', 'queues'],
    ['queues/:vhost/:queue/get', 'queues'],
    ['queues/:vhost/:queue/actions', 'queues'],
    ['queues/quorum/:vhost/:queue/replicas/add', 'broker'],
    ['queues/quorum/:vhost/:queue/replicas/delete', 'broker'],
    ['queues/quorum/replicas/on/:node/grow', 'broker'],
    ['queues/quorum/replicas/on/:node/shrink', 'broker'],
    ['queues/quorum/:vhost/:queue/status', 'broker'],
    ['bindings', 'objects'],
    ['bindings/:vhost', 'objects'],
    ['bindings/:vhost/e/:source/:dtype/:destination', 'objects'],
    ['bindings/:vhost/e/:source/:dtype/:destination/:props', 'objects'],
    ['vhosts', 'vhosts'],
    ['vhosts/:vhost', 'vhosts'],
    ['vhosts/:vhost/deletion/protection', 'broker'],
    ['vhosts/:vhost/start/:node', 'broker'],
    ['vhosts/:vhost/permissions', 'objects'],
    ['vhosts/:vhost/topic-permissions', 'objects'],
    ['vhosts/:vhost/connections', 'objects'],
    ['vhosts/:vhost/channels', 'objects'],
    ['users/bulk-delete', 'broker'],
    ['users/without-permissions', 'broker'],
    ['users', 'broker'],
    ['users/:user', 'broker'],
    ['users/:user/permissions', 'objects'],
    ['users/:user/topic-permissions', 'objects'],
    ['users/:user/queues', 'queues'],
    ['user-limits/:user/:name', 'broker'],
    ['user-limits', 'broker'],
    ['user-limits/:user', 'broker'],
    ['feature-flags', 'broker'],
    ['feature-flags/:name/enable', 'broker'],
    ['deprecated-features', 'broker'],
    ['deprecated-features/used', 'broker'],
    ['whoami', 'broker'],
    ['permissions', 'objects'],
    ['permissions/:vhost/:user', 'objects'],
    ['topic-permissions', 'objects'],
    ['topic-permissions/:vhost/:user', 'objects'],
    ['topic-permissions/:vhost/:user/:exchange', 'objects'],
    ['aliveness-test/:vhost', 'broker'],
    ['healthchecks/node', 'broker'],
    ['healthchecks/node/:node', 'broker'],
    ['health/checks/alarms', 'broker'],
    ['health/checks/local-alarms', 'broker'],
    ['health/checks/metadata-store/initialized', 'broker'],
    ['health/checks/metadata-store/initialized/with-data', 'broker'],
    ['health/checks/certificate-expiration/:within/:unit', 'broker'],
    ['health/checks/port-listener/:port', 'broker'],
    ['health/checks/protocol-listener/:protocols', 'broker'],
    ['health/checks/virtual-hosts', 'objects'],
    ['health/checks/node-is-mirror-sync-critical', 'objects'],
    ['health/checks/quorum-queues-without-elected-leaders/all-vhosts', 'objects'],
    ['health/checks/quorum-queues-without-elected-leaders/vhost/:vhost', 'objects'],
    ['health/checks/quorum-queues-without-elected-leaders/all-vhosts/pattern/:pattern', 'objects'],
    ['health/checks/quorum-queues-without-elected-leaders/vhost/:vhost/pattern/:pattern', 'objects'],
    ['health/checks/node-is-quorum-critical', 'objects'],
    ['health/checks/is-in-service', 'broker'],
    ['health/checks/below-node-connection-limit', 'broker'],
    ['health/checks/ready-to-serve-clients', 'broker'],
    ['health/checks/reached-target-cluster-size', 'broker'],
    ['reset', 'broker'],
    ['reset/:node', 'broker'],
    ['rebalance/queues', 'broker'],
    ['auth', 'broker'],
    ['auth/attempts/:node', 'broker'],
    ['auth/attempts/:node/source', 'broker'],
    ['login', 'broker'],
    ['config/effective', 'broker'],
    ['auth/hash_password/:password', 'broker'],
    ['version', 'broker'],
  ]),
  group('rabbitmq_federation_management', true, [
    ['federation-links', 'federation-links'],
    ['federation-links/:vhost', 'federation-links'],
    ['federation-links/state/down', 'federation-links'],
    ['federation-links/:vhost/state/down', 'federation-links'],
    ['federation-links/vhost/:vhost/:id/:node/restart', 'unfiltered'],
  ]),
  group('rabbitmq_shovel_management', true, [
    ['shovels', 'shovels'],
    ['shovels/:vhost', 'shovels'],
    ['shovels/vhost/:vhost/:name', 'shovels'],
    ['shovels/vhost/:vhost/:name/restart', 'unfiltered'],
  ]),
  // One module per route, in an order the broker does not promise.
  group('rabbitmq_stream_management', false, [
    ['stream/connections', 'objects'],
    ['stream/connections/:vhost', 'objects'],
    ['stream/connections/:vhost/:connection', 'objects'],
    ['stream/connections/:vhost/:connection/consumers', 'objects'],
    ['stream/connections/:vhost/:connection/publishers', 'objects'],
    ['stream/consumers', 'objects'],
    ['stream/consumers/:vhost', 'objects'],
    ['stream/publishers', 'objects'],
    ['stream/publishers/:vhost', 'objects'],
    ['stream/publishers/:vhost/:queue', 'objects'],
    ['stream/super-streams/:vhost/:name', 'broker'],
    ['stream/:vhost/:queue/tracking', 'broker'],
  ]),
  group('rabbitmq_top', true, [
    ['top/:node', 'unfiltered'],
    ['top/ets/:node', 'unfiltered'],
    ['process/:pid', 'unfiltered'],
  ]),
  group('rabbitmq_tracing', true, [
    ['traces', 'objects'],
    ['traces/node/:node', 'objects'],
    ['traces/:vhost', 'objects'],
    ['traces/node/:node/:vhost', 'objects'],
    ['traces/:vhost/:name', 'objects'],
    ['traces/node/:node/:vhost/:name', 'objects'],
    ['trace-files', 'unfiltered'],
    ['trace-files/node/:node', 'unfiltered'],
    ['trace-files/:name', 'unfiltered'],
    ['trace-files/node/:node/:name', 'unfiltered'],
  ]),
];

/** Every route the server knows, with what its GET answer holds (for tests that try each one). */
export const API_ROUTES: readonly { template: string; answer: AnswerKind }[] = ROUTES.flatMap((routeGroup) => routeGroup.routes);

/** Route templates split into segments, for matching. */
const COMPILED = ROUTES.map((routeGroup) => ({
  ...routeGroup,
  routes: routeGroup.routes.map((spec) => ({ ...spec, segments: spec.template.split('/') })),
}));

/** A management API request path as the broker's router reads it. */
export interface ApiRoute {
  /** The route as the dispatcher names it, under /api: `queues/:vhost/:queue/get`. */
  readonly template: string;
  /** Its bindings as the broker's handlers read them: decoded, and `amq.default` as '' where it names an exchange. */
  readonly bindings: Readonly<Record<string, string>>;
  /** What its GET answer holds. */
  readonly answer: AnswerKind;
  /** The path to send: each segment encoded once, no dot segments, no trailing slash. */
  readonly path: string;
}

/** A route, or why there is none; `unknownPath` is the canonical path of a well-formed /api path that names no route. */
export type PathReading = { route: ApiRoute } | { problem: string; unknownPath?: string };

/** The characters cowboy takes as they are in a path segment (cow_uri's IS_PLAIN); anything else must be percent-encoded. */
const PLAIN = /^[!$&'()*+,\-.0-9:;=@A-Z_a-z~]$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Bindings the broker's handlers read with `amq.default` meaning the default exchange (rabbit_mgmt_util:id/2). */
const EXCHANGE_BINDINGS = new Set(['exchange', 'source', 'destination']);

/**
 * Reads a management API path (no query) as RabbitMQ's router does: its route, or why it has none.
 * `/api/exchanges/%2F/amq.default/%70ublish/` → `exchanges/:vhost/:exchange/publish` with
 * `{ vhost: '/', exchange: '' }`.
 */
export function readApiPath(path: string): PathReading {
  if (!path.startsWith('/')) return { problem: 'a path starts with /' };
  const raw = path.slice(1).split('/');
  // cowboy drops one trailing empty segment, and keeps the others.
  if (raw.at(-1) === '') raw.pop();
  const segments: string[] = [];
  for (const segment of raw) {
    const decoded = decodeSegment(segment);
    if (typeof decoded !== 'string') return decoded;
    segments.push(decoded);
  }
  // The broker drops these (after decoding, so %2E%2E too): what follows would not name what it seems to.
  if (segments.some((segment) => segment === '.' || segment === '..')) return { problem: 'dot segments (..) are not allowed' };
  if (segments[0] !== 'api') return { problem: 'give a path under /api, e.g. /api/overview' };
  return matchRoute(segments.slice(1));
}

/** A segment decoded as cow_uri:urldecode does, then as UTF-8 (RabbitMQ's names are). */
function decodeSegment(segment: string): string | { problem: string } {
  const bytes: number[] = [];
  for (let index = 0; index < segment.length; index++) {
    const char = segment[index] as string;
    if (char === '%') {
      const hex = segment.slice(index + 1, index + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { problem: `'%${hex}' is not percent-encoding: % takes two hex digits (%25 for %)` };
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (PLAIN.test(char)) {
      bytes.push(char.charCodeAt(0));
    } else if (/[\s\\\u0000-\u001f\u007f]/.test(char)) {
      return { problem: 'the path has spaces, backslashes or control characters: percent-encode names (%2F for /)' };
    } else {
      return { problem: `the broker refuses ${inQuotes(char)} in a path: percent-encode names (${encodeURIComponent(char)})` };
    }
  }
  try {
    return UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return { problem: 'a percent-encoded name is not UTF-8' };
  }
}

function matchRoute(segments: readonly string[]): PathReading {
  for (const routeGroup of COMPILED) {
    const matches: { spec: (typeof routeGroup.routes)[number]; bindings: Record<string, string> }[] = [];
    for (const spec of routeGroup.routes) {
      const bindings = matchTemplate(spec.segments, segments);
      if (!bindings) continue;
      matches.push({ spec, bindings });
      if (routeGroup.ordered) break;
    }
    if (matches.length > 1) {
      return {
        problem: `the broker could read it as ${matches.map((match) => match.spec.template).join(' or ')}, whichever it tries first`,
      };
    }
    const [match] = matches;
    if (match) {
      return {
        route: { template: match.spec.template, bindings: match.bindings, answer: match.spec.answer, path: canonicalPath(segments) },
      };
    }
  }
  return { problem: 'the management API has no such route (names are case-sensitive)', unknownPath: canonicalPath(segments) };
}

function matchTemplate(template: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const bindings: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    const segment = segments[index] as string;
    if (part.startsWith(':')) {
      const name = part.slice(1);
      bindings[name] = EXCHANGE_BINDINGS.has(name) && segment === 'amq.default' ? '' : segment;
    } else if (part !== segment) return undefined;
  }
  return bindings;
}

/** The path built back from decoded segments: each encoded once; an empty last segment kept by one more slash. */
function canonicalPath(segments: readonly string[]): string {
  const path = `/api/${segments.map((segment) => encodeURIComponent(segment)).join('/')}`;
  return segments.at(-1) === '' ? `${path}/` : path;
}

/** Whether the template names a queue, and through which binding (`queues/:vhost/:destination/bindings` does as destination). */
export function queueOfRoute(route: ApiRoute): string | undefined {
  const { template, bindings } = route;
  if (bindings.queue !== undefined) return bindings.queue;
  if (template === 'queues/:vhost/:destination/bindings') return bindings.destination;
  if (template.startsWith('bindings/:vhost/e/:source/:dtype/:destination') && bindings.dtype === 'q') return bindings.destination;
  return undefined;
}
