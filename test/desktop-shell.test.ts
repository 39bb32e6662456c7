import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AppApi, ProfileInput, SupervisorState } from '../electron/shared/contract.js';
import { API_EVENTS, API_METHODS } from '../electron/shared/contract.js';
import { argumentSchemas } from '../electron/shell/ipc-contract.js';
import { type IpcMainLike, forwardEvents, registerApiHandlers } from '../electron/shell/ipc-server.js';
import { type IpcRendererLike, createPreloadApi } from '../electron/shell/preload-api.js';
import { type TrayState, trayIcon, trayMenu } from '../electron/shell/tray-menu.js';
import { CONTENT_SECURITY_POLICY, isAppPage, webPreferences } from '../electron/shell/window-security.js';

const PAGE = 'file:///Applications/RabbitMQ%20MCP.app/Contents/Resources/renderer/index.html';

const input: ProfileInput = {
  name: 'Staging',
  amqp: { host: 'rabbit.staging', port: 5671, tls: { enabled: true, verify: true } },
  management: { host: 'rabbit.staging', port: 15671, basePath: '', tls: { enabled: true, verify: true } },
  user: 'ops',
  vhost: '/',
  safety: 'read-only',
};

/** An in-memory ipcMain + ipcRenderer pair that behaves like Electron's invoke/handle. */
function ipcPair(senderUrl: string) {
  const handlers = new Map<string, (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown>();
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const main: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  const renderer: IpcRendererLike = {
    invoke: async (channel, ...args) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      // Electron clones arguments and answers across processes.
      return structuredClone(await handler({ senderFrame: { url: senderUrl } }, ...structuredClone(args)));
    },
    on: (channel, listener) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener)),
    removeListener: (channel, listener) => listeners.get(channel)?.delete(listener),
  };
  const send = (channel: string, payload: unknown) => {
    for (const listener of listeners.get(channel) ?? []) listener({ sender: 'the IpcRendererEvent, with ports and sender' }, payload);
  };
  return { main, renderer, send, handlers, listeners };
}

/** A host that records what reached it. */
function recordingHost() {
  const calls: { method: string; args: unknown[] }[] = [];
  const subscribers = new Map<string, Set<(payload: unknown) => void>>();
  const api: Record<string, unknown> = {};
  for (const [namespace, methods] of Object.entries(API_METHODS)) {
    api[namespace] = Object.fromEntries(
      methods.map((method) => [
        method,
        async (...args: unknown[]) => {
          calls.push({ method: `${namespace}.${method}`, args });
          return { answered: `${namespace}.${method}` };
        },
      ]),
    );
  }
  api.events = {
    on: (event: string, listener: (payload: unknown) => void) => {
      subscribers.set(event, (subscribers.get(event) ?? new Set()).add(listener));
      return () => subscribers.get(event)?.delete(listener);
    },
  };
  const emit = (event: string, payload: unknown) => {
    for (const listener of subscribers.get(event) ?? []) listener(payload);
  };
  return { api: api as unknown as AppApi, calls, emit, subscribers };
}

