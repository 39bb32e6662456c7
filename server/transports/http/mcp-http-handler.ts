import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { type AuthInfo, createMcpHandler, isLegacyRequest } from '@modelcontextprotocol/server';
import type { Broker } from '../../broker/broker.js';
import { type HttpTransportConfig, type SafetyLevel, isLoopback } from '../../config/load-config.js';
import type { Logger } from '../../logging/logger.js';
import type { ToolGroup } from '../../config/tool-groups.js';
import type { Scrubber } from '../../logging/secret-scrubber.js';
import { confirmRounds } from '../../mcp/confirm-rounds.js';
import { ConfirmationHandles } from '../../mcp/confirmations.js';
import { type ServerDependencies, createServer } from '../../mcp/create-server.js';
import type { SharedState } from '../../fleet/shared-state.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { clientAddress, tokenChecker, trustedProxies } from './client-identity.js';
import { HealthProbe } from './health.js';
import { RateLimiter } from './rate-limiter.js';
import { settings } from '../../config/settings.js';

export interface McpHttpHandlerOptions {
  http: HttpTransportConfig;
  safety: SafetyLevel;
  /** Tool groups offered; undefined means all. */
  groups?: readonly ToolGroup[];
  outputSchemas?: boolean;
  broker: Broker;
  logger: Logger;
  scrub: Scrubber;
  telemetry: Telemetry;
  /** Where MCP is served ("/mcp"); health is at `${basePath}/health`. "" when a framework strips the mount path. */
  basePath: string;
  /** Approval by a person in the desktop app (MCP_APP_APPROVAL), when it runs this server. */
  approval?: ServerDependencies['approval'];
  /** MCP_REQUEST_STATE_KEY: every instance given the same key finishes another's confirmation rounds. */
  requestStateKey?: string;
  /** The fleet's shared store (MCP_REDIS_URL): a confirmation used on one instance is refused on all. */
  shared?: SharedState;
}

/** A Node `http` request listener that is also Express middleware (`next` for other paths). */
export interface McpHttpHandler {
  (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void): void;
  readonly health: HealthProbe;
  /** Stops taking requests: health turns 503 and new requests are refused; in-flight ones go on. */
  drain(): void;
  /** Resolves when no request is in flight. */
  idle(): Promise<void>;
}

const ALLOWED_HEADERS = 'authorization, content-type, accept, mcp-protocol-version, mcp-session-id, last-event-id';
const EXPOSED_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate, retry-after';

function jsonRpcError(response: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** Which JSON-RPC methods a body carries, for the access log ("tools/call", "initialize"…). */
function methodsOf(body: unknown): string {
  const messages = Array.isArray(body) ? body : [body];
  return messages.map((message) => (message as { method?: string })?.method ?? 'response').join(',');
}

function wantsProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (message) => (message as { params?: { _meta?: { progressToken?: unknown } } })?.params?._meta?.progressToken !== undefined,
  );
}

/** The auth info our own token check hands the SDK: who called, and the AI app they named. */
type CallerInfo = AuthInfo & { extra: { caller: string } };

class BodyTooLarge extends Error {}

/**
 * What the SDK needs to tell the protocol generations apart, as a web Request: the method, the URL
 * and the MCP headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name…) with the content negotiation
 * ones, and no body: the body is already parsed and passed beside it. Serialising the body into a
 * Request for every call cost 6 of the 118 KB a tools/list request allocated, and copying every
 * header 3 % of the server's time at 32 clients.
 */
function classifiable(request: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || !(name.startsWith('mcp-') || name === 'content-type' || name === 'accept')) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  // The host plays no part in the classification; a made-up one cannot make the URL invalid.
  return new Request(`http://localhost${request.url ?? '/'}`, { method: request.method, headers });
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * An Origin header as a browser sends it: scheme://host[:port] and nothing else (no user-info,
 * path or "null"), normalised; undefined when it is not one.
 */
function parsedOrigin(origin: string): URL | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin === origin.toLowerCase().replace(/\/$/, '') ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which AI app asks, for the person approving a change: what the desktop app's stdio entry says
 * its client called itself (x-rabbitmq-mcp-client, printable ASCII), else who reached this server.
 */
function callerOf(request: IncomingMessage, client: string): string {
  const named = request.headers['x-rabbitmq-mcp-client'];
  if (typeof named === 'string' && named.trim() !== '')
    return named
      .replace(/[^\x20-\x7e]/g, '?')
      .trim()
      .slice(0, 100);
  return `an MCP client at ${client}`;
}

function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const lowered = hostHeader.toLowerCase();
  if (lowered.startsWith('[')) return lowered.slice(0, lowered.indexOf(']') + 1);
  return lowered.replace(/:\d+$/, '');
}

/**
 * The MCP endpoint over Streamable HTTP, stateless: every POST gets a fresh MCP server and
 * transport, so any instance behind a load balancer can answer any request. Before a request
 * reaches MCP it passes, in order: health (no auth), draining, Host and Origin checks, CORS,
 * the method, the bearer token, the rate limit, the content type and the body size.
 */
