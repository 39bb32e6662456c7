import { z } from 'zod';
import { BrokerError } from '../broker/broker-errors.js';
import type { SafetyLevel } from '../config/load-config.js';
import { withoutCredentials } from './credentials.js';
import { capOutput } from './output.js';
import { confirm } from './schemas.js';
import { READ_ONLY, defineTool, destroys, writes } from './tool.js';

const NEEDS: Record<'GET' | 'PUT' | 'POST' | 'DELETE', SafetyLevel> = {
  GET: 'read-only',
  PUT: 'write',
  POST: 'write',
  DELETE: 'destructive',
};
const RANK: Record<SafetyLevel, number> = { 'read-only': 0, write: 1, destructive: 2 };
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
  group: 'api',
  description: 'Any management API request (path e.g. /api/queues/%2F/q). GET always; PUT/POST need write, DELETE destructive.',
  input: z.strictObject({
    method: z.enum(['GET', 'PUT', 'POST', 'DELETE']).optional(),
    path: z.string().min(1).max(4000),
    body: z.record(z.string(), z.unknown()).optional(),
    confirm,
  }),
  // Offered at every level; what it may do follows the server's level, and so do its hints.
  annotations: READ_ONLY,
  annotationsAt: (level) => (level === 'destructive' ? destroys(false) : level === 'write' ? writes(false) : READ_ONLY),
  async handler(args, { broker, safety, confirm: gate }) {
    const method = args.method ?? 'GET';
    if (RANK[NEEDS[method]] > RANK[safety]) {
      return { text: `${method} needs ${FLAG[NEEDS[method]]}: this server runs ${safety}. GET works at every level.`, isError: true };
    }
    const parsed = parseApiPath(args.path);
    if ('problem' in parsed) return { text: `Invalid path: ${parsed.problem}.`, isError: true };
    if (args.body !== undefined && (method === 'GET' || method === 'DELETE')) return { text: `${method} takes no body.`, isError: true };
    const shown = `${method} ${parsed.path}${Object.keys(parsed.query).length > 0 ? `?${new URLSearchParams(parsed.query)}` : ''}`;
    if (method === 'DELETE') {
      // The preview names what is there, when a GET of the same path can say.
      const existing = await broker.management
        .get<Record<string, unknown>>(parsed.path, { query: parsed.query })
        .catch((error: unknown) => {
          if (error instanceof BrokerError && error.kind === 'not_found')
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
