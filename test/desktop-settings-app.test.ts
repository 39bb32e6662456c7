import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import type { AboutInfo, AppSettings, DiagnosticsExport, DisconnectResult, ProfileInput } from '../electron/shared/contract.js';
import { ensureBuilt } from './support/built-server.js';
import { type RunningApp, assemblePackagedApp, bundleStandIn, startDesktopApp } from './support/desktop-app.js';
import type { StandInRecord } from './support/electron-stand-in.js';

/**
 * Settings, About and Disconnect all in the app as it ships: the built main.cjs and preload.cjs,
 * laid out as electron-builder.yml packs them (licences included), under the stand-in for
 * `electron`. The tray items, the About box's facts and the settings surviving a restart.
 */
const root = mkdtempSync(join(tmpdir(), 'mcp-settings-app-'));
const resources = join(root, 'RabbitMQ MCP', 'resources');
const home = join(root, 'home');
const userData = join(home, '.config', 'RabbitMQ MCP');
const claudeConfig = join(home, '.config', 'Claude', 'claude_desktop_config.json');
const claudeBefore =
  '{\n  "mcpServers": {\n    "filesystem": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] }\n  }\n}\n';
let main = '';
let standIn = '';

const environment = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  STAND_IN_USER_DATA: userData,
  STAND_IN_RESOURCES: resources,
  STAND_IN_PACKAGED: '1',
  ...extra,
});

const menuItems = (record: StandInRecord) => record.items as { label?: string; checked?: boolean; clickable: boolean }[];
const lastMenu = (app: RunningApp) =>
  menuItems(app.records.filter((record) => record.kind === 'tray.setContextMenu').at(-1) as StandInRecord);

async function started(extra: Record<string, string> = {}): Promise<RunningApp> {
  // A message box (Disconnect all's question, its report) is answered with its first button unless a test says otherwise.
  const app = startDesktopApp({ main, standIn, env: environment({ STAND_IN_MESSAGE_BOX_RESPONSE: '0', ...extra }) });
  await app.waitFor((record) => record.kind === 'contextBridge.exposeInMainWorld', 'the window and its API');
  await app.waitFor((record) => record.kind === 'tray.setContextMenu', 'the tray menu');
  return app;
}

async function stopped(app: RunningApp): Promise<void> {
  await app.quit();
  await app.exited;
}

