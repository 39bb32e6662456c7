import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientStatus, ConnectionCheck, ProfileInput, ProfileView } from '../electron/shared/contract.js';
import { admin, eventually, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { ensureBuilt } from './support/built-server.js';
import { CountingProxy } from './support/counting-proxy.js';
import {
  type RunningApp,
  assemblePackagedApp,
  bundleStandIn,
  isFile,
  processesUnder,
  startDesktopApp,
  writeAppImage,
} from './support/desktop-app.js';
import type { StandInRecord } from './support/electron-stand-in.js';
import { callTool } from './support/tool-answer.js';

/**
 * The desktop app as it ships: the built dist/electron/main.cjs and preload.cjs, laid out as
 * electron-builder.yml packs them, run under plain Node with a stand-in for the `electron`
 * module (the operating system's edge). Everything behind it is real: the host, the supervised
 * server, the broker, the client config it writes and the stdio entry a client launches from it.
 */
const root = mkdtempSync(join(tmpdir(), 'mcp-desktop-'));
const resources = join(root, 'RabbitMQ MCP', 'resources');
const home = join(root, 'home');
const userData = join(home, '.config', 'RabbitMQ MCP');
const userB = uniqueName('mcp-desktop-b');
const passwordB = `Desk-${Date.now()}-${Math.random().toString(36).slice(2)}`;
const proxy = new CountingProxy(BROKER.host, BROKER.httpPort);
let proxyPort = 0;
const vhostA = useTestVhost('mcp-desktop-a');
const vhostB = useTestVhost('mcp-desktop-b');
let main = '';
let standIn = '';
const queueA = uniqueName('orders-alpha');
const queueB = uniqueName('orders-beta');

function profile(name: string, vhost: string, user: string, managementPort: number): ProfileInput {
  return {
    name,
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    management: { host: BROKER.host, port: managementPort, basePath: '', tls: { enabled: false, verify: true } },
    user,
    vhost,
    safety: 'read-only',
  };
}

function appEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    STAND_IN_USER_DATA: userData,
    STAND_IN_RESOURCES: resources,
    STAND_IN_PACKAGED: '1',
    ...extra,
  };
}

const isTray = (color: string) => (record: StandInRecord) =>
  record.kind === 'tray.setImage' && String(record.image).endsWith(`tray-${color}.png`);

function menuWith(name: string, checked: boolean) {
  return (record: StandInRecord) =>
    record.kind === 'tray.setContextMenu' &&
    (record.items as { label?: string; checked?: boolean }[]).some((item) => item.label === name && item.checked === checked);
}

beforeAll(async () => {
  await ensureBuilt();
  ({ main } = assemblePackagedApp(resources));
  standIn = await bundleStandIn(root);
  proxyPort = await proxy.start();
  await admin('PUT', `/users/${userB}`, { password: passwordB, tags: 'monitoring' });
  await admin('PUT', `/permissions/${encodeURIComponent(vhostB.name)}/${userB}`, { configure: '.*', write: '.*', read: '.*' });
  await admin('PUT', `/queues/${encodeURIComponent(vhostA.name)}/${queueA}`, { durable: true });
  await admin('PUT', `/queues/${encodeURIComponent(vhostB.name)}/${queueB}`, { durable: true });
  // Claude Desktop is installed: its settings folder exists.
  mkdirSync(join(home, '.config', 'Claude'), { recursive: true });
});

afterAll(async () => {
  await proxy.stop();
  await admin('DELETE', `/users/${userB}`);
  rmSync(root, { recursive: true, force: true });
});

