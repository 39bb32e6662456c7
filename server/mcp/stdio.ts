import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../logging/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * Serves one MCP session on stdin/stdout. stdout carries nothing but JSON-RPC; the session ends
 * when the client closes stdin or the process is asked to stop.
 */
export async function serveStdio(server: Server, broker: Broker, logger: Logger, telemetry: Telemetry): Promise<void> {
  const transport = new StdioServerTransport();
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'stopping');
    await server.close().catch(() => undefined);
    await telemetry.shutdown();
    await broker.close();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop('stdin closed'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await server.connect(transport);
  // Connect to the broker only once the client can be answered: start-up stays fast and a broker
  // that is down never delays `initialize`.
  setImmediate(() => broker.amqp.start());
}
