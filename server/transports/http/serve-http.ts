import { readFileSync } from 'node:fs';
import { type Server, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Broker } from '../../broker/broker.js';
import { type ServerConfig, isLoopback } from '../../config/load-config.js';
import type { Logger } from '../../logging/logger.js';
import type { Scrubber } from '../../logging/secret-scrubber.js';
import { openSharedState } from '../../fleet/shared-state.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { createMcpHttpHandler } from './mcp-http-handler.js';
import type { ServerDependencies } from '../../mcp/create-server.js';
import { settings } from '../../config/settings.js';

export interface RunningHttpServer {
  /** Where MCP is served, e.g. http://127.0.0.1:8000/mcp. */
  url: string;
  /** Graceful stop: health 503 and new requests refused (503) at once, in-flight ones finish (8 s at most), then the port closes. */
  close(): Promise<void>;
}

const DRAIN_LIMIT_MS = 8000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export async function serveHttp(
  config: ServerConfig,
  dependencies: { broker: Broker; logger: Logger; scrub: Scrubber; telemetry: Telemetry; approval?: ServerDependencies['approval'] },
): Promise<RunningHttpServer> {
  const { http } = config;
  const { logger } = dependencies;
  const shared = await openSharedState(config.redisUrl, logger);
  const handler = createMcpHttpHandler({
    ...dependencies,
    http,
    safety: config.safety,
    groups: config.tools,
    outputSchemas: config.outputSchemas,
    requestStateKey: config.requestStateKey,
    shared,
    basePath: '/mcp',
  });
  const server: Server = http.tls
    ? createHttpsServer({ cert: readFileSync(http.tls.cert), key: readFileSync(http.tls.key) }, handler)
    : createHttpServer(handler);
  // Longer than the idle timeout of common load balancers (60 s), so they close first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(http.port, http.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = http.host.includes(':') ? `[${http.host}]` : http.host;
  const url = `${http.tls ? 'https' : 'http'}://${host}:${port}/mcp`;

  if (!isLoopback(http.host) && http.authTokens.length === 0) {
    const token = settings.authToken.env;
    const warning = `WARNING: listening on ${http.host} without ${token}: anyone who can reach port ${port} can use this broker through it. Set ${token}.`;
    process.stderr.write(`\n${'!'.repeat(warning.length)}\n${warning}\n${'!'.repeat(warning.length)}\n\n`);
    logger.warn({ host: http.host, port }, 'HTTP transport exposed without authentication');
  }
  if (!http.allowedHosts)
    logger.warn({ host: http.host }, `Host header not checked: set ${settings.allowedHosts.env} to the names clients use`);
  logger.info({ url, safety: config.safety, auth: http.authTokens.length > 0, rateLimitRpm: http.rateLimitRpm }, 'serving MCP over HTTP');

  let closing: Promise<void> | null = null;
  return {
    url,
    close() {
      closing ??= (async () => {
        // From now on health answers 503 and new MCP requests get a 503 that promises they were not
        // processed (a proxy may retry them elsewhere). The listener stays open until the requests
        // in flight have finished: closing it earlier would reset connections a proxy has already
        // sent a request on.
        handler.drain();
        await Promise.race([handler.idle(), sleep(DRAIN_LIMIT_MS)]);
        // Stop listening and close idle connections; give requests that just arrived on open
        // ones (answered 503 at once) a moment to be answered before cutting what is left.
        await Promise.race([new Promise((resolve) => server.close(resolve)), sleep(1000)]);
        server.closeAllConnections();
        await dependencies.telemetry.shutdown();
        await shared?.close();
        await dependencies.broker.close();
      })();
      return closing;
    },
  };
}
