import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { LogEntry, UpdateStatus } from '../electron/shared/contract.js';
import { ensureBuilt } from './support/built-server.js';
import {
  type RunningApp,
  assemblePackagedApp,
  bundleStandIn,
  processesUnder,
  startDesktopApp,
  writeAppImage,
} from './support/desktop-app.js';

/**
 * The app's own updates as they ship: the built main.cjs (electron-updater bundled in) run as an
 * AppImage under the electron stand-in, against an update feed this test serves on loopback: a
 * latest-linux.yml naming a newer AppImage-shaped file with its real sha512. Found, downloaded,
 * verified, asked; replaced and restarted only on the person's yes. A file that does not match its
 * checksum and a feed that is down are reported (window status and log) and change nothing.
 */
const root = mkdtempSync(join(tmpdir(), 'mcp-updates-'));
const image = join(root, 'image');
let standIn = '';
const current = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const [major, minor] = current.split('.').map(Number);
const next = `${major}.${(minor ?? 0) + 1}.0`;
const newName = `RabbitMQ_MCP-${next}-x86_64.AppImage`;

/** The new version: a script that says it started (and as what), padded to an AppImage-like size with bytes that vary per run. */
function newAppImage(marker: string): Buffer {
  const script = `#!/bin/sh\necho "started ${next} from $0" > ${JSON.stringify(marker)}\nexit 0\n`;
  return Buffer.concat([Buffer.from(script), Buffer.from(`# ${randomBytes(96 * 1024).toString('base64')}\n`)]);
}

const sha512 = (bytes: Buffer) => createHash('sha512').update(bytes).digest('base64');

/** A generic update feed: a folder with latest-linux.yml and the files it lists. */
class Feed {
  readonly files = new Map<string, Buffer>();
  readonly requests: string[] = [];
  #server: Server | null = null;
  url = '';

  publish(file: Buffer, options: { claimedSha512?: string } = {}): void {
    const claimed = options.claimedSha512 ?? sha512(file);
    this.files.set(`/${newName}`, file);
    this.files.set(
      '/latest-linux.yml',
      Buffer.from(
        stringify({
          version: next,
          files: [{ url: newName, sha512: claimed, size: file.length }],
          path: newName,
          sha512: claimed,
          releaseDate: new Date().toISOString(),
        }),
      ),
    );
  }

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://feed').pathname;
      this.requests.push(path);
      const body = this.files.get(path);
      if (!body) {
        response.writeHead(404).end('not found');
        return;
      }
      response.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A fresh install: its own AppImage file, home (config, cache) and feed. */
function install(name: string) {
  const folder = join(root, name);
  const home = join(folder, 'home');
  const appImage = join(folder, `RabbitMQ_MCP-${current}-x86_64.AppImage`);
  mkdirSync(home, { recursive: true });
  writeAppImage(appImage, { content: image, mounts: folder, standIn });
  const env = (feedUrl: string) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    STAND_IN_USER_DATA: join(home, '.config', 'RabbitMQ MCP'),
    STAND_IN_PACKAGED: '1',
    RABBITMQ_MCP_UPDATE_FEED: feedUrl,
  });
  return { folder, home, appImage, env, pending: join(home, '.cache', 'rabbitmq-mcp-server-updater', 'pending') };
}

/** Polls the status the window shows until it is what the test waits for. */
async function statusOnce(app: RunningApp, done: (status: UpdateStatus) => boolean, what: string): Promise<UpdateStatus> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await app.call<UpdateStatus>('updates.status');
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function updateLog(app: RunningApp): Promise<LogEntry[]> {
  return app.call<LogEntry[]>('logs.tail', { search: 'update', limit: 50 });
}

async function stop(app: RunningApp): Promise<void> {
  if (app.child.exitCode !== null) return;
  await app.quit();
  await app.exited;
}

