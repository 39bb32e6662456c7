import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { serverEnvironment } from '../electron/core/profiles/server-environment.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import { explainingLines } from '../electron/core/supervisor/crash-report.js';
import { Supervisor, type SupervisorState } from '../electron/core/supervisor/supervisor.js';
import { defaultProfileInput } from '../electron/shared/profile.js';
import { eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';

/**
 * When the supervised server stops: the app log has it at error with why, and what the window
 * shows as its last lines explains the stop (never a normal start-up line).
 */
const vhost = useTestVhost('mcp-crash');
const root = mkdtempSync(join(tmpdir(), 'mcp-crash-'));
let host: AppHost;

function settings(name: string) {
  const base = defaultProfileInput(name);
  return {
    ...base,
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
    user: BROKER.user,
    vhost: vhost.name,
  };
}

beforeAll(async () => {
  await ensureBuilt();
  const home = join(root, 'app');
  mkdirSync(home, { recursive: true });
  host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: join(root, 'home'), env: {} },
    launch: { command: process.execPath, args: [fileURLToPath(new URL('../dist/app/stdio-entry.mjs', import.meta.url))], env: {} },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.0.0-test',
    healthIntervalMs: 300,
  });
  await host.start();
});

afterAll(async () => {
  await host?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('a server that stops', () => {
  it('is logged at error with how it ended, and its last lines hold no normal start-up line', async () => {
    await host.profiles.create(settings('Crashing'), BROKER.password);
    const healthy = await eventually(async () => {
      const state = await host.server.state();
      return state.status === 'healthy' ? state : undefined;
    }, 'the server to serve');
    const crashed = new Promise<Extract<SupervisorState, { status: 'crashed' }>>((resolve) => {
      const stop = host.events.on('server-state', (state) => {
        if (state.status !== 'crashed') return;
        stop();
        resolve(state);
      });
    });
    process.kill(healthy.pid, 'SIGKILL');
    const state = await crashed;
    // Killed from outside, it wrote nothing wrong: nothing to show, rather than its start-up lines.
    expect(state.lastLines).toEqual([]);
    const logged = await eventually(async () => {
      const entries = await host.logs.tail({ level: 'error', search: 'server crashed' });
      return entries.find((entry) => entry.source === 'app');
    }, 'the crash in the app log');
    expect(logged.level).toBe('error');
    expect(logged.fields).toMatchObject({
      profile: 'Crashing',
      exit: 'killed by SIGKILL',
      reason: 'killed by SIGKILL, with no error written before',
    });
  });

  it('gives up on a crash loop saying why in its message, with only the lines that explain it', async () => {
    const folder = join(root, 'loop');
    const supervisor = new Supervisor({
      command: process.execPath,
      serverEntry: SERVER_BIN,
      runtimeFile: join(folder, 'runtime.json'),
      logDir: join(folder, 'logs'),
      healthIntervalMs: 200,
      crashLimit: 2,
    });
    try {
      await supervisor.start({
        profileId: 'broken',
        profileName: 'Broken',
        safety: 'read-only',
        approval: 'destructive',
        env: { ...serverEnvironment(settings('Broken'), BROKER.password), AMQP_PORT: 'not-a-port' },
      });
      const failed = await eventually(
        async () => (supervisor.state.status === 'failed' ? supervisor.state : undefined),
        'the supervisor to give up',
      );
      expect(failed.message).toMatch(
        /^The server crashed 2 times in 120s and was not restarted: AMQP_PORT "not-a-port" is not valid: expected a port number from 1 to 65535 \(exit code 2\)\.$/,
      );
      expect(failed.message).not.toContain('its last lines say why');
      expect(failed.lastLines.length).toBeGreaterThan(0);
      expect(explainingLines(failed.lastLines)).toEqual(failed.lastLines);
    } finally {
      await supervisor.stop();
    }
  });

  it('keeps errors, warnings and plain output as the explaining lines, never info lines or a stack', () => {
    const lines = [
      JSON.stringify({ level: 30, msg: 'rabbitmq-mcp-server 0.1.0 serving on http://127.0.0.1:4000/mcp' }),
      JSON.stringify({ level: 40, msg: 'AMQP connection lost', reason: 'connection reset' }),
      'file:///app/server.mjs:12',
      '    at main (file:///app/server.mjs:12:3)',
      'TypeError: Cannot read properties of undefined',
      'Node.js v20.20.2',
    ];
    expect(explainingLines(lines)).toEqual([lines[1], lines[4]]);
  });
});
