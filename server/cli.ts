import { createBroker } from './broker/broker.js';
import { helpText } from './config/help-text.js';
import { ConfigError, type ServerConfig, loadConfig } from './config/load-config.js';
import { DailyLogFile } from './logging/daily-log-file.js';
import { createLogger } from './logging/logger.js';
import { createScrubber } from './logging/secret-scrubber.js';
import { createServer } from './mcp/create-server.js';
import { serveStdio } from './mcp/stdio.js';
import { startTelemetry } from './telemetry/telemetry.js';
import { SERVER_NAME, VERSION } from './version.js';

const EXIT_DEADLINE_MS = 10_000;

function fail(message: string): never {
  process.stderr.write(`${SERVER_NAME}: ${message}\n`);
  process.exit(2);
}

function readCommand() {
  try {
    return loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

function openLogFile(config: ServerConfig): DailyLogFile | undefined {
  if (!config.logDir) return undefined;
  try {
    return new DailyLogFile({ dir: config.logDir, prefix: SERVER_NAME, retentionDays: config.logRetentionDays });
  } catch (error) {
    fail(`LOG_DIR "${config.logDir}" is not usable: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  const command = readCommand();
  if (command.kind === 'help') {
    process.stdout.write(helpText(VERSION));
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const { config } = command;
  const scrub = createScrubber([config.amqp.password, ...config.http.authTokens], [config.amqp.user]);
  const logger = createLogger({ level: config.logLevel, scrub, file: openLogFile(config) });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  const telemetry = await startTelemetry(config.telemetry, logger);
  const broker = createBroker(config, logger, telemetry);

  if (config.transport === 'stdio') {
    const server = createServer({ broker, logger, scrub, telemetry }, { safety: config.safety, groups: config.tools });
    await serveStdio(server, broker, logger, telemetry);
    logger.info(
      { safety: config.safety, broker: broker.management.baseUrl, vhost: config.amqp.vhost },
      `${SERVER_NAME} ${VERSION} serving on stdio`,
    );
    return;
  }

  // The HTTP transport (and the SDK's HTTP code) loads only in HTTP mode.
  const { serveHttp } = await import('./http/serve-http.js');
  broker.amqp.start();
  let running;
  try {
    running = await serveHttp(config, { broker, logger, scrub, telemetry });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    fail(`cannot listen on ${config.http.host}:${config.http.port}: ${reason}`);
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), EXIT_DEADLINE_MS).unref();
    running.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // The parent holds our stdin; it closes when the parent exits, however it exits.
  if (config.http.exitOnStdinClose) {
    process.stdin.once('end', () => stop('stdin closed'));
    process.stdin.resume();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${SERVER_NAME}: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
