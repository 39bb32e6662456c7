import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { HealthSampler } from '../electron/core/health/health-sampler.js';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import type { ProfileView } from '../electron/shared/contract.js';
import type { ProfileInput } from '../electron/shared/profile.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import type { SupervisorState } from '../electron/core/supervisor/supervisor.js';
import { admin, eventually, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { connectRaw } from './support/raw-amqp.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';

const scratch = mkdtempSync(join(tmpdir(), 'mcp-host-'));
const user = uniqueName('mcp-host-user');
const password = `Host-Pw-${Date.now()}-${Math.random().toString(36).slice(2)}`;
const vhostA = useTestVhost('mcp-host-a');
const vhostB = useTestVhost('mcp-host-b');

const profiles = {
  Alpha: () => profile('Alpha', vhostA.name, 'read-only'),
  Beta: () => profile('Beta', vhostB.name, 'write'),
};
type ProfileName = keyof typeof profiles;

function profile(name: ProfileName, vhost: string, safety: ProfileInput['safety']): ProfileInput {
  return {
    name,
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
    user,
    vhost,
    safety,
  };
}

interface TestApp {
  host: AppHost;
  /** The app's data folder. */
  home: string;
  /** The user's home, with Claude Desktop installed (its config folder exists). */
  userHome: string;
  /** Disposes the host once, however often it is called. */
  dispose(): Promise<void>;
}

/** A started app in folders of its own. */
async function startApp(): Promise<TestApp> {
  const root = mkdtempSync(join(scratch, 'app-'));
  const home = join(root, 'app');
  const userHome = join(root, 'home');
  mkdirSync(join(userHome, '.config', 'Claude'), { recursive: true });
  mkdirSync(home, { recursive: true });
  const host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: userHome, env: {} },
    launch: {
      command: process.execPath,
      args: [fileURLToPath(new URL('../dist/app/stdio-entry.mjs', import.meta.url))],
      env: { RABBITMQ_MCP_HOME: home },
    },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.0.0-test',
    healthIntervalMs: 300,
  });
  await host.start();
  let disposed: Promise<void> | undefined;
  return { host, home, userHome, dispose: () => (disposed ??= host.dispose()) };
}

/** An app as a new user first opens it, for this case alone: disposed when the case ends. */
async function pristineApp(): Promise<TestApp> {
  const app = await startApp();
  onTestFinished(() => app.dispose());
  return app;
}

// One app for the cases that build on a configured app: they bring it to the state they need
// with the helpers below, so that each passes alone and in any order.
let shared: TestApp;

/** The profile, saved as it is if it already was. */
async function savedProfile(name: ProfileName, app = shared): Promise<ProfileView> {
  const saved = (await app.host.profiles.list()).find((view) => view.name === name);
  return saved ?? app.host.profiles.create(profiles[name](), password);
}

/** The profile saved and active, with the server healthy on it. */
async function servingProfile(name: ProfileName, app = shared): Promise<ProfileView> {
  const saved = await savedProfile(name, app);
  const active = saved.active ? saved : await app.host.profiles.activate(saved.id);
  await served(app.host, name);
  return active;
}

function served(host: AppHost, name: ProfileName): Promise<Extract<SupervisorState, { status: 'healthy' }>> {
  return eventually(async () => {
    const state = await host.server.state();
    return state.status === 'healthy' && state.profileName === name ? state : undefined;
  }, `${name} to be served`);
}

/** Claude Desktop set up to use the app (connecting it again changes nothing). */
async function clientConnected(app = shared): Promise<void> {
  await app.host.clients.connect('claude-desktop');
}

