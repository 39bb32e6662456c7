import { isIPv4 } from 'node:net';
import { NamePatterns } from '../broker/scope.js';
import type { ToolGroup } from '../tools/groups.js';
import { InvalidValue } from './setting-parsers.js';
import { type LogLevel, type Setting, type SettingKey, type SettingValues, settings } from './settings.js';

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
  /** Undefined means every group. */
  tools?: ToolGroup[];
  /** --output-schemas: advertise outputSchema where a tool has one. */
  outputSchemas: boolean;
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
  const values: SettingValues = {};
  const sources = new Map<SettingKey, string>();
  for (const [key, definition] of settingEntries) {
    const envValue = env[definition.env];
    const given =
      fromArgv.raw.get(key) ?? (envValue !== undefined && envValue !== '' ? { raw: envValue, source: definition.env } : undefined);
    if (given === undefined) continue;
    try {
      (values as Record<string, unknown>)[key] = definition.parse(given.raw);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      const shown = definition.secret ? '' : ` "${given.raw.length > 80 ? `${given.raw.slice(0, 80)}…` : given.raw}"`;
      throw new ConfigError(`${given.source}${shown} is not valid: ${error.message}`);
    }
    sources.set(key, given.source);
  }
  return { values, sources, healthCheck: fromArgv.healthCheck } as const;
}

function tlsFiles(
  prefix: 'AMQP' | 'HTTP',
  enabled: boolean | undefined,
  files: { ca?: string; cert?: string; key?: string; verify?: boolean },
): TlsFiles | null {
  const named = (['ca', 'cert', 'key'] as const).filter((part) => files[part] !== undefined);
  if (!enabled) {
    if (named.length > 0 || files.verify !== undefined) {
      const first = named[0] ? `${prefix}_TLS_${named[0].toUpperCase()}` : `${prefix}_TLS_VERIFY`;
      throw new ConfigError(`${first} is set but ${prefix}_USE_TLS is false: set ${prefix}_USE_TLS=true or remove it`);
    }
    return null;
  }
  if ((files.cert === undefined) !== (files.key === undefined)) {
    const missing = files.cert === undefined ? 'CERT' : 'KEY';
    throw new ConfigError(`${prefix}_TLS_${missing} is missing: a client certificate needs both ${prefix}_TLS_CERT and ${prefix}_TLS_KEY`);
  }
  return { ca: files.ca, cert: files.cert, key: files.key, verify: files.verify ?? true };
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
      `${v.tlsCert === undefined ? 'MCP_TLS_CERT (--tls-cert)' : 'MCP_TLS_KEY (--tls-key)'} is missing: HTTPS needs both a certificate and its key`,
    );
  }
  const host = v.listenHost ?? '127.0.0.1';
  const allowedHosts = v.allowedHosts ?? (isLoopback(host) ? [...new Set([...LOOPBACK_NAMES, host])] : null);
  return {
    host,
    port: v.listenPort ?? 8000,
    authTokens: v.authToken ?? [],
    corsOrigins: v.corsOrigins ?? [],
    allowedHosts: allowedHosts?.map((name) => name.toLowerCase()) ?? null,
    tls: v.tlsCert && v.tlsKey ? { cert: v.tlsCert, key: v.tlsKey } : null,
    rateLimitRpm: v.rateLimitRpm ?? 100,
    trustedProxies: v.trustedProxies ?? [],
    maxBodyBytes: v.maxBodyBytes ?? 8 * 1024 * 1024,
    exitOnStdinClose: v.exitOnStdinClose ?? false,
  };
}

function normalizeBasePath(path: string | undefined): string {
  if (path === undefined) return '';
  const trimmed = path.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Parses argv (without node and script) and the environment. Throws ConfigError on bad input. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  const parsed = parseAll(argv, env);
  if ('command' in parsed && parsed.command) return { kind: parsed.command };
  const v = parsed.values as SettingValues;

  const amqpTls = tlsFiles('AMQP', v.amqpUseTls, { ca: v.amqpTlsCa, cert: v.amqpTlsCert, key: v.amqpTlsKey, verify: v.amqpTlsVerify });
  const httpTls = tlsFiles('HTTP', v.httpUseTls, { ca: v.httpTlsCa, cert: v.httpTlsCert, key: v.httpTlsKey, verify: v.httpTlsVerify });
  const user = v.amqpUser ?? 'guest';
  const password = v.amqpPassword ?? 'guest';
  const amqpHost = v.amqpHost ?? 'localhost';
  const vhost = v.amqpVhost ?? '/';
  if (v.tools !== undefined && v.tools.length === 0)
    throw new ConfigError(`MCP_TOOLS (--tools) is empty: name at least one group, or leave it unset for all`);
  if (v.vhosts && !new NamePatterns(v.vhosts).matches(vhost)) {
    throw new ConfigError(
      `AMQP_VHOST '${vhost}' is outside MCP_VHOSTS (--vhosts ${v.vhosts.join(',')}): pick a vhost in scope or widen the scope`,
    );
  }

  return {
    kind: parsed.healthCheck ? 'health-check' : 'run',
    config: {
      transport: v.transport ?? 'stdio',
      http: httpTransport(v),
      logDir: v.logDir,
      logRetentionDays: v.logRetentionDays ?? 30,
      telemetry: v.otelEndpoint ? { endpoint: v.otelEndpoint, serviceName: v.otelServiceName ?? 'rabbitmq-mcp-server' } : null,
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
      logLevel: v.logLevel ?? 'info',
      connectionPoolSize: v.connectionPoolSize ?? 5,
      requestTimeoutMs: Math.round((v.requestTimeout ?? 30) * 1000),
      tools: v.tools ? [...new Set(v.tools)] : undefined,
      outputSchemas: v.outputSchemas ?? false,
      scope: { vhosts: v.vhosts ?? [], queues: v.queues ?? [] },
    },
  };
}
