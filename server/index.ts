/**
 * Mount the RabbitMQ MCP server on your own Node HTTP server or Express app.
 *
 *   const mcp = await createRabbitMqMcp({ env: process.env });
 *   app.use('/mcp', mcp.handler);                       // Express: MCP at /mcp, health at /mcp/health
 *   http.createServer((req, res) => mcp.handler(req, res));  // with basePath: '/mcp'
 *
 * Configuration is read exactly as the command line does (environment variables and flags).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBroker } from './broker/broker.js';
import { settings } from './config/settings.js';
import { openSharedState, redisSecrets } from './fleet/shared-state.js';
import { approvalOf } from './mcp/app-approval.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import type { HealthReport } from './transports/http/health-report.js';
import { createMcpHttpHandler } from './transports/http/mcp-http-handler.js';
import { createLogger } from './logging/logger.js';
import { createScrubber } from './logging/secret-scrubber.js';
import { startTelemetry } from './telemetry/telemetry.js';

export type { HealthReport };

export interface RabbitMqMcpOptions {
  /** Environment variables as the CLI reads them (AMQP_HOST, MCP_AUTH_TOKEN…); default process.env. */
  env?: Record<string, string | undefined>;
  /** CLI-style flags, e.g. ['--allow-write']. */
  args?: string[];
  /** The path MCP is served at, as the handler sees it: "" under Express's app.use('/mcp', …). */
  basePath?: string;
}

export interface RabbitMqMcp {
  /** A Node request listener and Express middleware: MCP at basePath, health at `${basePath}/health`. */
  handler: (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;
  health(): Promise<HealthReport>;
  /** Graceful stop: refuses new requests, waits for in-flight ones, closes the broker connections. */
  close(): Promise<void>;
}

export { ConfigError };

export async function createRabbitMqMcp(options: RabbitMqMcpOptions = {}): Promise<RabbitMqMcp> {
  const command = loadConfig(options.args ?? [], options.env ?? process.env);
  if (command.kind !== 'run') throw new ConfigError('--help and --version have no meaning when mounting the server');
  const { config } = command;
  const scrub = createScrubber(
    [config.amqp.password, ...config.http.authTokens, config.requestStateKey, ...redisSecrets(config.redisUrl)],
    [config.amqp.user],
  );
  const logger = createLogger({ level: config.logLevel, scrub });
  const telemetry = await startTelemetry(config.telemetry, logger);
  const broker = createBroker(config, logger, telemetry);
  broker.amqp.start();
  if (config.http.authTokens.length === 0) {
    logger.warn(
      `mounted without ${settings.authToken.env}: anyone who reaches this app's port can use the broker through it; set ${settings.authToken.env} (generate one with: openssl rand -hex 32)`,
    );
  }
  const shared = await openSharedState(config.redisUrl, logger);
  const handler = createMcpHttpHandler({
    http: config.http,
    safety: config.safety,
    groups: config.tools,
    outputSchemas: config.outputSchemas,
    broker,
    logger,
    scrub,
    telemetry,
    basePath: options.basePath ?? '',
    approval: approvalOf(config),
    requestStateKey: config.requestStateKey,
    shared,
  });
  return {
    handler,
    health: () => handler.health.check(),
    async close() {
      handler.drain();
      await Promise.race([handler.idle(), new Promise((resolve) => setTimeout(resolve, 8000).unref())]);
      await telemetry.shutdown();
      await shared?.close();
      await broker.close();
    },
  };
}