beforeAll(async () => {
  await ensureBuilt();
  assemblePackagedApp(join(image, 'resources'));
  standIn = await bundleStandIn(root);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('updates of the app as it ships (an AppImage under the electron stand-in, a feed on loopback)', () => {
  it('finds, downloads and verifies a newer version, never installs it without a yes (not even at quit), and restarts into it on "Restart now"', async () => {
    const feed = new Feed();
    const setup = install('yes');
    const marker = join(setup.folder, 'new-version-started');
    const file = newAppImage(marker);
    feed.publish(file);
    const feedUrl = await feed.start();
    let app = startDesktopApp({ command: setup.appImage, env: setup.env(feedUrl) });
    try {
      // At start: checked, downloaded in the background, then the person is asked.
      const asked = await app.waitFor((record) => record.kind === 'dialog.showMessageBox', 'the restart question', 60_000);
      expect(asked).toMatchObject({ message: `Version ${next} is ready to install`, buttons: ['Restart now', 'Later'] });
      expect(String(asked.detail)).toContain(`You have version ${current}`);
      expect(feed.requests).toContain('/latest-linux.yml');
      expect(feed.requests).toContain(`/${newName}`);
      const ready = await app.call<UpdateStatus>('updates.status');
      expect(ready).toMatchObject({ state: 'ready', version: next, currentVersion: current, source: feedUrl, percent: 100 });
      expect(ready.message).toContain('checksum (sha512) verified');
      expect(Date.parse(ready.lastCheck ?? '')).toBeGreaterThan(app.startedAt - 1000);
      expect(sha512(readFileSync(join(setup.pending, newName)))).toBe(sha512(file));

      // "Later": nothing replaced, the app carries on; quitting it installs nothing either.
      await app.answerDialog('Later');
      const later = await statusOnce(app, (status) => status.message.includes('when it suits you'), 'the postponed status');
      expect(later.state).toBe('ready');
      expect((await updateLog(app)).map((entry) => entry.msg)).toEqual(
        expect.arrayContaining(['update found: downloading', 'update downloaded and verified', 'update restart postponed by the user']),
      );
      await stop(app);
      expect(await app.exited).toBe(0);
      expect(readdirSync(setup.folder).filter((name) => name.endsWith('.AppImage'))).toEqual([`RabbitMQ_MCP-${current}-x86_64.AppImage`]);
      expect(existsSync(marker)).toBe(false);

      // Next start: the verified download is reused (no second download) and the question comes again; "Restart now".
      const downloadsBefore = feed.requests.filter((path) => path === `/${newName}`).length;
      app = startDesktopApp({ command: setup.appImage, env: setup.env(feedUrl) });
      await app.waitFor((record) => record.kind === 'dialog.showMessageBox', 'the restart question again', 60_000);
      expect(feed.requests.filter((path) => path === `/${newName}`).length).toBe(downloadsBefore);
      await app.answerDialog('Restart now');
      expect(await app.exited).toBe(0);
      // The new version replaced the old AppImage and was started; the old server stopped first.
      await waitForFile(marker);
      expect(readFileSync(marker, 'utf8')).toContain(`started ${next} from ${join(setup.folder, newName)}`);
      expect(readdirSync(setup.folder).filter((name) => name.endsWith('.AppImage'))).toEqual([newName]);
      expect(sha512(readFileSync(join(setup.folder, newName)))).toBe(sha512(file));
      expect(app.records.map((record) => record.kind)).toContain('app.releaseSingleInstanceLock');
      expect(app.records.filter((record) => record.kind === 'dialog.showErrorBox')).toEqual([]);
      expect(processesUnder(join(setup.folder, '.mount_'))).toEqual([]);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
      await feed.stop();
    }
  }, 120_000);

  it('a file that does not match its published sha512 is reported in the window and the log, and nothing is installed', async () => {
    const feed = new Feed();
    const setup = install('bad-checksum');
    const marker = join(setup.folder, 'new-version-started');
    feed.publish(newAppImage(marker), { claimedSha512: sha512(Buffer.from('another file')) });
    const app = startDesktopApp({ command: setup.appImage, env: setup.env(await feed.start()) });
    try {
      await app.waitFor((record) => record.kind === 'contextBridge.exposeInMainWorld', 'the window');
      const failed = await statusOnce(app, (status) => status.state === 'error', 'the checksum error');
      expect(failed.message).toBe(
        `Version ${next} was downloaded but does not match the checksum (sha512) its feed published, so it was thrown away and nothing was installed. The app keeps working as it is.`,
      );
      expect(feed.requests).toContain(`/${newName}`);
      const log = await updateLog(app);
      expect(log.find((entry) => entry.msg === 'update rejected: checksum (sha512) mismatch')).toMatchObject({
        level: 'warn',
        fields: { version: next },
      });
      // Harmless: never asked, nothing kept, the old AppImage in place, the app answers.
      expect(app.records.filter((record) => record.kind === 'dialog.showMessageBox')).toEqual([]);
      expect(existsSync(join(setup.pending, newName))).toBe(false);
      expect(readdirSync(setup.folder).filter((name) => name.endsWith('.AppImage'))).toEqual([`RabbitMQ_MCP-${current}-x86_64.AppImage`]);
      expect((await app.call<{ version: string }>('app.info')).version).toBe(current);
      expect(app.child.exitCode).toBe(null);
      await stop(app);
      expect(await app.exited).toBe(0);
      expect(existsSync(marker)).toBe(false);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
      await feed.stop();
    }
  }, 120_000);

  it('a feed that is down is reported in the window and the log, and the app keeps running as it was', async () => {
    // A port nothing listens on any more.
    const gone = new Feed();
    const feedUrl = await gone.start();
    await gone.stop();
    const setup = install('feed-down');
    const app = startDesktopApp({ command: setup.appImage, env: setup.env(feedUrl) });
    try {
      await app.waitFor((record) => record.kind === 'contextBridge.exposeInMainWorld', 'the window');
      // "Check now" answers once the feed did (joining the check at start).
      const checked = await app.call<UpdateStatus>('updates.check');
      expect(checked).toMatchObject({ state: 'error', source: feedUrl, version: null });
      expect(checked.message).toBe(
        `Could not check for updates at ${feedUrl}: nothing answers at that address (connection refused). The app keeps working as it is and tries again later.`,
      );
      expect((await updateLog(app)).find((entry) => entry.msg === 'update check failed')).toMatchObject({
        level: 'warn',
        fields: { feed: feedUrl, reason: 'nothing answers at that address (connection refused)' },
      });
      expect(app.records.filter((record) => record.kind === 'dialog.showMessageBox' || record.kind === 'dialog.showErrorBox')).toEqual([]);
      expect((await app.call<{ version: string }>('app.info')).version).toBe(current);
      expect(readdirSync(setup.folder).filter((name) => name.endsWith('.AppImage'))).toEqual([`RabbitMQ_MCP-${current}-x86_64.AppImage`]);
      await stop(app);
      expect(await app.exited).toBe(0);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  }, 120_000);
});

async function waitForFile(path: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!existsSync(path) || readFileSync(path, 'utf8') === '') {
    if (Date.now() > deadline) throw new Error(`${path} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
