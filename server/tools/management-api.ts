import { z } from 'zod';
import { BrokerError } from '../broker/broker-errors.js';
import type { Broker } from '../broker/broker.js';
import { apiPath } from '../broker/management-client.js';
import { apiSegments } from '../broker/scope.js';
import type { SafetyLevel } from '../config/load-config.js';
import { withoutCredentials } from './credentials.js';
import { hiddenQueuesReached, routingKeysOf } from './bindings.js';
import { capOutput } from './output.js';
import { policyImpact, removingPolicyKeys, shovelRemoves } from './effects.js';
import { confirm } from './schemas.js';
import { RANK, READ_ONLY, defineTool, destroys, writes } from './tool.js';

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * The level a request needs, by what the broker does because of it, not by its verb: a GET that
 * declares a queue is a write; a POST that takes messages, a policy that drops or expires them, a
 * shovel from a queue or a definitions import is destructive (with what it would remove now).
 */
async function levelOf(
  broker: Broker,
  method: Method,
  path: string,
  body: Record<string, unknown> | undefined,
): Promise<{ level: SafetyLevel; why?: string }> {
  const [resource, first, second, third, fourth] = apiSegments(path);
  if (method === 'DELETE') return { level: 'destructive' };
  if (method === 'GET') {
    return resource === 'aliveness-test' ? { level: 'write', why: 'declares a test queue and publishes to it' } : { level: 'read-only' };
  }
  if (resource === 'queues' && third === 'get' && first !== undefined && second !== undefined && fourth === undefined) {
    if (/requeue_false/.test(String(body?.ackmode ?? ''))) return { level: 'destructive', why: 'takes the messages off the queue' };
    const type = await broker.management
      .get<{ type?: string }>(apiPath('queues', first, second), { query: { columns: 'type' } })
      .then((queue) => queue.type)
      .catch(() => undefined);
    if (type !== 'classic')
      return { level: 'destructive', why: 'hands the messages back, which counts toward a quorum queue delivery limit' };
    return { level: 'write', why: 'marks the messages redelivered' };
  }
  if ((resource === 'policies' || resource === 'operator-policies') && first !== undefined && body) {
    const definition = body.definition as Record<string, unknown> | undefined;
    const keys = removingPolicyKeys(definition);
    if (keys.length > 0 && typeof body.pattern === 'string') {
      const impact = await policyImpact(broker, first, {
        pattern: body.pattern,
        'apply-to': typeof body['apply-to'] === 'string' ? body['apply-to'] : undefined,
        definition: definition ?? {},
      });
      return { level: 'destructive', why: `sets ${keys.join(', ')}: ${impact}` };
    }
  }
  if (resource === 'parameters' && first !== undefined && first !== 'federation-upstream' && first !== 'federation-upstream-set') {
    if (first !== 'shovel')
      return { level: 'destructive', why: `sets a runtime parameter of '${first}', whose effect on messages is not known here` };
    const removes = shovelRemoves((body?.value ?? {}) as Record<string, unknown>);
    if (removes) return { level: 'destructive', why: removes };
  }
  if (resource === 'definitions')
    return { level: 'destructive', why: 'imports definitions, whose policies and shovels can remove messages' };
  return { level: 'write' };
}
const FLAG: Record<SafetyLevel, string> = { 'read-only': '', write: '--allow-write', destructive: '--allow-destructive' };

/**
 * "/api/queues/%2F/orders?columns=name" or "queues/%2F/orders" → the path under /api and its
 * query. Only paths of the management API: no scheme or host, no dot segments (a path like
 * /api/../ would escape the API), no control characters.
 */
export function parseApiPath(raw: string): { path: string; query: Record<string, string> } | { problem: string } {
  const text = raw.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(text) || text.startsWith('//')) return { problem: 'give a path like /api/queues/%2F, not a URL' };
  if (/[\u0000-\u001f\u007f\\\s]/.test(text))
    return { problem: 'the path has spaces, backslashes or control characters: percent-encode names (%2F for /)' };
  const [pathPart = '', queryPart = ''] = text.split('?', 2);
  const withoutPrefix = pathPart.replace(/^\/+/, '').replace(/^api(\/|$)/, '');
  const segments = withoutPrefix.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.' || /%2e%2e/i.test(segment)))
    return { problem: 'dot segments (..) are not allowed' };
  if (withoutPrefix === '') return { problem: 'give a path under /api, e.g. /api/overview' };
  return { path: `/api/${withoutPrefix}`, query: Object.fromEntries(new URLSearchParams(queryPart)) };
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
    const shown = `${method} ${parsed.path}${Object.keys(parsed.query).length > 0 ? `?${new URLSearchParams(parsed.query)}` : ''}`;
    // The scope first: a preview must say nothing of what the scope hides.
    broker.scope.checkPath(parsed.path, method);
    if (args.body !== undefined) broker.scope.checkBody(parsed.path, args.body);
    const publish = /^\/api\/exchanges\/([^/]+)\/([^/]*)\/publish$/.exec(parsed.path);
    if (publish && method === 'POST' && broker.scope.queues.restricts) {
      const [vhostName, exchangeName] = [decodeURIComponent(publish[1] as string), decodeURIComponent(publish[2] as string)];
      const properties = (args.body?.properties ?? {}) as { headers?: Record<string, unknown> };
      const key = typeof args.body?.routing_key === 'string' ? args.body.routing_key : '';
      const exchange = exchangeName === 'amq.default' ? '' : exchangeName;
      if ((await hiddenQueuesReached(broker, vhostName, exchange, routingKeysOf(key, properties.headers), properties.headers ?? {})) > 0) {
        return { text: `${shown} would route the message into a queue outside this server's scope; nothing was sent.`, isError: true };
      }
    }
    const effect = await levelOf(broker, method, parsed.path, args.body);
    if (RANK[effect.level] > RANK[safety]) {
      return {
        text: `${shown} ${effect.why ?? ''}, so it needs ${FLAG[effect.level]}: this server runs ${safety}.`.replace(' ,', ','),
        isError: true,
      };
    }
    if (effect.level === 'destructive' && method !== 'DELETE') {
      const declined = await gate(args.confirm, `would send ${shown}, which ${effect.why}; the broker carries it out as is`);
      if (declined) return declined;
    }
    if (method === 'DELETE') {
      // The preview names what is there, when a GET of the same path can say.
      const existing = await broker.management
        .get<Record<string, unknown>>(parsed.path, { query: parsed.query })
        .catch((error: unknown) => {
          if (error instanceof BrokerError && error.code === 'not_found')
            throw new BrokerError('not_found', `Nothing to delete: ${parsed.path} does not exist.`);
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
