import type { ApprovalPolicy } from '../mcp/app-approval.js';
import { isIPv4 } from 'node:net';
import { NamePatterns } from './name-patterns.js';
import { type ToolGroup, resolveToolGroups } from './tool-groups.js';
import { InvalidValue } from './setting-parsers.js';
import { type LogLevel, type Setting, type SettingKey, type SettingValues, TLS_SETTINGS, settings } from './settings.js';

export type SafetyLevel = 'read-only' | 'write' | 'destructive';

/** File paths, read when the connection is made. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  verify: boolean;
}

export interface BrokerEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Null when the endpoint is plain TCP / HTTP. */
  tls: TlsFiles | null;
}

export interface HttpTransportConfig {
  host: string;
  port: number;
  /** Accepted bearer tokens; empty means no authentication. Each token is a client for rate limits. */
  authTokens: string[];
  corsOrigins: string[];
  /** Accepted Host header names; null turns the check off (a wildcard bind without a list). */
  allowedHosts: string[] | null;
  tls: { cert: string; key: string } | null;
  /** 0 means no limit. */
  rateLimitRpm: number;
  trustedProxies: string[];
  maxBodyBytes: number;
  exitOnStdinClose: boolean;
}

export interface TelemetryConfig {
  endpoint: string;
  serviceName: string;
}

export interface ServerConfig {
  transport: 'stdio' | 'http';
  http: HttpTransportConfig;
  logDir?: string;
  logRetentionDays: number;
  telemetry: TelemetryConfig | null;
  safety: SafetyLevel;
  amqp: BrokerEndpoint & { vhost: string };
  management: BrokerEndpoint & { basePath: string };
  logLevel: LogLevel;
  connectionPoolSize: number;
  requestTimeoutMs: number;
  /** The tool groups offered from the start: --tools resolved (all, default), else the default groups. */
  tools: ToolGroup[];
  /** --output-schemas: advertise outputSchema where a tool has one. */
  outputSchemas: boolean;
  /** MCP_REQUEST_STATE_KEY: signs a 2026 client's confirmation rounds; undefined for a random key per process. */
  requestStateKey?: string;
  /** MCP_REDIS_URL: the state instances share; undefined when each is on its own. */
  redisUrl?: string;
  /** MCP_APP_APPROVAL: which calls wait for a person in the desktop app that runs this server. */
  appApproval: ApprovalPolicy;
  /** --vhosts and --queues patterns; empty means everything. */
  scope: { vhosts: string[]; queues: string[] };
}

export type CliCommand =
  | { kind: 'run'; config: ServerConfig }
  /** --health-check: ask the HTTP server this configuration describes whether it is healthy. */
  | { kind: 'health-check'; config: ServerConfig }
  | { kind: 'help' }
  | { kind: 'version' };

/** A bad setting: the message is one line naming the setting and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface RawValue {
  raw: string;
  /** How the user spelled it: `--amqp-port` or `AMQP_PORT`. */
  source: string;
}

const settingEntries = Object.entries(settings) as [SettingKey, Setting][];
const byFlag = new Map(settingEntries.filter(([, s]) => s.flag).map(([key, s]) => [s.flag as string, key]));

function readArgv(argv: readonly string[]): { raw: Map<SettingKey, RawValue>; command?: 'help' | 'version'; healthCheck: boolean } {
  const raw = new Map<SettingKey, RawValue>();
  let healthCheck = false;
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] as string;
    if (token === '--help' || token === '-h') return { raw, command: 'help', healthCheck };
    if (token === '--version' || token === '-v') return { raw, command: 'version', healthCheck };
    if (token === '--health-check') {
      healthCheck = true;
      continue;
    }
    if (!token.startsWith('--')) {
      throw new ConfigError(`unexpected argument "${token}": options start with -- (see --help)`);
    }
    const equals = token.indexOf('=');
    const name = token.slice(2, equals === -1 ? undefined : equals);
    const key = byFlag.get(name);
    if (key === undefined) throw new ConfigError(`unknown option --${name} (see --help for the list)`);
    const definition = settings[key] as Setting;
    let value: string | undefined;
    if (equals !== -1) value = token.slice(equals + 1);
    else if (definition.switch) value = 'true';
    else {
      value = argv[index + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new ConfigError(`--${name} needs a value (${definition.help})`);
      }
      index++;
    }
    raw.set(key, { raw: value, source: `--${name}` });
  }
  return { raw, healthCheck };
}

function parseAll(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const fromArgv = readArgv(argv);
  if (fromArgv.command) return { command: fromArgv.command } as const;
  const values: Partial<Record<SettingKey, unknown>> = {};
  const given = new Set<SettingKey>();
  for (const [key, definition] of settingEntries) {
    const envValue = env[definition.env];
    const raw =
      fromArgv.raw.get(key) ?? (envValue !== undefined && envValue !== '' ? { raw: envValue, source: definition.env } : undefined);
    if (raw === undefined) {
      // A copy: a list default ([]) must not be shared between configurations, nor with the table.
      values[key] = structuredClone(definition.default);
      continue;
    }
    try {
      values[key] = definition.parse(raw.raw);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      const shown = definition.secret ? '' : ` "${raw.raw.length > 80 ? `${raw.raw.slice(0, 80)}…` : raw.raw}"`;
      throw new ConfigError(`${raw.source}${shown} is not valid: ${error.message}`);
    }
    given.add(key);
  }
  // Each value came from its own setting's parser or default, so the record has the table's types.
  return { values: values as SettingValues, given, healthCheck: fromArgv.healthCheck } as const;
}

