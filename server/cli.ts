import { createBroker } from './broker/broker.js';
import { helpText } from './config/help-text.js';
import { ConfigError, type ServerConfig, loadConfig } from './config/load-config.js';
import { DailyLogFile } from './logging/daily-log-file.js';
import { createLogger } from './logging/logger.js';
import { createScrubber } from './logging/secret-scrubber.js';
import { createServer } from './mcp/create-server.js';
import { serveStdio } from './transports/stdio/serve-stdio.js';
import { startTelemetry } from './telemetry/telemetry.js';
import { SERVER_NAME, VERSION } from './version.js';
import { settings } from './config/settings.js';

const EXIT_DEADLINE_MS = 10_000;

function fail(message: string): never {
  process.stderr.write(`${SERVER_NAME}: ${message}\n`);
  process.exit(2);
}

function readCommand(args: string[]) {
  try {
    return loadConfig(args, process.env);
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
    fail(`${settings.logDir.env} "${config.logDir}" is not usable: ${(error as Error).message}`);
  }
}

/**
 * Started by hand in a terminal, the stdio server just waits for JSON-RPC: say what it is and how
 * to try it (the MCP Inspector launches this same command as its client).
 */
function terminalHint(args: string[]): string {
  const quote = (arg: string) => (/^[\w./:=@,+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
  const command = ['node', process.argv[1] ?? SERVER_NAME, ...args].map(quote).join(' ');
  return `${SERVER_NAME} speaks MCP on stdin/stdout and waits for an AI client; to try it by hand: npx @modelcontextprotocol/inspector ${command} (Ctrl+C quits)`;
}

async function main(): Promise<void> {
  let args = process.argv.slice(2);
  if (args.includes('--health-check')) {
    // Inside a container, the options of the server running as PID 1 come first; ours win.
    const { containerServerArgs } = await import('./transports/http/health-check.js');
    args = [...containerServerArgs(), ...args];
  }
  const command = readCommand(args);
  if (command.kind === 'help') {
    process.stdout.write(helpText(VERSION));
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (command.kind === 'health-check') {
    // One line on stdout; exit 0 when /mcp/health answers 200, else 1.
    const { checkHealth } = await import('./transports/http/health-check.js');
    const { healthy, line } = await checkHealth(command.config);
    process.stdout.write(`${line}\n`);
    process.exitCode = healthy ? 0 : 1;
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
    const server = createServer(
      { broker, logger, scrub, telemetry },
      {
        safety: config.safety,
        groups: config.tools,
        outputSchemas: config.outputSchemas,
      },
    );
    await serveStdio(server, broker, logger, telemetry);
    if (process.stdin.isTTY) process.stderr.write(`${terminalHint(args)}\n`);
    logger.info(
      { safety: config.safety, broker: broker.management.baseUrl, vhost: config.amqp.vhost },
      `${SERVER_NAME} ${VERSION} serving on stdio`,
    );
    return;
  }

  // The HTTP transport (and the SDK's HTTP code) loads only in HTTP mode.
  const { serveHttp } = await import('./transports/http/serve-http.js');
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
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
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
