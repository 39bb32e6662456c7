import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapFlagsToSet, nodeFlagsOf } from '../server/config/heap-policy.js';
import { ConfigError, loadConfig } from '../server/config/load-config.js';
import { settings } from '../server/config/settings.js';
import { DEFAULT_TOOL_GROUPS, TOOL_GROUPS } from '../server/config/tool-groups.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';

function run(argv: string[], env: Record<string, string> = {}) {
  const command = loadConfig(argv, env);
  if (command.kind !== 'run') throw new Error(`expected run, got ${command.kind}`);
  return command.config;
}

function failure(argv: string[], env: Record<string, string> = {}): string {
  try {
    loadConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const pem = join(mkdtempSync(join(tmpdir(), 'mcp-config-')), 'client.pem');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');

describe('defaults', () => {
  it("are RabbitMQ's own: localhost, 5672, 15672, guest/guest, vhost /, read-only, stdio", () => {
    const config = run([]);
    expect(config.transport).toBe('stdio');
    expect(config.safety).toBe('read-only');
    expect(config.amqp).toEqual({ host: 'localhost', port: 5672, user: 'guest', password: 'guest', vhost: '/', tls: null });
    expect(config.management).toEqual({ host: 'localhost', port: 15672, basePath: '', user: 'guest', password: 'guest', tls: null });
    expect(config.connectionPoolSize).toBe(5);
    expect(config.requestTimeoutMs).toBe(30_000);
    expect(config.logLevel).toBe('info');
  });

  it('move to the TLS ports when TLS is on', () => {
    const config = run(['--amqp-use-tls', '--http-use-tls']);
    expect(config.amqp.port).toBe(5671);
    expect(config.management.port).toBe(15671);
    expect(config.amqp.tls).toEqual({ ca: undefined, cert: undefined, key: undefined, verify: true });
  });

  it('are what --help and the README say they are', () => {
    const fixed = Object.entries(settings).filter(([, setting]) => 'default' in setting);
    expect(fixed.length).toBeGreaterThan(20);
    for (const [key, setting] of fixed) {
      const shown = setting.defaultText.split(' ')[0] as string;
      const expected = Array.isArray(setting.default) ? 'none' : String(setting.default);
      expect(shown === expected || (shown === 'all' && Array.isArray(setting.default)), `${key}: ${setting.defaultText}`).toBe(true);
    }
  });
});

describe('the HTTP transport settings', () => {
  it('default to a loopback bind with loopback Host names, no token, 100 requests per minute', () => {
    const { http, transport } = run(['--transport', 'http']);
    expect(transport).toBe('http');
    expect(http).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      authTokens: [],
      rateLimitRpm: 100,
      tls: null,
      corsOrigins: [],
      trustedProxies: [],
    });
    expect(http.allowedHosts).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '[::1]']));
  });

  it('read the seed flags and variables, with several tokens and origins', () => {
    const { http } = run(['--host', '0.0.0.0', '--port', '9000', '--cors-origins', 'https://a.example, https://b.example:8443'], {
      MCP_AUTH_TOKEN: 'first-token-abcdefgh,second-token-abcdefgh',
      TRUSTED_PROXIES: '10.0.0.0/8,::1',
    });
    expect(http).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      authTokens: ['first-token-abcdefgh', 'second-token-abcdefgh'],
      trustedProxies: ['10.0.0.0/8', '::1'],
    });
    expect(http.corsOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(http.allowedHosts).toBeNull();
  });
});

describe('the environment and flags', () => {
  it('read every seed variable', () => {
    const config = run([], {
      AMQP_HOST: 'rabbit.example.com',
      AMQP_PORT: '5673',
      AMQP_USER: 'admin',
      AMQP_PASSWORD: 's3cret',
      AMQP_VHOST: 'prod',
      HTTP_PORT: '15673',
      MCP_TRANSPORT: 'stdio',
      LOG_LEVEL: 'WARNING',
      CONNECTION_POOL_SIZE: '8',
      REQUEST_TIMEOUT: '2.5',
    });
    expect(config.amqp).toMatchObject({ host: 'rabbit.example.com', port: 5673, user: 'admin', password: 's3cret', vhost: 'prod' });
    expect(config.management).toMatchObject({ host: 'rabbit.example.com', port: 15673, user: 'admin' });
    expect(config.logLevel).toBe('warn');
    expect(config.connectionPoolSize).toBe(8);
    expect(config.requestTimeoutMs).toBe(2500);
  });

  it('let flags win over the environment, in both --flag value and --flag=value forms', () => {
    const config = run(['--amqp-port', '6000', '--amqp-host=flag-host'], { AMQP_PORT: '5000', AMQP_HOST: 'env-host' });
    expect(config.amqp.port).toBe(6000);
    expect(config.amqp.host).toBe('flag-host');
  });

  it('read safety switches, with destructive implying write', () => {
    expect(run(['--allow-write']).safety).toBe('write');
    expect(run(['--allow-destructive']).safety).toBe('destructive');
    expect(run([], { MCP_ALLOW_WRITE: 'true' }).safety).toBe('write');
    expect(run(['--allow-write=false'], { MCP_ALLOW_WRITE: 'yes' }).safety).toBe('read-only');
  });

  it('normalize the management path prefix', () => {
    expect(run(['--http-base-path', 'rabbitmq/']).management.basePath).toBe('/rabbitmq');
  });
});

