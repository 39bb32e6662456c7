import { ConfigError, type ServerConfig, loadConfig } from './load-config.js';
import { settings } from './settings.js';

/** `rabbitmq-mcp-server create-user …`: make the least-privilege broker user for a scope and level. */
export const CREATE_USER = 'create-user';

export interface CreateUserOptions {
  /** The user to create or update. */
  name: string;
  /** Apply changes to an existing user without asking. */
  yes: boolean;
  /** Show the plan and the changes; change nothing. */
  dryRun: boolean;
  /** Give an existing user a new password (a new user always gets one). */
  resetPassword: boolean;
  /** Grant write on the default exchange under --queues. */
  defaultExchange: boolean;
  /**
   * The administrator's connection (AMQP_USER, AMQP_PASSWORD, hosts, ports, TLS), with the scope
   * and safety level the new user is for.
   */
  config: ServerConfig;
}

export type CreateUserCommand = { kind: 'help' } | { kind: 'create-user'; options: CreateUserOptions };

const SWITCHES = { yes: '--yes', dryRun: '--dry-run', resetPassword: '--reset-password', defaultExchange: '--default-exchange' } as const;

export function createUserHelp(): string {
  return `${[
    'Usage: rabbitmq-mcp-server create-user --name <user> [--vhosts <patterns>] [--queues <patterns>] [--allow-write | --allow-destructive] [options]',
    '',
    'Creates (or updates) the broker user a server with this scope and safety level needs, and no more,',
    'so that RabbitMQ itself refuses much of what the scope and level forbid. It logs in as an administrator:',
    `${settings.amqpUser.env} and ${settings.amqpPassword.env} (and the connection options of --help) name that login.`,
    'It prints the plan on stderr and, once applied, the environment to run the server as the new user on stdout',
    '(the password is shown this once and written nowhere else).',
    '',
    '  --name <user>              The user to create or update (required).',
    '  --vhosts, --queues         The scope, as for the server; the user gets permissions in the vhosts that match now.',
    '  --allow-write, --allow-destructive',
    '                             The safety level, as for the server (read-only without either).',
    '  --default-exchange         Under --queues, also allow publishing through the default exchange (publish_messages',
    '                             to a queue by name, move_messages): the broker then lets it reach every queue by name.',
    '  --dry-run                  Show the plan and what would change; change nothing.',
    '  --yes                      Update an existing user without asking.',
    '  --reset-password           Give an existing user a new password (printed once).',
    '  --help, -h                 Show this help.',
  ].join('\n')}\n`;
}

/** Parses the arguments after `create-user`. Throws ConfigError on bad input. */
export function parseCreateUser(argv: readonly string[], env: NodeJS.ProcessEnv): CreateUserCommand {
  const rest: string[] = [];
  const flags = { yes: false, dryRun: false, resetPassword: false, defaultExchange: false };
  let name: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] as string;
    if (token === '--help' || token === '-h') return { kind: 'help' };
    const known = (Object.entries(SWITCHES) as [keyof typeof flags, string][]).find(([, flag]) => flag === token);
    if (known) {
      flags[known[0]] = true;
      continue;
    }
    if (token === '--name' || token.startsWith('--name=')) {
      name = token.startsWith('--name=') ? token.slice('--name='.length) : argv[++index];
      if (name === undefined || name.startsWith('--'))
        throw new ConfigError('--name needs a value: the user to create (e.g. --name mcp-prod)');
      continue;
    }
    rest.push(token);
  }
  if (name === undefined)
    throw new ConfigError(`${CREATE_USER} needs --name <user>: the broker user to create (see ${CREATE_USER} --help)`);
  if (name.trim() === '' || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new ConfigError(`--name "${name}" is not a usable user name: use letters, digits and punctuation, no control characters`);
  }
  // The administrator's default vhost need not be in the new user's scope.
  const command = loadConfig(rest, env, { vhostInScope: false });
  if (command.kind === 'help') return { kind: 'help' };
  if (command.kind !== 'run')
    throw new ConfigError(`${command.kind === 'version' ? '--version' : '--health-check'} does not go with ${CREATE_USER}`);
  if (command.config.amqp.user === name) {
    throw new ConfigError(
      `--name ${name} is the administrator ${settings.amqpUser.env} logs in as: name another user (create-user would take its administrator tag away)`,
    );
  }
  return { kind: 'create-user', options: { name, ...flags, config: command.config } };
}