describe('the preload API', () => {
  it('exposes exactly the contract: every method, no ipcRenderer, no generic invoke', () => {
    const { renderer } = ipcPair(PAGE);
    const api = createPreloadApi(renderer) as unknown as Record<string, Record<string, unknown>>;
    expect(Object.keys(api).sort()).toEqual([...Object.keys(API_METHODS), 'events'].sort());
    for (const [namespace, methods] of Object.entries(API_METHODS)) {
      expect(Object.keys(api[namespace] ?? {}).sort()).toEqual([...methods].sort());
      for (const method of methods) expect(typeof api[namespace]?.[method]).toBe('function');
    }
    expect(Object.keys(api.events ?? {})).toEqual(['on']);
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/invoke|send|ipc/);
  });

  it('carries calls to the host and the host answers back, through the checks', async () => {
    const { main, renderer } = ipcPair(PAGE);
    const host = recordingHost();
    registerApiHandlers(main, host.api, (url) => isAppPage(url, PAGE));
    const api = createPreloadApi(renderer);
    await expect(api.profiles.create(input, 's3cret')).resolves.toEqual({ answered: 'profiles.create' });
    await expect(api.logs.tail({ level: 'warn', search: 'orders' })).resolves.toEqual({ answered: 'logs.tail' });
    await api.profiles.update('p1', input);
    // The host gets the profile as the checks parsed it: what the person left out has its default.
    const parsed = { ...input, approval: 'destructive' };
    expect(host.calls).toEqual([
      { method: 'profiles.create', args: [parsed, 's3cret'] },
      { method: 'logs.tail', args: [{ level: 'warn', search: 'orders' }] },
      { method: 'profiles.update', args: ['p1', parsed] },
    ]);
  });

  it('hands event listeners the payload only, never the Electron event, and unsubscribes', () => {
    const { renderer, send, listeners } = ipcPair(PAGE);
    const api = createPreloadApi(renderer);
    const seen: unknown[][] = [];
    const stop = api.events.on('server-state', (...args) => seen.push(args));
    const state: SupervisorState = { status: 'stopped' };
    send('event:server-state', state);
    expect(seen).toEqual([[state]]);
    stop();
    send('event:server-state', state);
    expect(seen).toHaveLength(1);
    expect(listeners.get('event:server-state')?.size).toBe(0);
    expect(() => api.events.on('shell-exec' as never, () => undefined)).toThrow(/unknown event shell-exec/);
  });
});