describe('the desktop app as it ships (built main.cjs and preload.cjs under a stand-in for electron)', () => {
  it('starts, serves the first profile, follows a tray switch in a connected client, and leaves no process on Quit', async () => {
    const app: RunningApp = startDesktopApp({ main, standIn, env: appEnvironment() });
    const client = new Client({ name: 'claude-desktop-as-launched', version: '1.0.0' });
    try {
      // Start: a tray icon at once, then the first-run window (no profile yet).
      const tray = await app.waitFor((record) => record.kind === 'tray.new', 'the tray icon');
      const page = await app.waitFor((record) => record.kind === 'BrowserWindow.loadURL', 'the window');
      const windowCreated = app.records.find((record) => record.kind === 'BrowserWindow.new');
      expect(windowCreated).toMatchObject({
        preloadExists: true,
        webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false },
      });
      expect(page.exists).toBe(true);
      expect(await app.waitFor((record) => record.kind === 'contextBridge.exposeInMainWorld', 'the preload API')).toMatchObject({
        key: 'rabbitmqMcp',
      });
      const info = await app.call<{ firstRun: boolean; secretProtection: string }>('app.info');
      expect(info).toMatchObject({ firstRun: true, secretProtection: 'os' });
      console.log(`start to tray: ${tray.at - app.startedAt} ms, to window: ${page.at - app.startedAt} ms`);

      // First run: test the connection, save the profile; the server comes up and the tray says so.
      const alpha = profile('Alpha', vhostA.name, BROKER.user, proxyPort);
      const check = await app.call<ConnectionCheck>('connection.test', alpha, BROKER.password);
      expect(check.ok, JSON.stringify(check.steps)).toBe(true);
      await app.call<ProfileView>('profiles.create', alpha, BROKER.password);
      const green = await app.waitFor(isTray('green'), 'a green tray icon', 40_000);
      expect(green.exists).toBe(true);
      await app.waitFor(menuWith('Alpha', true), 'Alpha checked in the tray menu');
      // The records of one tray rebuild arrive one by one: wait for this one's tooltip, then check it is the last.
      await app.waitFor(
        (record) => record.kind === 'tray.setToolTip' && record.tooltip === 'RabbitMQ MCP: Alpha connected',
        'the tooltip of the green tray',
      );
      expect(app.records.filter((record) => record.kind === 'tray.setToolTip').at(-1)?.tooltip).toBe('RabbitMQ MCP: Alpha connected');
      console.log(`start to a green tray: ${green.at - app.startedAt} ms (includes the user's first profile)`);
      await app.call<ProfileView>('profiles.create', profile('Beta', vhostB.name, userB, BROKER.httpPort), passwordB);
      await app.waitFor(menuWith('Beta', false), 'Beta in the tray menu');
      await app.call('app.completeFirstRun');

      // Connect Claude Desktop; launch what its config says, as Claude Desktop would.
      const before = await app.call<ClientStatus[]>('clients.list');
      expect(before.find((status) => status.id === 'claude-desktop')?.state).toBe('not-configured');
      await app.call('clients.connect', 'claude-desktop');
      const configPath = join(home, '.config', 'Claude', 'claude_desktop_config.json');
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as {
        mcpServers: { rabbitmq: { command: string; args: string[]; env: Record<string, string> } };
      };
      const entry = config.mcpServers.rabbitmq;
      expect(isFile(entry.command)).toBe(true);
      expect(entry.args).toEqual([join(resources, 'app', 'stdio-entry.mjs')]);
      expect(isFile(entry.args[0] as string)).toBe(true);
      expect(JSON.stringify(config)).not.toContain(BROKER.password === 'guest' ? passwordB : BROKER.password);
      expect(JSON.stringify(config)).not.toContain(passwordB);
      await client.connect(
        new StdioClientTransport({
          command: entry.command,
          args: entry.args,
          env: { PATH: process.env.PATH ?? '', HOME: home, ...entry.env },
        }),
      );
      expect((await callTool(client, 'list_queues')).text).toContain(queueA);
      expect(client.getInstructions()).not.toContain(vhostA.name);

      // Idle: the health page's sampling paces itself (main.ts passes no interval: the default).
      const idleFrom = Date.now();
      // A fixed window on purpose: the test counts what the idle app does in it.
      await new Promise((resolve) => setTimeout(resolve, 10_500));
      const idleTo = Date.now();
      const samples = app.records.filter(
        (record) =>
          record.kind === 'webContents.send' && record.channel === 'event:health-sample' && record.at >= idleFrom && record.at <= idleTo,
      );
      const requests = proxy.between(idleFrom, idleTo);
      const seconds = (idleTo - idleFrom) / 1000;
      console.log(
        `idle for ${seconds.toFixed(1)} s: ${samples.length} health samples sent to the window, ${requests.length} management API requests (${(requests.length / seconds).toFixed(2)}/s)`,
      );
      expect(samples.length).toBeGreaterThanOrEqual(1);
      expect(samples.length).toBeLessThanOrEqual(Math.ceil(seconds / 5) + 1);
      expect(requests.length / seconds).toBeLessThan(1.5);

      // Switch from the tray; the connected client's next calls reach the new broker.
      const switchedAt = Date.now();
      await app.click('Beta');
      let answer = '';
      while (!answer.includes(queueB) && Date.now() - switchedAt < 30_000) {
        answer = (await callTool(client, 'list_queues')).text;
        if (!answer.includes(queueB)) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      console.log(`profile switch seen by the connected client after ${Date.now() - switchedAt} ms`);
      expect(answer).toContain(queueB);
      expect(answer).not.toContain(queueA);
      await app.waitFor(menuWith('Beta', true), 'Beta checked in the tray menu');
      // The old default vhost is not Beta's: the error says so, not something about user tags.
      const oldVhost = await callTool(client, 'list_queues', { vhost: vhostA.name });
      expect(oldVhost.isError).toBe(true);
      expect(oldVhost.text).toContain(`user '${userB}' may not use vhost '${vhostA.name}'`);
      expect(oldVhost.text).not.toMatch(/tag/);
      await client.close();

      // What main.cjs opened exists in the packaged layout; it required only Node and electron.
      for (const image of app.records.filter((record) => record.kind === 'nativeImage.createFromPath'))
        expect(image.exists, String(image.path)).toBe(true);
      const required = app.records.filter((record) => record.kind === 'require');
      expect(required.length).toBeGreaterThan(0);
      expect(required.filter((record) => !record.builtin).map((record) => record.request)).toEqual([]);
      expect(app.records.filter((record) => record.kind === 'preload.require-refused')).toEqual([]);
      expect(app.records.filter((record) => record.kind === 'dialog.showErrorBox')).toEqual([]);

      // Quit: the app stops its server and leaves nothing running.
      const quitAt = Date.now();
      await app.quit();
      expect(await app.exited).toBe(0);
      console.log(`quit in ${Date.now() - quitAt} ms; processes left: ${JSON.stringify(processesUnder(root))}`);
      expect(processesUnder(root)).toEqual([]);
      expect(existsSync(join(userData, 'runtime.json'))).toBe(false);
      expect(existsSync(join(userData, 'app-status.json'))).toBe(false);
    } finally {
      await client.close().catch(() => undefined);
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  }, 120_000);

  it('as an AppImage, writes configs that launch the AppImage file, which work after the app quit and its mount is gone', async () => {
    // The image's content is the packaged layout; every run mounts a copy at a new .mount_ folder.
    const image = join(root, 'image');
    assemblePackagedApp(join(image, 'resources'));
    const appImage = join(root, 'RabbitMQ_MCP-0.1.0-x86_64.AppImage');
    writeAppImage(appImage, { content: image, mounts: root, standIn });
    const imageHome = join(root, 'appimage-home');
    const imageUserData = join(imageHome, '.config', 'RabbitMQ MCP');
    mkdirSync(join(imageHome, '.config', 'Claude'), { recursive: true });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: imageHome, STAND_IN_USER_DATA: imageUserData, STAND_IN_PACKAGED: '1' };
    const mounts = () => readdirSync(root).filter((name) => name.startsWith('.mount_'));
    const app = startDesktopApp({ command: appImage, env });
    let client = new Client({ name: 'claude-desktop-as-launched', version: '1.0.0' });
    try {
      await app.waitFor((record) => record.kind === 'contextBridge.exposeInMainWorld', 'the window');
      await app.call('profiles.create', profile('Alpha', vhostA.name, BROKER.user, BROKER.httpPort), BROKER.password);
      await app.waitFor(isTray('green'), 'a green tray icon', 40_000);

      // Start at login, on Linux an XDG autostart entry that launches the AppImage file, hidden.
      const autostart = join(imageHome, '.config', 'autostart', 'rabbitmq-mcp.desktop');
      await app.click('Start at login');
      await eventually(async () => (existsSync(autostart) ? true : undefined), 'the autostart entry');
      expect(readFileSync(autostart, 'utf8')).toContain(`\nExec=${appImage} --hidden\n`);
      await app.click('Start at login');
      await eventually(async () => (existsSync(autostart) ? undefined : true), 'the autostart entry to go');

      await app.call('clients.connect', 'claude-desktop');
      const configPath = join(imageHome, '.config', 'Claude', 'claude_desktop_config.json');
      const entry = (
        JSON.parse(readFileSync(configPath, 'utf8')) as {
          mcpServers: { rabbitmq: { command: string; args: string[]; env: Record<string, string> } };
        }
      ).mcpServers.rabbitmq;
      expect(entry.command).toBe(appImage);
      expect(entry.args).toEqual([join(imageUserData, 'app', 'stdio-entry.mjs')]);
      expect(readFileSync(entry.args[0] as string)).toEqual(readFileSync(join(image, 'resources', 'app', 'stdio-entry.mjs')));
      expect(JSON.stringify(entry)).not.toContain('.mount_');
      const launch = () =>
        new StdioClientTransport({
          command: entry.command,
          args: entry.args,
          env: { PATH: process.env.PATH ?? '', HOME: imageHome, ...entry.env },
        });
      await client.connect(launch());
      expect((await callTool(client, 'list_queues')).text).toContain(queueA);
      await client.close();

      // Quit: the mount goes away. The same config still works: the entry starts the AppImage.
      await app.quit();
      expect(await app.exited).toBe(0);
      expect(mounts()).toEqual([]);
      client = new Client({ name: 'claude-desktop-as-launched', version: '1.0.0' });
      await client.connect(launch());
      expect((await callTool(client, 'list_queues')).text).toContain(queueA);
      const status = JSON.parse(readFileSync(join(imageUserData, 'app-status.json'), 'utf8')) as { appPid: number };
      await client.close();
      process.kill(status.appPid, 'SIGTERM');
      const deadline = Date.now() + 15_000;
      while (processesUnder(root).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(processesUnder(root)).toEqual([]);
      expect(mounts()).toEqual([]);
    } finally {
      await client.close().catch(() => undefined);
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  }, 120_000);
});
