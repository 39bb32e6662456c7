import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diagnosticsZip } from '../electron/core/diagnostics/diagnostics-bundle.js';
import { redact } from '../electron/core/diagnostics/redact.js';
import { DEFAULT_SETTINGS } from '../electron/core/settings/app-settings.js';
import type { Profile } from '../electron/shared/contract.js';

const PASSWORD = 'Tr0ub4dor&3-diag-secret';
const TOKEN = 'mcp_tok_9f8e7d6c5b4a39281706f5e4';

let folder = '';
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'mcp-diagnostics-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const profile: Profile = {
  id: 'p1',
  name: 'Orders',
  amqp: {
    host: 'rabbit.internal',
    port: 5671,
    tls: { enabled: true, verify: true, caFile: '/etc/ssl/ca.pem', keyFile: '/home/ana/.tls/client.key' },
  },
  management: { host: 'rabbit.internal', port: 15671, basePath: '', tls: { enabled: true, verify: true } },
  user: 'ops',
  vhost: '/',
  safety: 'read-only',
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
} as Profile;

describe('the diagnostics zip', () => {
  it('holds logs, versions, settings and profiles, and no password or token anywhere, stored or deflated', async () => {
    const logs = join(folder, 'logs');
    mkdirSync(logs);
    const now = new Date('2026-12-07T12:00:00Z');
    // Lines as a careless library might write them: the secrets in every shape they take.
    writeFileSync(
      join(logs, 'server-2026-12-07.log'),
      [
        JSON.stringify({ level: 'info', msg: 'connected', url: `amqps://ops:${encodeURIComponent(PASSWORD)}@rabbit.internal:5671/` }),
        JSON.stringify({ level: 'warn', msg: 'retry', AMQP_PASSWORD: PASSWORD, headers: { authorization: `Bearer ${TOKEN}` } }),
        `plain line: token=${TOKEN} password: ${PASSWORD}`,
        JSON.stringify({ level: 'info', msg: `login ${PASSWORD}` }),
        '',
      ].join('\n'),
    );
    writeFileSync(join(logs, 'app-2026-12-07.log'), `${JSON.stringify({ level: 'info', msg: 'app started', accessToken: TOKEN })}\n`);
    writeFileSync(join(logs, 'app-2026-11-01.log'), `${JSON.stringify({ level: 'info', msg: 'long ago' })}\n`);
    utimesSync(join(logs, 'app-2026-11-01.log'), new Date('2026-11-01T12:00:00Z'), new Date('2026-11-01T12:00:00Z'));
    const zip = await diagnosticsZip({
      logDir: logs,
      days: 7,
      now,
      app: { version: '0.1.0', versions: { electron: '41.7.1', node: '22.1.0', chrome: '140.0.0.0' } },
      os: { platform: 'linux', release: '6.8.0', arch: 'x64' },
      broker: { version: '3.10.8' },
      settings: { ...DEFAULT_SETTINGS, updates: { check: true, feedUrl: `https://ops:${TOKEN}@updates.example.com/` } },
      profiles: [profile],
      secrets: [PASSWORD],
    });
    expect(zip.files.sort()).toEqual([
      'README.txt',
      'about.json',
      'logs/app-2026-12-07.log',
      'logs/server-2026-12-07.log',
      'profiles.json',
      'settings.json',
    ]);
    const bytes = Buffer.from(zip.bytes);
    const entries = unzipSync(zip.bytes);
    const everything = Object.values(entries)
      .map((entry) => strFromU8(entry))
      .join('\n');
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), TOKEN]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(everything).not.toContain(secret);
    }
    // Also when stored without compression: the same entries, no secret in the bytes.
    const { zipSync } = await import('fflate');
    expect(Buffer.from(zipSync(entries, { level: 0 })).includes(Buffer.from(PASSWORD))).toBe(false);
    // What helps stays: versions, the broker, the TLS file paths, the user, the redacted address.
    const about = JSON.parse(strFromU8(entries['about.json'] as Uint8Array));
    expect(about).toMatchObject({
      app: { version: '0.1.0', versions: { electron: '41.7.1' } },
      broker: { version: '3.10.8' },
      os: { platform: 'linux' },
    });
    const profiles = strFromU8(entries['profiles.json'] as Uint8Array);
    expect(profiles).toContain('/home/ana/.tls/client.key');
    expect(profiles).toContain('"user": "ops"');
    expect(strFromU8(entries['logs/server-2026-12-07.log'] as Uint8Array)).toContain('amqps://ops:[removed]@rabbit.internal:5671/');
    expect(strFromU8(entries['settings.json'] as Uint8Array)).toContain('https://ops:[removed]@updates.example.com/');
  });
});

describe('redact', () => {
  it.each([
    ['amqp://guest:guest@localhost:5672', 'amqp://guest:[removed]@localhost:5672'],
    ['{"password":"p\\"w"}', '{"password":"[removed]"}'],
    ['{"hasPassword": true, "user": "ops"}', '{"hasPassword": true, "user": "ops"}'],
    ['RABBITMQ_MCP_HTTP_TOKEN=abc123 next', 'RABBITMQ_MCP_HTTP_TOKEN=[removed] next'],
    ['Authorization: Bearer eyJhbGciOi.x.y', 'Authorization: [removed] [removed]'],
    ['keyFile: /home/ana/client.key', 'keyFile: /home/ana/client.key'],
  ])('%s → %s', (input, output) => {
    expect(redact(input)).toBe(output);
  });
});