describe('tool groups and scope', () => {
  it('offer the default groups and everything in scope by default', () => {
    expect(run([])).toMatchObject({ tools: ['health', 'vhosts', 'queues', 'messages'], scope: { vhosts: [], queues: [] } });
    expect(run([]).tools).toEqual([...DEFAULT_TOOL_GROUPS]);
  });

  it('read groups and patterns from flags or the environment, each group once in the order of TOOL_GROUPS', () => {
    expect(run(['--tools', 'queues,messages,health,queues'])).toMatchObject({ tools: ['health', 'queues', 'messages'] });
    expect(
      run([], { MCP_TOOLS: 'admin', MCP_VHOSTS: 'prod-*, !prod-billing', MCP_QUEUES: '!*.audit', AMQP_VHOST: 'prod-eu' }),
    ).toMatchObject({
      tools: ['admin'],
      scope: { vhosts: ['prod-*', '!prod-billing'], queues: ['!*.audit'] },
    });
  });

  it.each([
    ['all', [...TOOL_GROUPS]],
    ['ALL', [...TOOL_GROUPS]],
    ['default', [...DEFAULT_TOOL_GROUPS]],
    ['default,exchanges', ['health', 'vhosts', 'queues', 'exchanges', 'messages']],
    ['api,default,queues', ['health', 'vhosts', 'queues', 'messages', 'api']],
    ['all,admin', [...TOOL_GROUPS]],
  ])('resolve --tools %s to the groups it stands for', (value, groups) => {
    expect(run(['--tools', value]).tools).toEqual(groups);
    expect(run([], { MCP_TOOLS: value }).tools).toEqual(groups);
  });
});

describe('a bad value', () => {
  it.each([
    [['--amqp-port', 'abc'], {}, '--amqp-port "abc" is not valid: expected a port number from 1 to 65535'],
    [[], { AMQP_PORT: '70000' }, 'AMQP_PORT "70000" is not valid: expected a port number from 1 to 65535'],
    [[], { MCP_TRANSPORT: 'carrier-pigeon' }, 'MCP_TRANSPORT "carrier-pigeon" is not valid: expected one of stdio, http'],
    [[], { CONNECTION_POOL_SIZE: '0' }, 'CONNECTION_POOL_SIZE "0" is not valid: expected an integer from 1 to 64'],
    [[], { REQUEST_TIMEOUT: 'soon' }, 'REQUEST_TIMEOUT "soon" is not valid: expected a number of seconds from 0.1 to 600'],
    [[], { LOG_LEVEL: 'loud' }, 'LOG_LEVEL "loud" is not valid: expected one of debug, info, warn, error, silent'],
    [[], { MCP_ALLOW_WRITE: 'maybe' }, 'MCP_ALLOW_WRITE "maybe" is not valid: expected true or false'],
    [
      [],
      { AMQP_USE_TLS: 'true', AMQP_TLS_KEY: '/no/such/key.pem' },
      'AMQP_TLS_KEY "/no/such/key.pem" is not valid: cannot read file /no/such/key.pem (no such file)',
    ],
    [['--amqp-host', 'amqp://user:pw@host'], {}, 'expected a host name or IP address (no scheme, path or credentials)'],
    [['--port', 'abc'], {}, '--port "abc" is not valid: expected a port number from 1 to 65535'],
    [
      [],
      { MCP_AUTH_TOKEN: 'short' },
      'MCP_AUTH_TOKEN is not valid: expected at least 16 characters (generate one with: openssl rand -hex 32)',
    ],
    [['--cors-origins', 'https://ok.example,not a url'], {}, 'is not an origin like https://app.example.com'],
    [['--cors-origins', 'https://app.example.com/path'], {}, '(scheme, host and port only)'],
    [
      [],
      { TRUSTED_PROXIES: '10.0.0.0/33' },
      'TRUSTED_PROXIES "10.0.0.0/33" is not valid: "10.0.0.0/33" is not an IP address or CIDR range',
    ],
    [[], { RATE_LIMIT_RPM: '-1' }, 'RATE_LIMIT_RPM "-1" is not valid: expected an integer from 0 to 1000000'],
    [
      [],
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT "collector:4318" is not valid: expected an http:// or https:// URL',
    ],
    [[], { LOG_RETENTION_DAYS: '0' }, 'LOG_RETENTION_DAYS "0" is not valid: expected an integer from 1 to 3650'],
    [['--tls-cert', pem], {}, 'MCP_TLS_KEY (--tls-key) is missing: HTTPS needs both a certificate and its key'],
    [
      ['--tools', 'queues,cats'],
      {},
      '--tools "queues,cats" is not valid: expected one of health, vhosts, queues, exchanges, messages, clients, admin, definitions, api, all, default',
    ],
    [[], { MCP_TOOLS: ' , ' }, 'MCP_TOOLS (--tools) is empty: name at least one group (or all), or leave it unset for the default ones'],
    [['--vhosts', 'prod,!'], {}, '--vhosts "prod,!" is not valid: "!" is empty: use a name or a glob like orders-*'],
    [['--queues', 'a!b'], {}, '--queues "a!b" is not valid: "a!b": only a leading ! (deny) is allowed'],
    [
      ['--vhosts', 'prod-*'],
      { AMQP_VHOST: 'staging' },
      "AMQP_VHOST 'staging' is outside MCP_VHOSTS (--vhosts prod-*): pick a vhost in scope or widen the scope",
    ],
    [['--nope'], {}, 'unknown option --nope (see --help for the list)'],
    [['stray'], {}, 'unexpected argument "stray"'],
    [['--amqp-port'], {}, '--amqp-port needs a value'],
  ])('%j %j fails with one line naming the setting', (argv, env, message) => {
    const text = failure(argv as string[], env as Record<string, string>);
    expect(text).toContain(message);
    expect(text).not.toContain('\n');
  });

  it('never echoes the password', () => {
    expect(settings.amqpPassword.secret).toBe(true);
    expect(settings.amqpPassword.flag).toBeUndefined();
  });

  it('catches TLS files set without TLS, and a certificate without its key', () => {
    expect(failure([], { AMQP_TLS_CA: pem })).toBe('AMQP_TLS_CA is set but AMQP_USE_TLS is false: set AMQP_USE_TLS=true or remove it');
    expect(failure([], { HTTP_USE_TLS: 'true', HTTP_TLS_CERT: pem })).toContain('HTTP_TLS_KEY is missing');
  });
});

