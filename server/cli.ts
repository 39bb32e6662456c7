import { createInterface } from 'node:readline/promises';
import { BrokerError } from './broker/broker-errors.js';
import { type Broker, createBroker } from './broker/broker.js';
import { type UserProposal, applyUser, generatePassword, permissionText, proposeUser } from './broker/create-user.js';
import { PlanError } from './broker/least-privilege.js';
import { ManagementClient } from './broker/management-client.js';
import { wallSummary } from './broker/own-permissions.js';
import { CREATE_USER, type CreateUserOptions, createUserHelp, parseCreateUser } from './config/create-user-options.js';
import { helpText } from './config/help-text.js';
import { applyHeapPolicy } from './config/heap-policy.js';
import { ConfigError, type ServerConfig, loadConfig } from './config/load-config.js';
import { DailyLogFile } from './logging/daily-log-file.js';
import { type Logger, createLogger } from './logging/logger.js';
import { createScrubber } from './logging/secret-scrubber.js';
import { redisSecrets } from './fleet/shared-state.js';
import { approvalOf } from './mcp/app-approval.js';
import { explainBrokerError } from './mcp/broker-advice.js';
import { confirmRounds } from './mcp/confirm-rounds.js';
import { ConfirmationHandles } from './mcp/confirmations.js';
import { createServer } from './mcp/create-server.js';
import { serveStdio } from './transports/stdio/serve-stdio.js';
import { startTelemetry } from './telemetry/telemetry.js';
import { SERVER_NAME, VERSION } from './version.js';
import { settings, settingsEnvironment } from './config/settings.js';

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

/** The plan, on stderr: who gets what, what the broker will refuse, what stays the server's job. */
function describeProposal({ name, plan, existing, changes }: UserProposal, options: CreateUserOptions): string {
  const level = options.config.safety;
  const { vhosts, queues } = options.config.scope;
  const scope = [vhosts.length > 0 ? `--vhosts ${vhosts.join(',')}` : '', queues.length > 0 ? `--queues ${queues.join(',')}` : '']
    .filter(Boolean)
    .join(' ');
  const lines = [
    `User '${name}' for a ${level} server${scope ? ` limited to ${scope}` : ''} (${existing ? 'exists' : 'new'}):`,
    `  tags: ${plan.tags.join(', ')}`,
    ...plan.permissions.map((entry) => `  vhost '${entry.vhost}': ${permissionText(entry)}`),
    '  topic permissions: none (the patterns already keep it off amq.rabbitmq.trace and amq.rabbitmq.event)',
    'The broker refuses this user:',
    ...plan.brokerEnforces.map((line) => `  - ${line}`),
    'Only the server enforces:',
    ...plan.serverOnly.map((line) => `  - ${line}`),
    'Note:',
    ...plan.notes.map((line) => `  - ${line}`),
  ];
  if (existing)
    lines.push(
      changes.length > 0 ? 'Changes to the existing user:' : 'The user already is as planned.',
      ...changes.map((line) => `  - ${line}`),
    );
  return `${lines.join('\n')}\n`;
}

