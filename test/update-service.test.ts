import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BrokerNotifier, type Notice } from '../electron/core/notifications/broker-notifier.js';
import { NOTIFICATION_CAUSES } from '../electron/core/notifications/notification-causes.js';
import type { FeedOptions } from '../electron/core/updates/release-feed.js';
import { type Updater, UpdateService, type UpdateServiceOptions } from '../electron/core/updates/update-service.js';
import type { SupervisorState } from '../electron/shared/contract.js';

/**
 * The update service's decisions (when to check, what to report, when to restart) over a
 * scripted updater. electron-updater itself, its download and sha512 check, is tested through the
 * built main against a feed on loopback (desktop-updates.test.ts).
 */
class ScriptedUpdater extends EventEmitter implements Updater {
  autoDownload = true;
  autoInstallOnAppQuit = true;
  logger: Updater['logger'] = null;
  checks: FeedOptions[] = [];
  installs = 0;
  installError: Error | null = null;
  #feed: FeedOptions | null = null;

  setFeedURL(options: FeedOptions): void {
    this.#feed = options;
  }

  async checkForUpdates() {
    if (this.#feed) this.checks.push(this.#feed);
    return { isUpdateAvailable: true, updateInfo: { version: '2.0.0' } };
  }

  async downloadUpdate(): Promise<unknown> {
    return [];
  }

  quitAndInstall(): void {
    this.installs += 1;
    // As electron-updater: an install error is dispatched as an 'error' event, not thrown.
    if (this.installError) this.emit('error', this.installError);
  }
}

function service(overrides: Partial<UpdateServiceOptions> & { check?: boolean; feedUrl?: string } = {}) {
  const updater = new ScriptedUpdater();
  const log: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const events: string[] = [];
  const updates = new UpdateService({
    updater,
    currentVersion: '1.0.0',
    settings: { check: () => overrides.check ?? true, feedUrl: () => overrides.feedUrl ?? '' },
    ask: async () => false,
    beforeRestart: async () => {
      events.push('before restart');
    },
    restartFailed: (message) => events.push(`restart failed: ${message}`),
    log: (level, msg, fields) => log.push({ level, msg, fields }),
    ...overrides,
  });
  const settled = () =>
    new Promise<void>((resolve) => {
      const done = () => ['ready', 'error', 'installing', 'up-to-date'].includes(updates.status().state);
      if (done()) return resolve();
      updates.on('status', () => done() && resolve());
    });
  return { updater, updates, log, events, settled };
}

describe('the update service', () => {
  it('checks at start and then at each interval while the setting allows, and never while it does not', async () => {
    const on = service({ intervalMs: 30, ask: async () => false });
    on.updates.start();
    await on.settled();
    expect(on.updater.checks).toEqual([{ provider: 'github', owner: 'rabbitmq-mcp', repo: 'rabbitmq-mcp' }]);
    on.updates.stop();

    // Off: the setting is asked at start and at each interval, and nothing is checked.
    let allowed = false;
    let asked = 0;
    let thirdAsk: () => void = () => undefined;
    const askedThrice = new Promise<void>((resolve) => (thirdAsk = resolve));
    const off = service({
      intervalMs: 20,
      settings: {
        check: () => {
          if (++asked === 3) thirdAsk();
          return allowed;
        },
        feedUrl: () => '',
      },
    });
    off.updates.start();
    await askedThrice;
    expect(off.updater.checks).toEqual([]);
    allowed = true;
    await off.settled();
    expect(off.updater.checks.length).toBeGreaterThanOrEqual(1);
    off.updates.stop();
  });

  it('refuses a feed setting that is not an http(s) address, saying what to change, without asking anything', async () => {
    const bad = service({ feedUrl: 'ftp://mirror.example.com/' });
    const status = await bad.updates.check();
    expect(status).toMatchObject({
      state: 'error',
      message: 'The update feed must be an http:// or https:// address, not ftp://: change it in Settings.',
    });
    expect(bad.updater.checks).toEqual([]);
    expect(bad.log.map((entry) => entry.msg)).toEqual(['update check refused: the feed setting is not valid']);
  });

  it('restarts only on a yes; "Restart to update" without a downloaded version is refused', async () => {
    const later = service();
    await expect(later.updates.install()).rejects.toThrow('There is no downloaded update to install yet: press "Check now" first.');
    await later.updates.check();
    await later.settled();
    expect(later.updates.status()).toMatchObject({ state: 'ready', version: '2.0.0' });
    expect(later.updater.installs).toBe(0);
    expect(later.events).toEqual([]);

    const yes = service({ ask: async () => true });
    await yes.updates.check();
    await yes.settled();
    await new Promise((resolve) => setImmediate(resolve));
    expect(yes.events).toEqual(['before restart']);
    expect(yes.updater.installs).toBe(1);
    expect(yes.updates.status().state).toBe('installing');
  });

  it('an install that fails after the server stopped is reported, and the app is closed cleanly', async () => {
    const failing = service();
    failing.updater.installError = new Error('EACCES: permission denied, unlink /opt/RabbitMQ_MCP.AppImage');
    await failing.updates.check();
    await failing.settled();
    const status = await failing.updates.install();
    const message =
      'Version 2.0.0 could not be installed: EACCES: permission denied, unlink /opt/RabbitMQ_MCP.AppImage. Start the app again; it still runs version 1.0.0.';
    expect(status).toMatchObject({ state: 'error', message });
    expect(failing.events).toEqual(['before restart', `restart failed: ${message}`]);
    expect(failing.log.at(-1)).toMatchObject({ level: 'error', msg: 'update install failed' });
  });
});

describe('notifications of the server crashing (from the supervisor states)', () => {
  const base = { profileId: 'p1', profileName: 'Orders broker', exit: 'signal SIGKILL', lastLines: [] };
  const crashed: SupervisorState = { status: 'crashed', ...base, restartInMs: 1000, crashes: 1 };
  const failed: SupervisorState = {
    status: 'failed',
    ...base,
    crashes: 5,
    message: 'The server crashed 5 times in 60s and was not restarted; its last lines say why.',
  };

  it('says a crash once per quiet period, and that it gave up even right after a crash; off means off', () => {
    let now = 0;
    const shown: Notice[] = [];
    const off = new Set<string>();
    const notifier = new BrokerNotifier({
      show: (notice) => shown.push(notice),
      enabled: (cause) => !off.has(cause),
      management: () => null,
      vhost: () => null,
      profileName: () => 'Orders broker',
      now: () => now,
    });
    notifier.onServerState(crashed);
    now += 60_000;
    notifier.onServerState(crashed);
    notifier.onServerState(failed);
    expect(shown).toEqual([
      {
        cause: 'server-crash',
        title: 'The MCP server crashed',
        body: 'The server for Orders broker stopped unexpectedly (signal SIGKILL). The app restarts it in 1 s; AI apps may see an error until then.',
      },
      {
        cause: 'server-crash',
        title: 'The MCP server keeps crashing',
        body: 'The server for Orders broker crashed 5 times and was stopped: The server crashed 5 times in 60s and was not restarted; its last lines say why. Open the app to see why.',
      },
    ]);
    now += 5 * 60_000;
    notifier.onServerState(crashed);
    expect(shown).toHaveLength(3);
    now += 5 * 60_000;
    off.add('server-crash');
    notifier.onServerState(crashed);
    expect(shown).toHaveLength(3);
  });

  it('names each cause in words for the Settings page, exactly the five causes', () => {
    expect(NOTIFICATION_CAUSES.map((entry) => entry.cause)).toEqual(['alarm', 'dead-letters', 'idle-queue', 'broker-down', 'server-crash']);
    for (const entry of NOTIFICATION_CAUSES) expect(entry.label.length * entry.description.length).toBeGreaterThan(0);
  });
});
