import type { Server } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio as serveBothEras } from '@modelcontextprotocol/server/stdio';
import type { Broker } from '../../broker/broker.js';
import type { Logger } from '../../logging/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { MAX_STDIO_MESSAGE_BYTES, guardStdin } from './stdio-line-guard.js';

/**
 * Serves one MCP connection on stdin/stdout, to a client of either protocol generation: the
 * SDK's serveStdio reads the opening exchange (2025's initialize, or a 2026-07-28 request with
 * its _meta envelope) and pins one server from `newServer` to that era. stdout carries nothing
 * but JSON-RPC; the process ends when the client closes stdin or it is asked to stop.
 */
export async function serveStdio(newServer: () => Server, broker: Broker, logger: Logger, telemetry: Telemetry): Promise<void> {
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
    await connection.close().catch(() => undefined);
    await telemetry.shutdown();
    await broker.close();
    process.exit(0);
  };
  const connection = serveBothEras(
    ({ era }) => {
      logger.debug({ era }, 'serving a connection');
      return newServer();
    },
    {
      transport,
      onerror: (error) => logger.error({ err: error }, 'stdio transport error'),
    },
  );
  // Should the transport still close on its own, say so and leave, rather than stay up answering nothing.
  const closed = transport.onclose;
  transport.onclose = () => {
    closed?.();
    if (!stopping) {
      logger.error('the stdio transport closed; exiting');
      void stop('transport closed');
    }
  };
  process.stdin.on('end', () => void stop('stdin closed'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Connect to the broker only once the client can be answered: start-up stays fast and a broker
  // that is down never delays the opening exchange.
  setImmediate(() => broker.amqp.start());
}