export function createMcpHttpHandler(options: McpHttpHandlerOptions): McpHttpHandler {
  const { http, broker, logger, scrub, telemetry, approval } = options;
  // One store for every request: a dry run and its confirmation arrive as two requests.
  const handles = new ConfirmationHandles();
  const rounds = confirmRounds(options.requestStateKey, options.shared);
  if (options.requestStateKey !== undefined && options.shared === undefined) {
    logger.warn(
      `${settings.requestStateKey.env} is set for a fleet, ${settings.redisUrl.env} is not: a 2026 client's confirmation is refused a second time only on the instance that used it; set ${settings.redisUrl.env} so every instance refuses it`,
    );
  }
  /**
   * The MCP exchange itself, for both protocol generations, each request by a fresh server
   * (cheap: the tool surface is computed once): a 2026-07-28 request (its _meta envelope) through
   * the SDK's handler for that revision, a 2025 one statelessly (serveLegacy). What comes before
   * it (health, Host and Origin, CORS, the token, the rate limit, the body) is checked here first.
   */
  const newServer = (authInfo: AuthInfo | undefined) => {
    const client = authInfo?.clientId ?? 'unknown';
    return createServer(
      {
        broker,
        logger: logger.child({ client }),
        scrub,
        telemetry,
        handles,
        approval,
        rounds,
        caller: (authInfo?.extra?.caller as string | undefined) ?? `an MCP client at ${client}`,
      },
      {
        safety: options.safety,
        groups: options.groups,
        outputSchemas: options.outputSchemas,
        // Only a supervising app holds the server's stdin (the desktop app).
        fromApp: options.http.exitOnStdinClose,
      },
    );
  };
  const sdkHandler = createMcpHandler(({ authInfo }) => newServer(authInfo), {
    legacy: 'reject',
    maxRequestBodySize: http.maxBodyBytes,
    onerror: (error) => logger.debug({ err: error }, 'MCP request refused'),
  });
  const serveMcpRequest = toNodeHandler(sdkHandler, {
    maxRequestBodySize: http.maxBodyBytes,
    onerror: (error) => logger.error({ err: error }, 'MCP request failed'),
  });
  const health = new HealthProbe(broker, { shared: options.shared });
  const limiter = new RateLimiter(http.rateLimitRpm);
  const checkToken = tokenChecker(http.authTokens);
  const proxies = trustedProxies(http.trustedProxies);
  const mcpPaths = new Set(options.basePath === '' ? ['', '/'] : [options.basePath, `${options.basePath}/`]);
  const healthPath = `${options.basePath}/health`;
  // A server bound to loopback also accepts pages served from loopback (local tools, inspectors).
  const loopbackOrigins = isLoopback(http.host);
  // Configured origins match exactly (scheme, host and port), after the same normalisation.
  const allowedOrigins = new Set(http.corsOrigins.map((origin) => parsedOrigin(origin)?.origin ?? origin));
  const originAllowed = (origin: string) => {
    const url = parsedOrigin(origin);
    return url !== undefined && (allowedOrigins.has(url.origin) || (loopbackOrigins && isLoopback(url.hostname)));
  };
  let draining = false;
  let inFlight = 0;
  const idleWaiters: (() => void)[] = [];

  const finished = () => {
    inFlight--;
    if (inFlight === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  async function serveHealth(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'use GET for the health endpoint' }));
      return;
    }
    const report = await health.check();
    // Liveness asks whether this process serves, not whether the broker does.
    const live = /[?&]probe=liveness(&|$)/.test(request.url ?? '') && !draining;
    response.writeHead(report.status === 'healthy' || live ? 200 : 503, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...(draining ? { connection: 'close' } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : JSON.stringify(report));
  }

  function corsHeaders(origin: string | undefined): Record<string, string> {
    return origin ? { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': EXPOSED_HEADERS } : {};
  }

  async function serveMcp(request: IncomingMessage, response: ServerResponse, started: number): Promise<void> {
    const origin = request.headers.origin;
    if (http.allowedHosts && !http.allowedHosts.includes(hostName(request.headers.host))) {
      return jsonRpcError(
        response,
        403,
        -32000,
        `Host '${request.headers.host ?? ''}' is not allowed (DNS rebinding protection); add it to ${settings.allowedHosts.env}`,
      );
    }
    if (origin !== undefined && !originAllowed(origin)) {
      return jsonRpcError(response, 403, -32000, `Origin '${origin}' is not allowed; add it to ${settings.corsOrigins.env}`);
    }
    const cors = corsHeaders(origin);
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      response.end();
      return;
    }
    if (request.method !== 'POST') {
      return jsonRpcError(
        response,
        405,
        -32000,
        `${request.method} is not supported: this server is stateless (no SSE stream to open, no session to delete); POST JSON-RPC messages to this URL`,
        { ...cors, allow: 'POST, OPTIONS' },
      );
    }
    const address = clientAddress(request, proxies);
    let client = address;
    const tooMany = (decision: { retryAfterSeconds: number }, what: string) =>
      jsonRpcError(
        response,
        429,
        -32000,
        `Rate limit of ${http.rateLimitRpm} ${what} per minute reached; retry in ${decision.retryAfterSeconds}s`,
        {
          ...cors,
          'retry-after': String(decision.retryAfterSeconds),
        },
      );
    if (http.authTokens.length > 0) {
      const token = checkToken(request.headers.authorization);
      if (!token.client) {
        // Failed logins count against the address too, so guessing tokens is limited like calls are.
        const attempt = limiter.take(`unauthenticated ${address}`);
        if (!attempt.allowed) return tooMany(attempt, 'requests');
        const challenge = token.presented ? 'Bearer realm="rabbitmq-mcp", error="invalid_token"' : 'Bearer realm="rabbitmq-mcp"';
        return jsonRpcError(
          response,
          401,
          -32001,
          token.presented ? 'The bearer token is not valid' : 'Authorization: Bearer <token> is required',
          {
            ...cors,
            'www-authenticate': challenge,
          },
        );
      }
      client = token.client;
    }
    const decision = limiter.take(client);
    if (!decision.allowed) return tooMany(decision, 'requests');
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
      return jsonRpcError(response, 415, -32000, `Content-Type must be application/json (got '${contentType || 'none'}')`, cors);
    }
    // Mounted behind a body parser (express.json()), the body is already read and parsed.
    let body: unknown = request.readableEnded ? (request as { body?: unknown }).body : undefined;
    if (body === undefined) {
      const declared = Number(request.headers['content-length'] ?? 0);
      const tooLarge = `Request body is larger than ${http.maxBodyBytes} bytes (${settings.maxBodyBytes.env})`;
      if (declared > http.maxBodyBytes) return jsonRpcError(response, 413, -32000, tooLarge, { ...cors, connection: 'close' });
      let text: string;
      try {
        text = await readBody(request, http.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLarge) return jsonRpcError(response, 413, -32000, tooLarge, { ...cors, connection: 'close' });
        throw error;
      }
      try {
        body = JSON.parse(text);
      } catch (error) {
        return jsonRpcError(response, 400, -32700, `Parse error: ${(error as Error).message}`, cors);
      }
    }
    // A JSON-RPC batch is as many calls as it holds: the first was counted above.
    const calls = Array.isArray(body) ? body.length : 1;
    if (calls > 1) {
      const batch = limiter.take(client, calls - 1);
      if (!batch.allowed) return tooMany(batch, 'calls (a batch counts each call)');
    }
    for (const [name, value] of Object.entries(cors)) response.setHeader(name, value);
    response.on('finish', () => {
      logger.info(
        { client, rpc: methodsOf(body), status: response.statusCode, ms: Math.round(performance.now() - started) },
        'http request',
      );
    });
    // Who the caller is reaches the server built for this request as its (already checked) auth info.
    const caller: CallerInfo = { token: 'checked', clientId: client, scopes: [], extra: { caller: callerOf(request, client) } };
    if (await isLegacyRequest(classifiable(request), body)) return serveLegacy(request, response, body, caller);
    (request as IncomingMessage & { auth?: CallerInfo }).auth = caller;
    await serveMcpRequest(request, response, body);
  }

  /**
   * A 2025 request (no _meta envelope), served statelessly by a fresh server, as a JSON answer
   * (what load balancers handle best) unless it asks for progress, which needs a stream.
   */
  async function serveLegacy(request: IncomingMessage, response: ServerResponse, body: unknown, caller: CallerInfo): Promise<void> {
    const server = newServer(caller);
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !wantsProgress(body) });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  }

  const handler = ((request, response, next) => {
    const started = performance.now();
    const path = (request.url ?? '/').split('?')[0] as string;
    if (path === healthPath) {
      serveHealth(request, response).catch((error: unknown) =>
        jsonRpcError(response, 500, -32603, `health check failed: ${(error as Error).message}`),
      );
      return;
    }
    if (!mcpPaths.has(path)) {
      if (next) return next();
      return jsonRpcError(response, 404, -32000, `Not found: MCP is served at ${options.basePath || '/'} and health at ${healthPath}`);
    }
    if (draining) {
      // Not processed, so safe for a proxy to retry elsewhere, even a POST.
      return jsonRpcError(
        response,
        503,
        -32000,
        'The server is shutting down; this request was not processed, retry it on another instance',
        {
          'retry-after': '1',
        },
      );
    }
    inFlight++;
    response.on('close', finished);
    serveMcp(request, response, started).catch((error: unknown) => {
      logger.error({ err: error }, 'http request failed');
      jsonRpcError(response, 500, -32603, 'Internal error; the server log has details');
    });
  }) as McpHttpHandler;

  Object.defineProperty(handler, 'health', { value: health });
  handler.drain = () => {
    draining = true;
    health.markShuttingDown();
  };
  handler.idle = () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve)));
  return handler;
}