/** Claude Desktop as it was before the app set it up (undo with nothing to undo changes nothing). */
async function clientNotConnected(): Promise<void> {
  await shared.host.clients.undo('claude-desktop');
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

beforeAll(async () => {
  await ensureBuilt();
  await admin('PUT', `/users/${user}`, { password, tags: 'monitoring' });
  for (const vhost of [vhostA, vhostB])
    await admin('PUT', `/permissions/${encodeURIComponent(vhost.name)}/${user}`, { configure: '.*', write: '.*', read: '.*' });
  shared = await startApp();
});

afterAll(async () => {
  await shared?.dispose();
  await admin('DELETE', `/users/${user}`);
  rmSync(scratch, { recursive: true, force: true });
});

describe('the app host', () => {
  it('starts with the first-run wizard due and no server', async () => {
    const { host } = await pristineApp();
    const info = await host.app.info();
    expect(info).toMatchObject({ firstRun: true, version: '0.0.0-test', secretProtection: 'plain' });
    expect((await host.server.state()).status).toBe('stopped');
  });

  it('explains a failed connection test, then serves the first profile it saves', async () => {
    const { host } = await pristineApp();
    const failed = await host.connection.test(profiles.Alpha(), 'not-the-password');
    expect(failed.ok).toBe(false);
    expect(failed.steps[0]?.fix).toContain('Check the user name and password');
    const passed = await host.connection.test(profiles.Alpha(), password);
    expect(passed.ok).toBe(true);
    const alpha = await host.profiles.create(profiles.Alpha(), password);
    expect(alpha).toMatchObject({ active: true, hasPassword: true });
    await served(host, 'Alpha');
    await host.app.completeFirstRun();
    expect((await host.app.info()).firstRun).toBe(false);
  });

  it('tests a saved profile with its stored password', async () => {
    const alpha = await savedProfile('Alpha');
    const { id, createdAt: _c, updatedAt: _u, active: _a, hasPassword: _h, ...input } = alpha;
    expect((await shared.host.connection.test(input, undefined, id)).ok).toBe(true);
  });

  it('connects Claude Desktop with a config that holds no secret', async () => {
    await clientNotConnected();
    const result = await shared.host.clients.connect('claude-desktop');
    expect(result.message).toContain('Quit Claude Desktop completely');
    const status = (await shared.host.clients.list()).find((client) => client.id === 'claude-desktop');
    expect(status).toMatchObject({ installed: true, state: 'configured', canUndo: true });
    const config = JSON.parse(readFileSync(join(shared.userHome, '.config', 'Claude', 'claude_desktop_config.json'), 'utf8'));
    expect(config.mcpServers.rabbitmq.env).toEqual({ RABBITMQ_MCP_HOME: shared.home });
  });

  it('switches the server to another profile and logs the switch', async () => {
    const { host, home } = shared;
    await servingProfile('Alpha');
    const beta = await savedProfile('Beta');
    expect(beta.active).toBe(false);
    const switched = await host.profiles.activate(beta.id);
    expect(switched.active).toBe(true);
    await served(host, 'Beta');
    const runtime = JSON.parse(readFileSync(join(home, 'runtime.json'), 'utf8'));
    expect(runtime).toMatchObject({ profileName: 'Beta', safety: 'write' });
    const entries = await host.logs.tail({ search: 'profile switched' });
    expect(entries.at(-1)).toMatchObject({
      source: 'app',
      msg: 'profile switched',
      fields: expect.objectContaining({ from: 'Alpha', to: 'Beta' }),
    });
  });

  it("keeps a health history of the active profile's vhost, with rates from its counters", async () => {
    const { host } = shared;
    const active = await servingProfile('Alpha');
    const vh = encodeURIComponent(active.vhost);
    await admin('PUT', `/queues/${vh}/health-ledger`, { durable: false });
    // Sampling this vhost already (a profile switch starts the history over): the counters move under it.
    const before = await eventually(async () => {
      const latest = (await host.health.history()).at(-1);
      return latest?.broker?.vhost === active.vhost ? latest : undefined;
    }, "a sample of the active profile's vhost");
    // Over AMQP, on a channel kept open until the rate shows: publishes through the management API
    // (each on a channel closed at once) were now and then never counted in the vhost's counters.
    const publisher = await connectRaw(active.vhost);
    onTestFinished(() => publisher.close());
    const channel = await publisher.createConfirmChannel();
    for (let index = 0; index < 30; index += 1) channel.sendToQueue('health-ledger', Buffer.from(`${index}`));
    await channel.waitForConfirms();
    // Other test files fill other vhosts of the same broker: none of theirs may count here.
    const queues = await admin<unknown[]>('GET', `/queues/${vh}?columns=name`);
    const sample = await eventually(
      async () => {
        const latest = (await host.health.history()).at(-1);
        if (!latest?.broker) throw new Error(`no broker in the last sample: ${latest?.error ?? 'none'}`);
        const { messages_ready: ready } = await admin<{ messages_ready: number }>('GET', `/vhosts/${vh}`);
        return ready >= 30 && latest.broker.messagesReady === ready ? latest : undefined;
      },
      "a sample with the vhost's ready messages",
      30_000,
    );
    expect(sample.broker).toMatchObject({ vhost: active.vhost, queues: queues.length, messagesUnacked: 0, alarms: [] });
    const { rabbitmq_version: version } = await admin<{ rabbitmq_version: string }>('GET', '/overview');
    expect(sample.broker?.version).toBe(version);
    expect(['healthy', 'starting', 'degraded']).toContain(sample.server);
    // Published messages show as a rate even when the broker's own rate is still 0. The vhost's
    // publish counter may move a sample later than its ready count, so wait for that sample.
    const rated = await eventually(
      async () => (await host.health.history()).find((candidate) => candidate.at > before.at && (candidate.broker?.publishRate ?? 0) > 0),
      'a sample with a publish rate',
      30_000,
    );
    expect(rated.broker?.publishRate).toBeGreaterThan(0);
  });

  it('keeps at least the last ten minutes at its default pace', async () => {
    const sampler = new HealthSampler({ management: () => null, vhost: () => null, server: () => 'stopped' });
    for (let index = 0; index < 200; index += 1) await sampler.sample();
    const kept = sampler.history().length;
    expect(kept * 5).toBeGreaterThanOrEqual(10 * 60); // one sample every 5 s by default
    expect(kept).toBeLessThan(200);
  });

  it('filters and exports logs, the server’s and its own', async () => {
    const { host, home } = shared;
    await servingProfile('Alpha');
    // The app logs a failed connection test as a warning.
    await host.connection.test(profiles.Alpha(), 'not-the-password');
    const warnings = await host.logs.tail({ level: 'warn' });
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((entry) => ['warn', 'error', 'fatal'].includes(entry.level))).toBe(true);
    const sources = await eventually(async () => {
      const seen = new Set((await host.logs.tail({ limit: 1000 })).map((entry) => entry.source));
      return seen.has('rabbitmq-mcp-server') ? seen : undefined;
    }, "the server's own log lines");
    expect(sources).toEqual(new Set(['app', 'rabbitmq-mcp-server']));
    const exported = await host.logs.export({ search: 'profile' });
    expect(exported?.count).toBeGreaterThan(1);
    expect(exported?.path.startsWith(join(home, 'exports'))).toBe(true);
    expect(statSync(exported?.path as string).size).toBeGreaterThan(0);
  });

  it('never writes the password in clear anywhere: store, runtime file, logs, client configs, exports', async () => {
    const { host, home, userHome } = shared;
    await servingProfile('Alpha');
    await clientConnected();
    await host.logs.export({ search: 'profile' });
    await host.profiles.exportAll().then((exported) => expect(JSON.stringify(exported)).not.toContain(password));
    const files = [...filesUnder(home), ...filesUnder(userHome)];
    expect(files.some((file) => file.includes('exports'))).toBe(true);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text.includes(password), file).toBe(false);
      expect(text.includes(Buffer.from(`${user}:${password}`).toString('base64')), file).toBe(false);
    }
  });

  it('undoes the client setup and stops the server on dispose', async () => {
    const app = await pristineApp();
    await servingProfile('Alpha', app);
    const { pid } = await served(app.host, 'Alpha');
    await clientConnected(app);
    await app.host.clients.undo('claude-desktop');
    expect(readdirSync(join(app.userHome, '.config', 'Claude'))).toEqual([]);
    await app.dispose();
    expect((await app.host.server.state()).status).toBe('stopped');
    expect(existsSync(join(app.home, 'runtime.json'))).toBe(false);
    expect(() => process.kill(pid, 0), 'the server process is gone').toThrow();
  });
});