describe('the command line', () => {
  it('exits 2 with one line, no stack trace, on a bad value', async () => {
    await ensureBuilt();
    const result = spawnSync(process.execPath, [SERVER_BIN], { env: { ...process.env, AMQP_PORT: 'abc' }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('rabbitmq-mcp-server: AMQP_PORT "abc" is not valid: expected a port number from 1 to 65535\n');
  });

  it('prints --help with every setting and --version', async () => {
    await ensureBuilt();
    const help = spawnSync(process.execPath, [SERVER_BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const setting of Object.values(settings)) expect(help.stdout).toContain(`[${setting.env}]`);
    const version = spawnSync(process.execPath, [SERVER_BIN, '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('exposure', () => {
  it('refuses an HTTP server beyond loopback without a token, unless told something in front authenticates', () => {
    expect(failure(['--transport', 'http', '--host', '0.0.0.0'])).toMatch(
      /^MCP_HTTP_HOST \(--host\) 0\.0\.0\.0 is reachable from other machines and MCP_AUTH_TOKEN is not set: .*openssl rand -hex 32.*MCP_ALLOW_UNAUTHENTICATED \(--allow-unauthenticated\)/,
    );
    expect(run(['--transport', 'http', '--host', '0.0.0.0', '--allow-unauthenticated']).http.host).toBe('0.0.0.0');
    expect(run(['--transport', 'http', '--host', '::'], { MCP_AUTH_TOKEN: 'a-token-of-sixteen-or-more' }).http.host).toBe('::');
    for (const host of ['127.0.0.1', '127.8.9.1', 'localhost', '::1'])
      expect(run(['--transport', 'http', '--host', host]).http.host).toBe(host);
    // Over stdio the HTTP address is not used.
    expect(run(['--host', '0.0.0.0']).http.host).toBe('0.0.0.0');
  });
});

describe('the heap policy', () => {
  it('sets both generations when node was given no heap flag', () => {
    expect(heapFlagsToSet(nodeFlagsOf(['--enable-source-maps'], undefined))).toEqual([
      '--semi-space-growth-factor=1',
      '--heap-growing-percent=100',
    ]);
  });

  it("leaves a generation to the operator's flag, however it is spelt and wherever it is given", () => {
    expect(heapFlagsToSet(nodeFlagsOf(['--max-semi-space-size=4'], undefined))).toEqual(['--heap-growing-percent=100']);
    expect(heapFlagsToSet(nodeFlagsOf([], '--inspect  --min_semi_space_size=2'))).toEqual(['--heap-growing-percent=100']);
    expect(heapFlagsToSet(nodeFlagsOf(['--heap_growing_percent', '50'], undefined))).toEqual(['--semi-space-growth-factor=1']);
    expect(heapFlagsToSet(nodeFlagsOf(['--semi-space-growth-factor=2', '--heap-growing-percent=0'], ''))).toEqual([]);
  });
});