/** Lines a shell reads back (`KEY=value`, quoted where needed): the server's environment as the new user. */
function environmentLines(env: Record<string, string>): string {
  const quote = (value: string) => (/^[\w./:@,+-]*$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`);
  return `${Object.entries(env)
    .map(([key, value]) => `${key}=${quote(value)}`)
    .join('\n')}\n`;
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

/** `create-user`: the least-privilege broker user for a scope and level, made from an administrator's login. */
async function createUser(args: string[]): Promise<void> {
  let command;
  try {
    command = parseCreateUser(args, process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (command.kind === 'help') {
    process.stdout.write(createUserHelp());
    return;
  }
  const { options } = command;
  const { config } = options;
  const password = options.resetPassword ? generatePassword() : undefined;
  const scrub = createScrubber([config.amqp.password, password], [config.amqp.user, options.name]);
  const admin = new ManagementClient({ endpoint: config.management, timeoutMs: config.requestTimeoutMs });
  try {
    const proposal = await proposeUser(admin, {
      name: options.name,
      scope: config.scope,
      level: config.safety,
      options: { defaultExchange: options.defaultExchange },
    });
    process.stderr.write(describeProposal(proposal, options));
    const { existing, changes, plan } = proposal;
    if (options.dryRun) {
      process.stderr.write('Dry run: nothing was changed.\n');
      return;
    }
    if (existing && changes.length === 0 && !options.resetPassword) {
      process.stderr.write(`Nothing to change; its password is unchanged (--reset-password gives it a new one).\n`);
      return;
    }
    if (existing && !options.yes) {
      if (!process.stdin.isTTY)
        fail(`user '${options.name}' exists: run again with --yes to apply these changes (or --dry-run to only look)`);
      if (!(await confirm(`Apply these changes to user '${options.name}'? [y/N] `))) {
        process.stderr.write('Nothing was changed.\n');
        process.exitCode = 1;
        return;
      }
    }
    const newPassword = existing ? password : generatePassword();
    await applyUser(admin, proposal, newPassword);
    const vhost = plan.permissions.some((entry) => entry.vhost === config.amqp.vhost)
      ? config.amqp.vhost
      : (plan.permissions[0]?.vhost as string);
    process.stderr.write(
      `${existing ? 'Updated' : 'Created'} user '${options.name}'. Run the server as it with this environment${newPassword ? ' (the password is shown this once)' : ' (its password is unchanged)'}:\n`,
    );
    process.stdout.write(
      environmentLines(
        settingsEnvironment({
          amqpUser: options.name,
          amqpPassword: newPassword,
          amqpVhost: vhost,
          vhosts: config.scope.vhosts.length > 0 ? config.scope.vhosts.join(',') : undefined,
          queues: config.scope.queues.length > 0 ? config.scope.queues.join(',') : undefined,
          allowWrite: config.safety === 'write' ? 'true' : undefined,
          allowDestructive: config.safety === 'destructive' ? 'true' : undefined,
        }),
      ),
    );
  } catch (error) {
    if (error instanceof PlanError) fail(error.message);
    if (error instanceof BrokerError) fail(scrub(explainBrokerError(error)));
    throw error;
  } finally {
    await admin.close();
  }
}

/** At start, in the background: which promises the broker itself enforces for this server's user, and which only the server does. */
function logBrokerWall(broker: Broker, logger: Logger): void {
  broker.wall.report().then(
    (report) => {
      const { broker: byBroker, server: byServer } = wallSummary(report);
      logger.info(
        { user: report.user, enforced_by_broker: byBroker, only_by_server: byServer },
        `promises the broker enforces for user ${report.user}: ${byBroker}`,
      );
    },
    (error: unknown) =>
      logger.warn({ err: error }, "could not read the server's own broker user: every promise is the server's alone as far as it knows"),
  );
}

async function main(): Promise<void> {
  let args = process.argv.slice(2);
  if (args[0] === CREATE_USER) {
    await createUser(args.slice(1));
    return;
  }
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
  const heapFlags = applyHeapPolicy();
  const scrub = createScrubber(
    [config.amqp.password, ...config.http.authTokens, config.requestStateKey, ...redisSecrets(config.redisUrl)],
    [config.amqp.user],
  );
  // Over HTTP a line per request: written a turn of the event loop at a time (4 % of a busy server's time).
  const logger = createLogger({ level: config.logLevel, scrub, file: openLogFile(config), batched: config.transport === 'http' });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  logger.debug(
    { v8Flags: heapFlags },
    heapFlags.length > 0 ? 'heap policy set (node flags of the same names override it)' : 'heap left to the node flags given',
  );
  const telemetry = await startTelemetry(config.telemetry, logger);
  const broker = createBroker(config, logger, telemetry);
  logBrokerWall(broker, logger);
  const approval = approvalOf(config);

  if (config.transport === 'stdio') {
    // One store of confirmation handles for the connection, whichever server serves it.
    const handles = new ConfirmationHandles();
    const rounds = confirmRounds(config.requestStateKey);
    const newServer = () =>
      createServer(
        { broker, logger, scrub, telemetry, approval, handles, rounds },
        // One instance serves this connection to its end: enable_toolset can change its tools.
        { safety: config.safety, groups: config.tools, outputSchemas: config.outputSchemas, enableToolsetsAtRunTime: true },
      );
    await serveStdio(newServer, broker, logger, telemetry);
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
    running = await serveHttp(config, { broker, logger, scrub, telemetry, approval });
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