beforeAll(async () => {
  await ensureBuilt();
  ({ main } = assemblePackagedApp(resources));
  standIn = await bundleStandIn(root);
  mkdirSync(join(home, '.config', 'Claude'), { recursive: true });
  writeFileSync(claudeConfig, claudeBefore);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Settings and About in the app as it ships', () => {
  it('keeps settings across a restart, start at login included, changed from the window and the tray', async () => {
    let app = await started();
    try {
      const defaults = await app.call<AppSettings>('settings.get');
      expect(defaults).toMatchObject({ startAtLogin: false, updates: { check: true, feedUrl: '' } });
      await app.call('settings.update', { notifications: { 'broker-down': false }, updates: { check: false } });
      await expect(app.call('settings.update', { updates: { feedUrl: 'file:///etc/passwd' } })).rejects.toThrow(
        /Invalid arguments for settings:update: 0\.updates\.feedUrl: the update feed must be an http:\/\/ or https:\/\/ address/,
      );
      await expect(app.call('settings.update', { approval: 'never' })).rejects.toThrow(/Invalid arguments for settings:update/);
      // The tray's Start at login is the same setting: on Linux an XDG autostart entry.
      expect(lastMenu(app).find((item) => item.label === 'Start at login')).toMatchObject({ checked: false, clickable: true });
      await app.click('Start at login');
      await app.waitFor(
        (record) =>
          record.kind === 'tray.setContextMenu' &&
          menuItems(record).some((item) => item.label === 'Start at login' && item.checked === true),
        'Start at login checked',
      );
      expect(existsSync(join(home, '.config', 'autostart', 'rabbitmq-mcp.desktop'))).toBe(true);
    } finally {
      await stopped(app);
    }
    app = await started();
    try {
      expect(await app.call<AppSettings>('settings.get')).toEqual({
        startAtLogin: true,
        notifications: { alarm: true, 'dead-letters': true, 'idle-queue': true, 'broker-down': false, 'server-crash': true },
        updates: { check: false, feedUrl: '' },
        approvals: { timeoutSeconds: 120 },
      });
      expect(lastMenu(app).find((item) => item.label === 'Start at login')?.checked).toBe(true);
      await app.click('Start at login');
      await app.waitFor(
        (record) =>
          record.kind === 'tray.setContextMenu' &&
          menuItems(record).some((item) => item.label === 'Start at login' && item.checked === false),
        'Start at login unchecked',
      );
      expect(existsSync(join(home, '.config', 'autostart', 'rabbitmq-mcp.desktop'))).toBe(false);
    } finally {
      await stopped(app);
    }
  });

  it('shows the About facts from the shipped licences, opens only https links, and opens the About box from the tray', async () => {
    const app = await started();
    try {
      const about = await app.call<AboutInfo>('about.info');
      expect(about).toMatchObject({
        name: 'RabbitMQ MCP',
        version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
        versions: { electron: '41.7.1', node: process.versions.node, chrome: '146.0.7680.0' },
        links: {
          docs: 'https://github.com/rabbitmq-mcp/rabbitmq-mcp#readme',
          issues: 'https://github.com/rabbitmq-mcp/rabbitmq-mcp/issues',
        },
      });
      const names = about.licences.map((entry) => entry.name);
      for (const shipped of ['electron', 'react', 'zod', 'amqplib', '@modelcontextprotocol/server', 'jsonc-parser', 'electron-store'])
        expect(names).toContain(shipped);
      expect(names).not.toContain('vitest'); // only what the bundlers put in
      expect(about.licences.find((entry) => entry.name === 'react')?.text).toMatch(/^MIT License/);
      await app.call('about.openLink', 'issues');
      await app.waitFor((record) => record.kind === 'shell.openExternal', 'the browser');
      expect(app.records.filter((record) => record.kind === 'shell.openExternal').map((record) => record.url)).toEqual([
        'https://github.com/rabbitmq-mcp/rabbitmq-mcp/issues',
      ]);
      await expect(app.call('about.openLink', 'javascript:alert(1)')).rejects.toThrow(/Invalid arguments for about:openLink/);

      expect(lastMenu(app).map((item) => item.label)).toEqual(expect.arrayContaining(['Disconnect all AI apps', 'About RabbitMQ MCP']));
      const sentBefore = app.records.filter(
        (record) => record.kind === 'webContents.send' && record.channel === 'event:about-requested',
      ).length;
      await app.click('About RabbitMQ MCP');
      await app.waitFor(
        (record) =>
          record.kind === 'webContents.send' &&
          record.channel === 'event:about-requested' &&
          app.records.filter((entry) => entry.kind === 'webContents.send' && entry.channel === 'event:about-requested').length > sentBefore,
        'the window asked to show About',
      );
      // Kept until the window takes it: one still loading shows it too.
      expect(await app.call('about.takeRequest')).toBe(true);
      expect(await app.call('about.takeRequest')).toBe(false);
    } finally {
      await stopped(app);
    }
  });

  it('disconnects every AI app from the tray, says what it did, and leaves the other servers byte for byte', async () => {
    const app = await started();
    try {
      await app.call('clients.connect', 'claude-desktop');
      expect(readFileSync(claudeConfig, 'utf8')).toContain('"rabbitmq"');
      await app.click('Disconnect all AI apps');
      // Asked first (the stand-in clicks the first button), then told what happened.
      const question = await app.waitFor((record) => record.kind === 'dialog.showMessageBox', 'the question');
      expect(question).toMatchObject({ type: 'question', title: 'Disconnect all AI apps?', buttons: ['Disconnect all', 'Cancel'] });
      const box = await app.waitFor((record) => record.kind === 'dialog.showMessageBox' && record.type === 'info', 'the report');
      expect(box).toMatchObject({ title: 'Disconnect all AI apps' });
      expect(String(box.detail)).toMatch(/Removed our entry from .*claude_desktop_config\.json\. The previous file is saved as /);
      expect(String(box.detail)).toMatch(/Cursor was not connected\./);
      expect(readFileSync(claudeConfig, 'utf8')).toBe(claudeBefore);
      const again = await app.call<DisconnectResult[]>('clients.disconnectAll');
      expect(again.every((result) => result.outcome === 'not-connected')).toBe(true);
      expect(app.records.filter((record) => record.kind === 'dialog.showErrorBox')).toEqual([]);
    } finally {
      await stopped(app);
    }
  });

  it('changes nothing when the user answers Cancel to Disconnect all', async () => {
    const app = await started({ STAND_IN_MESSAGE_BOX_RESPONSE: '1' });
    try {
      await app.call('clients.connect', 'claude-desktop');
      const connected = readFileSync(claudeConfig, 'utf8');
      await app.click('Disconnect all AI apps');
      await app.waitFor((record) => record.kind === 'dialog.showMessageBox' && record.response === 1, 'the question, answered Cancel');
      // Nothing follows a Cancel: the entry stays and no report comes.
      expect(
        (await app.call<{ id: string; state: string }[]>('clients.list')).find((client) => client.id === 'claude-desktop')?.state,
      ).toBe('configured');
      expect(readFileSync(claudeConfig, 'utf8')).toBe(connected);
      expect(app.records.filter((record) => record.kind === 'dialog.showMessageBox' && record.type === 'info')).toEqual([]);
      await app.call('clients.undo', 'claude-desktop');
      expect(readFileSync(claudeConfig, 'utf8')).toBe(claudeBefore);
    } finally {
      await stopped(app);
    }
  });

  it('exports diagnostics where the save dialog says, with no password or token in the zip', async () => {
    const password = `Diag-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const token = `tok_${Math.random().toString(36).slice(2)}${Date.now()}`;
    const keyFile = join(root, 'tls', 'client.key');
    const keyBody = `-----BEGIN PRIVATE KEY-----\nKEY-BODY-${Date.now()}\n-----END PRIVATE KEY-----\n`;
    mkdirSync(join(root, 'tls'), { recursive: true });
    writeFileSync(keyFile, keyBody, { mode: 0o600 });
    const app = await started();
    try {
      // A broker nobody listens on: the profile is saved, its server keeps retrying; no broker needed.
      const input: ProfileInput = {
        name: 'Nowhere',
        amqp: { host: '127.0.0.1', port: 1, tls: { enabled: false, verify: true } },
        management: { host: '127.0.0.1', port: 1, basePath: '', tls: { enabled: false, verify: true, keyFile } },
        user: 'ops',
        vhost: '/',
        safety: 'read-only',
      };
      await app.call('profiles.create', input, password);
      // A line that should never have been written: the bundle must still not carry it out.
      const today = new Date().toISOString().slice(0, 10);
      writeFileSync(
        join(userData, 'logs', `app-${today}.log`),
        `${JSON.stringify({ level: 'warn', msg: 'leak', uri: `amqp://ops:${password}@127.0.0.1:1/`, token, note: `password is ${password}` })}\n`,
        { flag: 'a' },
      );
      const saved = await app.call<DiagnosticsExport>('diagnostics.export');
      const dialog = await app.waitFor((record) => record.kind === 'dialog.showSaveDialog', 'the save dialog');
      expect(saved.path).toBe(dialog.defaultPath);
      expect(saved.path).toMatch(/Downloads\/rabbitmq-mcp-diagnostics-[\dT-]+\.zip$/);
      const bytes = readFileSync(saved.path);
      const entries = unzipSync(bytes);
      expect(Object.keys(entries)).toEqual(
        expect.arrayContaining(['about.json', 'settings.json', 'profiles.json', `logs/app-${today}.log`]),
      );
      const text = Object.values(entries)
        .map((entry) => strFromU8(entry))
        .join('\n');
      for (const secret of [password, token]) {
        expect(bytes.includes(Buffer.from(secret))).toBe(false);
        expect(text).not.toContain(secret);
      }
      // The TLS key's path helps; its contents never come in.
      expect(strFromU8(entries['profiles.json'] as Uint8Array)).toContain(keyFile);
      expect(text).not.toContain(keyBody.split('\n')[1]);
      expect(JSON.parse(strFromU8(entries['about.json'] as Uint8Array))).toMatchObject({
        app: { versions: { electron: '41.7.1' } },
        os: { platform: process.platform },
      });
    } finally {
      await stopped(app);
    }
  });
});
