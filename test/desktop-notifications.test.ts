import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry, ProfileInput, SupervisorState } from '../electron/shared/contract.js';
import { eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { ensureBuilt } from './support/built-server.js';
import { type RunningApp, assemblePackagedApp, bundleStandIn, startDesktopApp } from './support/desktop-app.js';
import type { StandInRecord } from './support/electron-stand-in.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * Notifications through the app as it ships: the built main.cjs under the electron stand-in
 * (which records each Notification shown), its real host, health sampler and supervised server,
 * the real broker. The server is killed for real; the broker "goes down" by cutting a TCP proxy
 * in front of its management API, which the profile uses.
 */
const root = mkdtempSync(join(tmpdir(), 'mcp-notify-app-'));
const resources = join(root, 'resources');
const home = join(root, 'home');
const vhost = useTestVhost('mcp-notify-app');
const cable = new TcpProxy(BROKER.host, BROKER.httpPort);
let main = '';
let standIn = '';

const notifications = (app: RunningApp) => app.records.filter((record) => record.kind === 'notification.show');
const titled = (title: string) => (record: StandInRecord) => record.kind === 'notification.show' && record.title === title;

/** The built app under the stand-in, packaged, with its own home. */
function startApp(appHome: string): RunningApp {
  return startDesktopApp({
    main,
    standIn,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: appHome,
      STAND_IN_USER_DATA: join(appHome, '.config', 'RabbitMQ MCP'),
      STAND_IN_RESOURCES: resources,
      STAND_IN_PACKAGED: '1',
    },
  });
}

async function healthyOf(app: RunningApp): Promise<Extract<SupervisorState, { status: 'healthy' }> | undefined> {
  const state = await app.call<SupervisorState>('server.state');
  return state.status === 'healthy' ? state : undefined;
}

/** Crashes the app logged (the message starts so whether it restarts or gives up). */
async function crashesLoggedOf(app: RunningApp): Promise<number> {
  return (await app.call<LogEntry[]>('logs.tail', { search: 'server crashed', limit: 20 })).filter((entry) =>
    entry.msg.startsWith('server crashed'),
  ).length;
}

beforeAll(async () => {
  await ensureBuilt();
  ({ main } = assemblePackagedApp(resources));
  standIn = await bundleStandIn(root);
  await cable.start();
});

afterAll(async () => {
  await cable.close();
  rmSync(root, { recursive: true, force: true });
});

describe('notifications from the app as it ships (built main.cjs under the electron stand-in)', () => {
  it('the server crashing (killed) is notified once per quiet period; the broker down and back is notified as one episode', async () => {
    const app = startApp(home);
    const profile: ProfileInput = {
      name: 'Orders broker',
      amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
      management: { host: '127.0.0.1', port: cable.port, basePath: '', tls: { enabled: false, verify: true } },
      user: BROKER.user,
      vhost: vhost.name,
      safety: 'read-only',
    };
    const healthy = () => healthyOf(app);
    const crashesLogged = () => crashesLoggedOf(app);
    try {
      await app.waitFor((record) => record.kind === 'contextBridge.exposeInMainWorld', 'the window');
      await app.call('profiles.create', profile, BROKER.password);
      const first = await eventually(healthy, 'the server to be healthy', 40_000);

      // Killed: one notification, naming the profile and that the app restarts it.
      process.kill(first.pid, 'SIGKILL');
      const crashed = await app.waitFor(titled('The MCP server crashed'), 'the crash notification');
      expect(String(crashed.body)).toMatch(
        /^The server for Orders broker stopped unexpectedly \(.+\)\. The app restarts it in \d+ s; AI apps may see an error until then\.$/,
      );

      // Restarted and killed again within the quiet period: logged, not notified again.
      const second = await eventually(
        async () => {
          const state = await healthy();
          return state && state.pid !== first.pid ? state : undefined;
        },
        'the restarted server',
        40_000,
      );
      process.kill(second.pid, 'SIGKILL');
      await eventually(async () => ((await crashesLogged()) >= 2 ? true : undefined), 'the second crash in the log');
      await eventually(healthy, 'the server to be healthy again', 40_000);
      expect(notifications(app).filter((record) => record.title === 'The MCP server crashed')).toHaveLength(1);

      // The broker's management API stops answering (two samples, five seconds apart), then answers again.
      await cable.cut();
      const down = await app.waitFor(titled('The broker is down'), 'the broker-down notification', 30_000);
      expect(down.body).toBe('Orders broker does not answer: AI apps cannot reach it. You will be told when it is back.');
      await cable.restore();
      const back = await app.waitFor(titled('The broker is back'), 'the broker-back notification', 30_000);
      expect(back.body).toBe('Orders broker answers again.');
      expect(back.at).toBeGreaterThan(down.at);
      // Each is in the app's log too.
      const logged = await app.call<LogEntry[]>('logs.tail', { search: 'notification shown', limit: 20 });
      expect(logged.map((entry) => entry.fields.title)).toEqual(
        expect.arrayContaining(['The MCP server crashed', 'The broker is down', 'The broker is back']),
      );
      expect(notifications(app).map((record) => record.title)).toEqual([
        'The MCP server crashed',
        'The broker is down',
        'The broker is back',
      ]);
      await app.quit();
      expect(await app.exited).toBe(0);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  }, 150_000);
  it('follows the Settings page: a cause switched off is not notified, switched on again it is', async () => {
    const appHome = join(root, 'home-settings');
    const app = startApp(appHome);
    const healthy = () => healthyOf(app);
    const crashesLogged = () => crashesLoggedOf(app);
    try {
      await app.waitFor((record) => record.kind === 'contextBridge.exposeInMainWorld', 'the window');
      await app.call('settings.update', { notifications: { 'server-crash': false } });
      await app.call(
        'profiles.create',
        {
          name: 'Quiet broker',
          amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
          management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
          user: BROKER.user,
          vhost: vhost.name,
          safety: 'read-only',
        } satisfies ProfileInput,
        BROKER.password,
      );
      const first = await eventually(healthy, 'the server to be healthy', 40_000);
      process.kill(first.pid, 'SIGKILL');
      // The crash is logged in the same step that would notify it.
      await eventually(async () => ((await crashesLogged()) >= 1 ? true : undefined), 'the crash in the log');
      expect(notifications(app)).toEqual([]);

      await app.call('settings.update', { notifications: { 'server-crash': true } });
      const second = await eventually(
        async () => {
          const state = await healthy();
          return state && state.pid !== first.pid ? state : undefined;
        },
        'the restarted server',
        40_000,
      );
      process.kill(second.pid, 'SIGKILL');
      await app.waitFor(titled('The MCP server crashed'), 'the crash notification once switched on');
      await app.quit();
      expect(await app.exited).toBe(0);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  }, 150_000);
});