/** How a message names a setting: its env var, and its flag where it has one (`MCP_TOOLS (--tools)`). */
function named(key: SettingKey): string {
  const { env, flag } = settings[key] as Setting;
  return flag ? `${env} (--${flag})` : env;
}

function tlsFiles(which: keyof typeof TLS_SETTINGS, v: SettingValues, given: ReadonlySet<SettingKey>): TlsFiles | null {
  const keys = TLS_SETTINGS[which];
  const env = (part: keyof typeof keys) => settings[keys[part]].env;
  const set = (['ca', 'cert', 'key', 'verify'] as const).filter((part) => given.has(keys[part]));
  if (!v[keys.enabled]) {
    if (set[0] !== undefined) {
      throw new ConfigError(`${env(set[0])} is set but ${env('enabled')} is false: set ${env('enabled')}=true or remove it`);
    }
    return null;
  }
  const cert = v[keys.cert];
  const key = v[keys.key];
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      `${env(cert === undefined ? 'cert' : 'key')} is missing: a client certificate needs both ${env('cert')} and ${env('key')}`,
    );
  }
  return { ca: v[keys.ca], cert, key, verify: v[keys.verify] };
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/**
 * Whether a host is this machine's loopback: localhost, ::1, or an IPv4 address in 127.0.0.0/8,
 * compared whole (127.0.0.1.attacker.example is not loopback).
 */
export function isLoopback(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIPv4(bare) && bare.startsWith('127.');
}

function httpTransport(v: SettingValues): HttpTransportConfig {
  if ((v.tlsCert === undefined) !== (v.tlsKey === undefined)) {
    throw new ConfigError(
      `${named(v.tlsCert === undefined ? 'tlsCert' : 'tlsKey')} is missing: HTTPS needs both a certificate and its key`,
    );
  }
  const host = v.listenHost;
  if (v.transport === 'http' && !isLoopback(host) && v.authToken.length === 0 && !v.allowUnauthenticated) {
    throw new ConfigError(
      `${named('listenHost')} ${host} is reachable from other machines and ${named('authToken')} is not set: anyone who can reach the port would use the broker through this server. Set ${named('authToken')} (generate one with: openssl rand -hex 32), listen on 127.0.0.1, or set ${named('allowUnauthenticated')} if a proxy in front authenticates every request`,
    );
  }
  const allowedHosts = v.allowedHosts ?? (isLoopback(host) ? [...new Set([...LOOPBACK_NAMES, host])] : null);
  return {
    host,
    port: v.listenPort,
    authTokens: v.authToken,
    corsOrigins: v.corsOrigins,
    allowedHosts: allowedHosts?.map((name) => name.toLowerCase()) ?? null,
    tls: v.tlsCert && v.tlsKey ? { cert: v.tlsCert, key: v.tlsKey } : null,
    rateLimitRpm: v.rateLimitRpm,
    trustedProxies: v.trustedProxies,
    maxBodyBytes: v.maxBodyBytes,
    exitOnStdinClose: v.exitOnStdinClose,
  };
}

function normalizeBasePath(path: string | undefined): string {
  if (path === undefined) return '';
  const trimmed = path.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/**
 * Parses argv (without node and script) and the environment. Throws ConfigError on bad input.
 * `vhostInScope: false` skips the check that AMQP_VHOST is inside --vhosts, for a command that
 * logs in as someone else than the server it prepares (create-user).
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv, options: { vhostInScope?: boolean } = {}): CliCommand {
  const parsed = parseAll(argv, env);
  if ('command' in parsed && parsed.command) return { kind: parsed.command };
  const { values: v, given } = parsed;

  const amqpTls = tlsFiles('amqp', v, given);
  const httpTls = tlsFiles('http', v, given);
  const user = v.amqpUser;
  const password = v.amqpPassword;
  const amqpHost = v.amqpHost;
  const vhost = v.amqpVhost;
  if (v.tools !== undefined && v.tools.length === 0)
    throw new ConfigError(`${named('tools')} is empty: name at least one group (or all), or leave it unset for the default ones`);
  if (options.vhostInScope !== false && !new NamePatterns(v.vhosts).matches(vhost)) {
    throw new ConfigError(
      `${settings.amqpVhost.env} '${vhost}' is outside ${settings.vhosts.env} (--${settings.vhosts.flag} ${v.vhosts.join(',')}): pick a vhost in scope or widen the scope`,
    );
  }

  return {
    kind: parsed.healthCheck ? 'health-check' : 'run',
    config: {
      transport: v.transport,
      http: httpTransport(v),
      logDir: v.logDir,
      logRetentionDays: v.logRetentionDays,
      telemetry: v.otelEndpoint ? { endpoint: v.otelEndpoint, serviceName: v.otelServiceName } : null,
      safety: v.allowDestructive ? 'destructive' : v.allowWrite ? 'write' : 'read-only',
      amqp: {
        host: amqpHost,
        port: v.amqpPort ?? (amqpTls ? 5671 : 5672),
        user,
        password,
        vhost,
        tls: amqpTls,
      },
      management: {
        host: v.httpHost ?? amqpHost,
        port: v.httpPort ?? (httpTls ? 15671 : 15672),
        basePath: normalizeBasePath(v.httpBasePath),
        user,
        password,
        tls: httpTls,
      },
      logLevel: v.logLevel,
      connectionPoolSize: v.connectionPoolSize,
      requestTimeoutMs: Math.round(v.requestTimeout * 1000),
      tools: resolveToolGroups(v.tools ?? ['default']),
      outputSchemas: v.outputSchemas,
      appApproval: v.appApproval,
      requestStateKey: v.requestStateKey,
      redisUrl: v.redisUrl,
      scope: { vhosts: v.vhosts, queues: v.queues },
    },
  };
}
