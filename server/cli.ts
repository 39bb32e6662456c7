import { createBroker } from './broker/broker.js';
import { helpText } from './config/help-text.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { createLogger } from './logging/logger.js';
import { createScrubber } from './logging/secret-scrubber.js';
import { createServer } from './mcp/create-server.js';
import { serveStdio } from './mcp/stdio.js';
import { SERVER_NAME, VERSION } from './version.js';

function fail(message: string): never {
  process.stderr.write(`${SERVER_NAME}: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let command;
  try {
    command = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (command.kind === 'help') {
    process.stdout.write(helpText(VERSION));
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const { config } = command;
  const scrub = createScrubber([config.amqp.password], [config.amqp.user]);
  const logger = createLogger({ level: config.logLevel, scrub });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  const broker = createBroker(config, logger);
  const server = createServer({ broker, logger, scrub }, { safety: config.safety });
  if (config.transport === 'http') fail('MCP_TRANSPORT=http: the HTTP transport is not part of this build yet; use stdio');
  await serveStdio(server, broker, logger);
  logger.info(
    { safety: config.safety, broker: broker.management.baseUrl, vhost: config.amqp.vhost },
    `${SERVER_NAME} ${VERSION} serving on stdio`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${SERVER_NAME}: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