describe('the main-process IPC handlers', () => {
  it('refuse calls from any page but the app’s own', async () => {
    for (const url of [
      'https://evil.example/index.html',
      'file:///tmp/index.html',
      `${PAGE.replace('index.html', 'other.html')}`,
      'devtools://devtools/x',
      '',
    ]) {
      const { main, renderer } = ipcPair(url);
      const host = recordingHost();
      registerApiHandlers(main, host.api, (page) => isAppPage(page, PAGE));
      await expect(createPreloadApi(renderer).profiles.list()).rejects.toThrow(/did not come from the app's window/);
      expect(host.calls).toEqual([]);
    }
    // The same page with a hash or query (client-side state) is still the app.
    expect(isAppPage(`${PAGE}#/logs`, PAGE)).toBe(true);
    expect(isAppPage(`${PAGE}?x=1`, PAGE)).toBe(true);
  });

  it('reject arguments that do not match the contract and say which', async () => {
    const { main, renderer } = ipcPair(PAGE);
    const host = recordingHost();
    registerApiHandlers(main, host.api, (url) => isAppPage(url, PAGE));
    const api = createPreloadApi(renderer) as unknown as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>;
    await expect(api.clients?.connect?.('/etc/passwd')).rejects.toThrow(/Invalid arguments for clients:connect: 0: /);
    await expect(api.profiles?.create?.({ ...input, amqp: { ...input.amqp, port: 99999 } }, 'pw')).rejects.toThrow(
      /profiles:create: 0\.amqp\.port/,
    );
    await expect(api.profiles?.remove?.()).rejects.toThrow(/Invalid arguments for profiles:remove/);
    await expect(api.logs?.tail?.({ level: 'trace' })).rejects.toThrow(/logs:tail: 0\.level/);
    await expect(api.logs?.tail?.({ limit: 5000, extra: true })).rejects.toThrow(/logs:tail/);
    await expect(api.app?.info?.('unexpected')).rejects.toThrow(/app:info/);
    expect(host.calls).toEqual([]);
  });

  it('register one handler per method, all removed on teardown', () => {
    const { main, handlers } = ipcPair(PAGE);
    const stop = registerApiHandlers(main, recordingHost().api, () => true);
    const expected = Object.entries(API_METHODS).flatMap(([namespace, methods]) => methods.map((method) => `${namespace}:${method}`));
    expect([...handlers.keys()].sort()).toEqual(expected.sort());
    for (const [namespace, methods] of Object.entries(argumentSchemas))
      expect(Object.keys(methods).sort()).toEqual([...API_METHODS[namespace as keyof typeof API_METHODS]].sort());
    stop();
    expect(handlers.size).toBe(0);
  });

  it('forward every host event to the window until stopped', () => {
    const host = recordingHost();
    const sent: [string, unknown][] = [];
    const stop = forwardEvents(host.api, (channel, payload) => sent.push([channel, payload]));
    for (const event of API_EVENTS) host.emit(event, { event });
    expect(sent).toEqual(API_EVENTS.map((event) => [`event:${event}`, { event }]));
    stop();
    host.emit('server-state', {});
    expect(sent).toHaveLength(API_EVENTS.length);
  });
});

describe('the window', () => {
  it('runs sandboxed, isolated, without Node', () => {
    expect(webPreferences('/app/preload.cjs')).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
  });

  it('ships the same Content-Security-Policy the shell declares, with no inline or remote scripts', () => {
    const html = readFileSync(new URL('../renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|https?:/);
  });
});

describe('the tray', () => {
  const profiles = [
    { id: 'a', name: 'Local', active: false },
    { id: 'b', name: 'Production', active: true },
  ];
  const at = (server: SupervisorState, openAtLogin: boolean | null = false): TrayState => ({ server, profiles, openAtLogin });
  const actions = (menu: ReturnType<typeof trayMenu>) => menu.flatMap((item) => (item.action ? [item.action.kind] : []));

  it('colours the icon by server state and says why in the tooltip', () => {
    expect(trayIcon(at({ status: 'healthy', profileId: 'b', profileName: 'Production', pid: 1, url: 'http://x' }))).toEqual({
      color: 'green',
      tooltip: 'RabbitMQ MCP: Production connected',
    });
    expect(
      trayIcon(
        at({
          status: 'degraded',
          profileId: 'b',
          profileName: 'Production',
          pid: 1,
          url: 'x',
          reason: 'the broker refuses connections',
          advice: 'Check it.',
          action: 'wait',
        }),
      ).color,
    ).toBe('amber');
    const failed = trayIcon(
      at({ status: 'failed', profileId: 'b', profileName: 'Production', exit: 'code 1', crashes: 5, lastLines: [], message: 'm' }),
    );
    expect(failed).toEqual({ color: 'red', tooltip: 'RabbitMQ MCP: Production keeps crashing; open the app' });
    expect(trayIcon({ server: { status: 'stopped' }, profiles: [], openAtLogin: false }).tooltip).toMatch(/add a broker/);
  });

  it('lists the profiles as a radio group with the active one checked; a click switches', () => {
    const menu = trayMenu(at({ status: 'healthy', profileId: 'b', profileName: 'Production', pid: 1, url: 'x' }));
    const radios = menu.filter((item) => item.type === 'radio');
    expect(radios).toEqual([
      { action: { kind: 'activate-profile', profileId: 'a' }, label: 'Local', type: 'radio', checked: false },
      { action: { kind: 'activate-profile', profileId: 'b' }, label: 'Production', type: 'radio', checked: true },
    ]);
    expect(menu[0]).toEqual({ label: '● Connected: Production', enabled: false });
    expect(actions(menu)).toEqual([
      'activate-profile',
      'activate-profile',
      'open-window',
      'toggle-start-at-login',
      'disconnect-all',
      'about',
      'quit',
    ]);
  });

  it('offers a restart only when the server failed, and start-at-login only where the system has it', () => {
    const failed = trayMenu(
      at({ status: 'failed', profileId: 'b', profileName: 'Production', exit: 'code 1', crashes: 5, lastLines: [], message: 'm' }, null),
    );
    expect(actions(failed)).toEqual([
      'activate-profile',
      'activate-profile',
      'open-window',
      'restart-server',
      'disconnect-all',
      'about',
      'quit',
    ]);
    expect(trayMenu(at({ status: 'stopped' }, true)).find((item) => item.action?.kind === 'toggle-start-at-login')).toMatchObject({
      type: 'checkbox',
      checked: true,
    });
    expect(trayMenu({ server: { status: 'stopped' }, profiles: [], openAtLogin: false })[2]).toEqual({
      label: 'No broker yet: open the app to add one',
      enabled: false,
    });
  });
});
