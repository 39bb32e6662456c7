import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Autostart } from '../electron/core/autostart/linux-autostart.js';
import { startAtLogin } from '../electron/core/autostart/login-items.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { AppSettingsStore, DEFAULT_SETTINGS } from '../electron/core/settings/app-settings.js';
import { argumentSchemas } from '../electron/shell/ipc-contract.js';

let folder = '';
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'mcp-settings-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const storeFile = () => join(folder, 'rabbitmq-mcp.json');

function memoryAutostart(initial = false): Autostart & { calls: boolean[] } {
  let on = initial;
  const calls: boolean[] = [];
  return { calls, enabled: () => on, set: (value) => void calls.push((on = value)) };
}

describe('the app settings store', () => {
  it('starts with every notification on, automatic update checks from the GitHub releases and 2 minutes to answer an approval', () => {
    expect(new AppSettingsStore({ store: openPlainStore(folder) }).get()).toEqual({
      startAtLogin: false,
      notifications: { alarm: true, 'dead-letters': true, 'idle-queue': true, 'broker-down': true, 'server-crash': true },
      updates: { check: true, feedUrl: '' },
      approvals: { timeoutSeconds: 120 },
    });
  });

  it('reads settings saved before the approval time existed with its default, without a warning', () => {
    const store = openPlainStore(folder);
    store.set('settings', {
      startAtLogin: false,
      notifications: DEFAULT_SETTINGS.notifications,
      updates: { check: false, feedUrl: '' },
    } as never);
    const logged: string[] = [];
    const settings = new AppSettingsStore({ store, log: (message) => logged.push(message) });
    expect(settings.get()).toMatchObject({ updates: { check: false }, approvals: { timeoutSeconds: 120 } });
    expect(logged).toEqual([]);
    expect(settings.update({ approvals: { timeoutSeconds: 45 } }).approvals.timeoutSeconds).toBe(45);
    expect(new AppSettingsStore({ store: openPlainStore(folder) }).get().approvals.timeoutSeconds).toBe(45);
  });

  it('changes only what a patch names, and keeps it across a restart', () => {
    const settings = new AppSettingsStore({ store: openPlainStore(folder) });
    settings.update({ notifications: { 'idle-queue': false } });
    settings.update({ updates: { feedUrl: 'https://updates.example.com/rabbitmq-mcp/' } });
    const reopened = new AppSettingsStore({ store: openPlainStore(folder) }).get();
    expect(reopened.notifications).toEqual({ ...DEFAULT_SETTINGS.notifications, 'idle-queue': false });
    expect(reopened.updates).toEqual({ check: true, feedUrl: 'https://updates.example.com/rabbitmq-mcp/' });
  });

  it.each([
    [{ theme: 'dark' }, /theme: not a setting of this app/],
    [{ notifications: { 'queue-full': false } }, /notifications\.queue-full: not a setting of this app/],
    [
      { updates: { feedUrl: 'ftp://updates.example.com/' } },
      /updates\.feedUrl: the update feed must be an http:\/\/ or https:\/\/ address/,
    ],
    [{ updates: { feedUrl: 'not a url' } }, /updates\.feedUrl: the update feed must be/],
    [{ startAtLogin: 'yes' }, /startAtLogin: /],
    [{ approvals: { timeoutSeconds: 14 } }, /approvals\.timeoutSeconds: the time to answer an approval is at least 15 seconds/],
    [{ approvals: { timeoutSeconds: 901 } }, /approvals\.timeoutSeconds: the time to answer an approval is at most 900 seconds/],
    [{ approvals: { timeoutSeconds: 60.5 } }, /approvals\.timeoutSeconds: the time to answer an approval is a whole number of seconds/],
    [{ approvals: { timeoutSeconds: '60' } }, /approvals\.timeoutSeconds: the time to answer an approval is a number of seconds/],
  ])('refuses %j with what to fix, and changes nothing', (patch, message) => {
    const settings = new AppSettingsStore({ store: openPlainStore(folder) });
    settings.update({ updates: { check: false } });
    const before = readFileSync(storeFile(), 'utf8');
    expect(() => settings.update(patch as never)).toThrow(message);
    expect(() => settings.update(patch as never)).toThrow(/^The settings were not changed: /);
    expect(readFileSync(storeFile(), 'utf8')).toBe(before);
  });

  it('reads a corrupt value as the defaults with one log line, and never touches the other keys', () => {
    const store = openPlainStore(folder);
    store.set('firstRunDone', true);
    const raw = JSON.parse(readFileSync(storeFile(), 'utf8'));
    writeFileSync(storeFile(), JSON.stringify({ ...raw, settings: 'garbage', profiles: [{ id: 'kept' }] }));
    const logged: string[] = [];
    const settings = new AppSettingsStore({ store: openPlainStore(folder), log: (message) => logged.push(message) });
    expect(settings.get()).toEqual(DEFAULT_SETTINGS);
    settings.get();
    expect(logged).toEqual(['the saved settings are not valid; the defaults are used until a setting is changed']);
    const after = JSON.parse(readFileSync(storeFile(), 'utf8'));
    expect(after.settings).toBe('garbage'); // not clobbered by reading
    expect(after.profiles).toEqual([{ id: 'kept' }]);
    expect(after.firstRunDone).toBe(true);
    // The next change writes a whole valid value.
    settings.update({ notifications: { alarm: false } });
    expect(JSON.parse(readFileSync(storeFile(), 'utf8')).settings.notifications.alarm).toBe(false);
  });

  it('keeps the valid parts of a value written by another version, and drops what it does not know', () => {
    const store = openPlainStore(folder);
    store.set('settings', {
      startAtLogin: false,
      notifications: { alarm: false, 'new-cause': true },
      updates: { check: 'sometimes' },
    } as never);
    const logged: string[] = [];
    expect(new AppSettingsStore({ store, log: (message) => logged.push(message) }).get()).toEqual({
      ...DEFAULT_SETTINGS,
      notifications: { ...DEFAULT_SETTINGS.notifications, alarm: false },
    });
    expect(logged).toHaveLength(1);
  });

  it('start at login is the system’s: read from it, and changed there', () => {
    const autostart = memoryAutostart(true);
    const settings = new AppSettingsStore({ store: openPlainStore(folder), autostart });
    expect(settings.get().startAtLogin).toBe(true); // turned on outside the app
    expect(settings.update({ startAtLogin: false }).startAtLogin).toBe(false);
    expect(autostart.calls).toEqual([false]);
    settings.update({ notifications: { alarm: false } });
    expect(autostart.calls).toEqual([false]); // only when asked
  });

  it('uses login items on macOS and Windows and an XDG autostart entry on Linux', () => {
    const asked: unknown[] = [];
    const loginItems = {
      getLoginItemSettings: () => ({ openAtLogin: true }),
      setLoginItemSettings: (value: unknown) => void asked.push(value),
    };
    const mac = startAtLogin({ os: 'darwin', loginItems, command: ['/Applications/RabbitMQ MCP.app/Contents/MacOS/RabbitMQ MCP'] });
    expect(mac.enabled()).toBe(true);
    mac.set(false);
    expect(asked).toEqual([{ openAtLogin: false, args: ['--hidden'] }]);
    const file = join(folder, 'autostart', 'rabbitmq-mcp.desktop');
    const linux = startAtLogin({ os: 'linux', loginItems, command: ['/opt/RabbitMQ MCP/rabbitmq-mcp'], file });
    expect(linux.enabled()).toBe(false);
    linux.set(true);
    expect(readFileSync(file, 'utf8')).toContain('Exec="/opt/RabbitMQ MCP/rabbitmq-mcp" --hidden');
    expect(asked).toHaveLength(1);
  });
});

describe('settings over IPC', () => {
  const update = argumentSchemas.settings.update;
  it('accepts a partial patch and refuses unknown keys and a feed that is not http(s)', () => {
    expect(update.safeParse([{ notifications: { alarm: false } }]).success).toBe(true);
    expect(update.safeParse([{ updates: { feedUrl: 'http://127.0.0.1:8080/feed/' } }]).success).toBe(true);
    expect(update.safeParse([{ updates: { feedUrl: '' } }]).success).toBe(true);
    expect(update.safeParse([{ approval: 'always' }]).success).toBe(false);
    expect(update.safeParse([{ updates: { feedUrl: 'javascript:alert(1)' } }]).success).toBe(false);
    expect(update.safeParse([{ updates: { feedUrl: 'file:///etc/passwd' } }]).success).toBe(false);
    expect(argumentSchemas.about.openLink.safeParse(['https://evil.example']).success).toBe(false);
  });
});
