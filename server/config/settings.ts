import { APPROVAL_POLICIES } from '../mcp/app-approval.js';
import { DEFAULT_TOOL_GROUPS, TOOL_GROUPS, TOOL_GROUP_KEYWORDS } from './tool-groups.js';
import * as parse from './setting-parsers.js';

/**
 * Every setting the server reads, in one table: the environment variable, the CLI flag, the
 * parser, the default and the line shown in --help and the README. Flags win over env vars.
 */
export interface Setting<T = unknown> {
  env: string;
  /** Without the leading dashes. Secrets have no flag: a flag would show in process lists. */
  flag?: string;
  parse: parse.Parser<T>;
  /**
   * The value when the setting is not given, where it is one fixed value; settings whose default
   * depends on others (AMQP_PORT on AMQP_USE_TLS) have none and load-config works it out.
   */
  default?: NoInfer<T>;
  /** Shown in --help and the README; a test holds it to `default` where there is one. */
  defaultText: string;
  help: string;
  secret?: boolean;
  /** A flag that takes no value (`--allow-write`), though `--allow-write=false` also works. */
  switch?: boolean;
  section: 'Server' | 'HTTP transport' | 'AMQP' | 'Management API' | 'Safety' | 'Operations';
}

function setting<T>(definition: Setting<T> & { default: NoInfer<T> }): Setting<T> & { default: T };
function setting<T>(definition: Setting<T>): Setting<T>;
function setting<T>(definition: Setting<T>): Setting<T> {
  return definition;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const settings = {
  transport: setting({
    section: 'Server',
    env: 'MCP_TRANSPORT',
    flag: 'transport',
    parse: parse.oneOf(['stdio', 'http'] as const),
    default: 'stdio',
    defaultText: 'stdio',
    help: 'How AI clients talk to the server: stdio (launched by the client) or http.',
  }),
  listenHost: setting({
    section: 'HTTP transport',
    env: 'MCP_HTTP_HOST',
    flag: 'host',
    parse: parse.hostname,
    default: '127.0.0.1',
    defaultText: '127.0.0.1',
    help: 'Address the HTTP transport listens on; 0.0.0.0 or :: exposes it to the network (set MCP_AUTH_TOKEN).',
  }),
  listenPort: setting({
    section: 'HTTP transport',
    env: 'MCP_HTTP_PORT',
    flag: 'port',
    parse: parse.port,
    default: 8000,
    defaultText: '8000',
    help: 'Port of the HTTP transport; MCP is served at /mcp and health at /mcp/health.',
  }),
  authToken: setting({
    section: 'HTTP transport',
    env: 'MCP_AUTH_TOKEN',
    parse: parse.list(parse.secretText(16, 'generate one with: openssl rand -hex 32')),
    default: [],
    defaultText: 'none',
    secret: true,
    help: 'Bearer token(s) HTTP requests must carry (Authorization: Bearer …); comma-separate several to tell clients apart or rotate. Environment only.',
  }),
  requestStateKey: setting({
    section: 'HTTP transport',
    env: 'MCP_REQUEST_STATE_KEY',
    parse: parse.secretText(32, 'generate one with: openssl rand -hex 32'),
    defaultText: 'random per process',
    secret: true,
    help: 'Signs the state a 2026-07-28 client carries between the rounds of a confirmation; give every instance behind a load balancer the same one. Environment only.',
  }),
  allowUnauthenticated: setting({
    section: 'HTTP transport',
    env: 'MCP_ALLOW_UNAUTHENTICATED',
    flag: 'allow-unauthenticated',
    switch: true,
    parse: parse.boolean,
    default: false,
    defaultText: 'false',
    help: 'Serve HTTP on an address other than loopback without MCP_AUTH_TOKEN (only when something in front authenticates every request); without it such a server refuses to start.',
  }),
  redisUrl: setting({
    section: 'HTTP transport',
    env: 'MCP_REDIS_URL',
    flag: 'redis-url',
    parse: parse.redisUrl,
    defaultText: 'none (each instance on its own)',
    help: 'Redis that instances behind a load balancer share (redis://host:6379, rediss:// for TLS): a confirmation used on one is refused on every other. Put a password in the environment, not the flag.',
  }),
  corsOrigins: setting({
    section: 'HTTP transport',
    env: 'MCP_CORS_ORIGINS',
    flag: 'cors-origins',
    parse: parse.list(parse.origin),
    default: [],
    defaultText: 'none',
    help: 'Comma-separated browser origins allowed to call the server (CORS); others get 403.',
  }),
  allowedHosts: setting({
    section: 'HTTP transport',
    env: 'MCP_ALLOWED_HOSTS',
    flag: 'allowed-hosts',
    parse: parse.list(parse.hostname),
    defaultText: 'loopback names when bound to loopback',
    help: 'Comma-separated Host header values accepted (DNS-rebinding protection); others get 403.',
  }),
  tlsCert: setting({
    section: 'HTTP transport',
    env: 'MCP_TLS_CERT',
    flag: 'tls-cert',
    parse: parse.readableFile,
    defaultText: 'none',
    help: 'PEM certificate: serve HTTPS (with MCP_TLS_KEY).',
  }),
  tlsKey: setting({
    section: 'HTTP transport',
    env: 'MCP_TLS_KEY',
    flag: 'tls-key',
    parse: parse.readableFile,
    defaultText: 'none',
    help: 'PEM private key of that certificate.',
  }),
  rateLimitRpm: setting({
    section: 'HTTP transport',
    env: 'RATE_LIMIT_RPM',
    flag: 'rate-limit-rpm',
    parse: parse.integer(0, 1_000_000),
    default: 100,
    defaultText: '100',
    help: 'Requests per minute per client (its token, else its address); 0 turns the limit off.',
  }),
  trustedProxies: setting({
    section: 'HTTP transport',
    env: 'TRUSTED_PROXIES',
    flag: 'trusted-proxies',
    parse: parse.list(parse.addressOrRange),
    default: [],
    defaultText: 'none',
    help: 'Comma-separated proxy addresses or CIDR ranges whose X-Forwarded-For is believed.',
  }),
  maxBodyBytes: setting({
    section: 'HTTP transport',
    env: 'MCP_MAX_BODY_BYTES',
    flag: 'max-body-bytes',
    parse: parse.integer(1024, 256 * 1024 * 1024),
    default: 8 * 1024 * 1024,
    defaultText: '8388608 (8 MiB)',
    help: 'Largest request body accepted; bigger ones get 413.',
  }),
  exitOnStdinClose: setting({
    section: 'HTTP transport',
    env: 'MCP_EXIT_ON_STDIN_CLOSE',
    flag: 'exit-on-stdin-close',
    switch: true,
    parse: parse.boolean,
    default: false,
    defaultText: 'false',
    help: 'HTTP transport: exit when stdin closes, so a supervising app never leaves this server behind.',
  }),
  allowWrite: setting({
    section: 'Safety',
    env: 'MCP_ALLOW_WRITE',
    flag: 'allow-write',
    switch: true,
    parse: parse.boolean,
    default: false,
    defaultText: 'false',
    help: 'Unlock tools that create objects and publish messages.',
  }),
  allowDestructive: setting({
    section: 'Safety',
    env: 'MCP_ALLOW_DESTRUCTIVE',
    flag: 'allow-destructive',
    switch: true,
    parse: parse.boolean,
    default: false,
    defaultText: 'false',
    help: 'Unlock delete, purge, close and consume (implies --allow-write); each after a dry run and a confirmation (see Confirmations).',
  }),
  appApproval: setting({
    section: 'Safety',
    env: 'MCP_APP_APPROVAL',
    parse: parse.oneOf(APPROVAL_POLICIES),
    default: 'none',
    defaultText: 'none',
    help: 'Set by the desktop app for the server it runs: which calls wait for a person to approve them in the app (destructive or every-change). Without the app such calls are refused.',
  }),
  tools: setting({
    section: 'Safety',
    env: 'MCP_TOOLS',
    flag: 'tools',
    parse: parse.list(parse.oneOf([...TOOL_GROUPS, ...TOOL_GROUP_KEYWORDS])),
    defaultText: `default (${DEFAULT_TOOL_GROUPS.join(', ')})`,
    help: `Tool groups (toolsets) to offer, comma-separated: ${TOOL_GROUPS.join(', ')}; all for every one, default for the default ones (default,exchanges). Over stdio, enable_toolset turns on others at run time.`,
  }),
  outputSchemas: setting({
    section: 'Server',
    env: 'MCP_OUTPUT_SCHEMAS',
    flag: 'output-schemas',
    switch: true,
    parse: parse.boolean,
    default: false,
    defaultText: 'false',
    help: 'Advertise the outputSchema of the tools that return structured results (lists, problems, overview), and return those results (structuredContent) beside the text; without it, the text alone. Costs tools/list bytes.',
  }),
  vhosts: setting({
    section: 'Safety',
    env: 'MCP_VHOSTS',
    flag: 'vhosts',
    parse: parse.list(parse.scopePattern),
    default: [],
    defaultText: 'all',
    help: 'Vhosts this server may see and touch: comma-separated globs, !glob denies (prod-*,!prod-billing). Enforced in every tool.',
  }),
  queues: setting({
    section: 'Safety',
    env: 'MCP_QUEUES',
    flag: 'queues',
    parse: parse.list(parse.scopePattern),
    default: [],
    defaultText: 'all',
    help: 'Queues this server may see and touch, the same way (orders.*,!*.audit). Others are invisible and refused.',
  }),
  amqpHost: setting({
    section: 'AMQP',
    env: 'AMQP_HOST',
    flag: 'amqp-host',
    parse: parse.hostname,
    default: 'localhost',
    defaultText: 'localhost',
    help: 'Broker host for AMQP 0-9-1 connections.',
  }),
  amqpPort: setting({
    section: 'AMQP',
    env: 'AMQP_PORT',
    flag: 'amqp-port',
    parse: parse.port,
    defaultText: '5672 (5671 with TLS)',
    help: 'Broker AMQP port.',
  }),
  amqpUser: setting({
    section: 'AMQP',
    env: 'AMQP_USER',
    flag: 'amqp-user',
    parse: parse.nonEmptyText,
    default: 'guest',
    defaultText: 'guest',
    help: 'User for AMQP and the management API.',
  }),
  amqpPassword: setting({
    section: 'AMQP',
    env: 'AMQP_PASSWORD',
    parse: parse.text,
    default: 'guest',
    defaultText: 'guest',
    secret: true,
    help: 'Password of that user (environment only, never logged or shown).',
  }),
  amqpVhost: setting({
    section: 'AMQP',
    env: 'AMQP_VHOST',
    flag: 'amqp-vhost',
    parse: parse.nonEmptyText,
    default: '/',
    defaultText: '/',
    help: 'Virtual host used when a tool call names none.',
  }),
  amqpUseTls: setting({
    section: 'AMQP',
    env: 'AMQP_USE_TLS',
    flag: 'amqp-use-tls',
    switch: true,
    parse: parse.boolean,
    default: false,
    defaultText: 'false',
    help: 'Connect with AMQPS.',
  }),
  amqpTlsCa: setting({
    section: 'AMQP',
    env: 'AMQP_TLS_CA',
    flag: 'amqp-tls-ca',
    parse: parse.readableFile,
    defaultText: 'system CAs',
    help: 'PEM file of the CA that signed the broker certificate.',
  }),
  amqpTlsCert: setting({
    section: 'AMQP',
    env: 'AMQP_TLS_CERT',
    flag: 'amqp-tls-cert',
    parse: parse.readableFile,
    defaultText: 'none',
    help: 'PEM client certificate for mutual TLS (with AMQP_TLS_KEY).',
  }),
  amqpTlsKey: setting({
    section: 'AMQP',
    env: 'AMQP_TLS_KEY',
    flag: 'amqp-tls-key',
    parse: parse.readableFile,
    defaultText: 'none',
    help: 'PEM private key of the client certificate.',
  }),
  amqpTlsVerify: setting({
    section: 'AMQP',
    env: 'AMQP_TLS_VERIFY',
    flag: 'amqp-tls-verify',
    parse: parse.boolean,
    default: true,
    defaultText: 'true',
    help: 'Verify the broker certificate and host name.',
  }),
  httpHost: setting({
    section: 'Management API',
    env: 'HTTP_HOST',
    flag: 'http-host',
    parse: parse.hostname,
    defaultText: 'AMQP_HOST',
    help: 'Management API host.',
  }),
  httpPort: setting({
    section: 'Management API',
    env: 'HTTP_PORT',
    flag: 'http-port',
    parse: parse.port,
    defaultText: '15672 (15671 with TLS)',
    help: 'Management API port.',
  }),
  httpBasePath: setting({
    section: 'Management API',
    env: 'HTTP_BASE_PATH',
    flag: 'http-base-path',
    parse: parse.text,
    defaultText: 'none',
    help: 'Path prefix when the broker sets management.path_prefix (e.g. /rabbitmq).',
  }),
  httpUseTls: setting({
    section: 'Management API',
    env: 'HTTP_USE_TLS',
    flag: 'http-use-tls',
    switch: true,
    parse: parse.boolean,
    default: false,
    defaultText: 'false',
    help: 'Use HTTPS for the management API.',
  }),
  httpTlsCa: setting({
    section: 'Management API',
    env: 'HTTP_TLS_CA',
    flag: 'http-tls-ca',
    parse: parse.readableFile,
    defaultText: 'system CAs',
    help: 'PEM file of the CA that signed the management certificate.',
  }),
  httpTlsCert: setting({
    section: 'Management API',
    env: 'HTTP_TLS_CERT',
    flag: 'http-tls-cert',
    parse: parse.readableFile,
    defaultText: 'none',
    help: 'PEM client certificate for the management API (with HTTP_TLS_KEY).',
  }),
  httpTlsKey: setting({
    section: 'Management API',
    env: 'HTTP_TLS_KEY',
    flag: 'http-tls-key',
    parse: parse.readableFile,
    defaultText: 'none',
    help: 'PEM private key of that client certificate.',
  }),
  httpTlsVerify: setting({
    section: 'Management API',
    env: 'HTTP_TLS_VERIFY',
    flag: 'http-tls-verify',
    parse: parse.boolean,
    default: true,
    defaultText: 'true',
    help: 'Verify the management API certificate and host name.',
  }),
  logLevel: setting({
    section: 'Operations',
    env: 'LOG_LEVEL',
    flag: 'log-level',
    parse: parse.oneOf(LOG_LEVELS, { warning: 'warn', critical: 'error', fatal: 'error', trace: 'debug' }),
    default: 'info',
    defaultText: 'info',
    help: 'debug, info, warn, error or silent (case-insensitive; WARNING is warn).',
  }),
  logDir: setting({
    section: 'Operations',
    env: 'LOG_DIR',
    flag: 'log-dir',
    parse: parse.directory,
    defaultText: 'none (stderr only)',
    help: 'Also write JSON logs to this folder, one file per day.',
  }),
  logRetentionDays: setting({
    section: 'Operations',
    env: 'LOG_RETENTION_DAYS',
    flag: 'log-retention-days',
    parse: parse.integer(1, 3650),
    default: 30,
    defaultText: '30',
    help: 'Days of log files kept in LOG_DIR; older ones are deleted.',
  }),
  otelEndpoint: setting({
    section: 'Operations',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    parse: parse.url,
    defaultText: 'none (telemetry off)',
    help: 'OTLP/HTTP collector base URL (e.g. http://collector:4318): traces and metrics are sent there.',
  }),
  otelServiceName: setting({
    section: 'Operations',
    env: 'OTEL_SERVICE_NAME',
    parse: parse.nonEmptyText,
    default: 'rabbitmq-mcp-server',
    defaultText: 'rabbitmq-mcp-server',
    help: 'service.name of the telemetry.',
  }),
  connectionPoolSize: setting({
    section: 'Operations',
    env: 'CONNECTION_POOL_SIZE',
    flag: 'connection-pool-size',
    parse: parse.integer(1, 64),
    default: 5,
    defaultText: '5',
    help: 'AMQP channels kept open on the one broker connection.',
  }),
  requestTimeout: setting({
    section: 'Operations',
    env: 'REQUEST_TIMEOUT',
    flag: 'request-timeout',
    parse: parse.decimal(0.1, 600, 'seconds'),
    default: 30,
    defaultText: '30',
    help: 'Seconds before a broker request (management API or AMQP) is abandoned.',
  }),
} satisfies Record<string, Setting<unknown>>;

export type SettingKey = keyof typeof settings;
type ValueOf<K extends SettingKey> = (typeof settings)[K] extends Setting<infer T> ? T : never;
type WithDefault = { [K in SettingKey]: (typeof settings)[K] extends { default: unknown } ? K : never }[SettingKey];

/** The settings as given (flag or env var), with the fixed defaults filled in. */
export type SettingValues = { [K in WithDefault]: ValueOf<K> } & { [K in Exclude<SettingKey, WithDefault>]?: ValueOf<K> };

/** The TLS settings of each connection, by part, for code that handles both alike. */
export const TLS_SETTINGS = {
  amqp: { enabled: 'amqpUseTls', ca: 'amqpTlsCa', cert: 'amqpTlsCert', key: 'amqpTlsKey', verify: 'amqpTlsVerify' },
  http: { enabled: 'httpUseTls', ca: 'httpTlsCa', cert: 'httpTlsCert', key: 'httpTlsKey', verify: 'httpTlsVerify' },
} as const satisfies Record<string, Record<'enabled' | 'ca' | 'cert' | 'key' | 'verify', SettingKey>>;

/**
 * Setting values as the environment variables a server reads them from, for a process that
 * starts one (`{ amqpPort: '5672' }` → `{ AMQP_PORT: '5672' }`). Unset values are left out.
 */
export function settingsEnvironment(values: { [K in SettingKey]?: string | undefined }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) env[settings[key as SettingKey].env] = value;
  }
  return env;
}

/** What a server started with `env` reads for a setting, as text: the variable, else the fixed default. */
export function settingInEnvironment(env: Readonly<Record<string, string | undefined>>, key: SettingKey): string | undefined {
  const setting: Setting = settings[key];
  const value = env[setting.env];
  if (value !== undefined && value !== '') return value;
  return setting.default === undefined ? undefined : String(setting.default);
}
