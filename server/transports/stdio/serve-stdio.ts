import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Broker } from '../../broker/broker.js';
import type { Logger } from '../../logging/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { MAX_STDIO_MESSAGE_BYTES, guardStdin } from './stdio-line-guard.js';

/**
 * Serves one MCP session on stdin/stdout. stdout carries nothing but JSON-RPC; the session ends
 * when the client closes stdin or the process is asked to stop.
 */
export async function serveStdio(server: Server, broker: Broker, logger: Logger, telemetry: Telemetry): Promise<void> {
  // Oversized messages are refused before the SDK's transport sees them (it would close for good).
  const input = guardStdin(
    process.stdin,
    (response) => process.stdout.write(response),
    (bytes) => logger.warn({ bytes, limit: MAX_STDIO_MESSAGE_BYTES }, 'refused a stdio message over the size limit'),
  );
  const transport = new StdioServerTransport(input, process.stdout, { maxBufferSize: MAX_STDIO_MESSAGE_BYTES * 2 });
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
  // Should the transport still close on its own, say so and leave, rather than stay up answering nothing.
  server.onerror = (error) => logger.error({ err: error }, 'stdio transport error');
  const closed = server.onclose;
  server.onclose = () => {
    closed?.();
    if (!stopping) {
      logger.error('the stdio transport closed; exiting');
      void stop('transport closed');
    }
  };
  // Connect to the broker only once the client can be answered: start-up stays fast and a broker
  // that is down never delays `initialize`.
  setImmediate(() => broker.amqp.start());
}
