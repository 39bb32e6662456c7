/**
 * A stand-in for the `electron` module, so the built dist/electron/main.cjs runs under plain
 * Node exactly as it ships: loaded with `node --require <this, bundled> main.cjs`, it answers
 * `require('electron')` in main.cjs and in the preload, implements what main.ts and its shell use
 * (app, Tray, Menu, BrowserWindow, ipcMain, nativeImage, dialog, safeStorage, shell, and for the
 * preload contextBridge and ipcRenderer), and records what it is asked. Only the operating
 * system's part is stood in for: the host, the supervised server, the broker and the client
 * configs behind it are the real ones.
 *
 * The test talks to it over Node's IPC channel (the process is spawned with 'ipc'):
 *   test → app: { id, op: 'call', path: 'profiles.create', args } (through the preload's API),
 *               { id, op: 'click', label } (a tray menu item), { id, op: 'quit' }
 *   app → test: { id, ok, value | error }, and { record } for everything main.cjs asks of Electron.
 *
 * The preload runs like a sandboxed one: in its own V8 context, where require() knows only
 * 'electron' (and the few modules Electron's sandbox allows), and its API is handed over by
 * contextBridge; invoke() clones arguments and answers as Electron does.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, watch, writeFileSync, closeSync } from 'node:fs';
import { type ClientRequestArgs, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import Module from 'node:module';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

export interface StandInRecord {
  at: number;
  kind: string;
  [key: string]: unknown;
}

interface Command {
  id: number;
  op: 'call' | 'click' | 'quit' | 'records' | 'answer-dialog';
  path?: string;
  args?: unknown[];
  label?: string;
}

const env = process.env;
// What Electron's main process has and plain Node does not.
Object.assign(process, {
  type: 'browser',
  resourcesPath: env.STAND_IN_RESOURCES ?? dirname(dirname(dirname(dirname(process.argv[1] ?? '')))),
});
// process.versions in Electron's main process also names Electron and its Chrome (the About box shows them).
Object.defineProperty(process.versions, 'electron', { value: env.STAND_IN_ELECTRON_VERSION ?? '41.7.1', enumerable: true });
Object.defineProperty(process.versions, 'chrome', { value: '146.0.7680.0', enumerable: true });
// Electron's event loop runs until app.exit(); Node's would end once nothing is pending.
const keepAlive = setInterval(() => undefined, 1 << 30);
const userData = env.STAND_IN_USER_DATA ?? join(env.HOME ?? '/tmp', '.config', 'RabbitMQ MCP');
const records: StandInRecord[] = [];

function record(kind: string, fields: Record<string, unknown> = {}): void {
  const entry = { at: Date.now(), kind, ...fields };
  records.push(entry);
  process.send?.({ record: entry });
}

// --- what main.cjs requires ------------------------------------------------------------------
const self = __filename;
const resolve = (Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string })._resolveFilename;
(Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string })._resolveFilename = function (
  request: string,
  ...rest: unknown[]
) {
  if (request === 'electron') return self;
  return resolve.call(this, request, ...rest);
};
const originalRequire = Module.prototype.require;
Module.prototype.require = function (this: NodeJS.Module, request: string) {
  if (/(^|[\\/])(main|preload)\.cjs$/.test(this.filename ?? '')) {
    record('require', {
      from: this.filename,
      request,
      builtin: request === 'electron' || builtinModules.includes(request.replace(/^node:/, '')),
    });
  }
  return originalRequire.call(this, request) as unknown;
} as typeof Module.prototype.require;

// --- app --------------------------------------------------------------------------------------
class App extends EventEmitter {
  isPackaged = env.STAND_IN_PACKAGED === '1';
  #ready = false;
  #quitting = false;
  #loginItem = { openAtLogin: false };
  #lock: string | null = null;

  constructor() {
    super();
    setImmediate(() => {
      this.#ready = true;
      record('app.ready');
      this.emit('ready');
    });
  }

  whenReady(): Promise<void> {
    return this.#ready ? Promise.resolve() : new Promise((done) => this.once('ready', () => done()));
  }

  isReady(): boolean {
    return this.#ready;
  }

  getPath(name: string): string {
    const home = env.HOME ?? '/tmp';
    const paths: Record<string, string> = {
      home,
      userData,
      appData: dirname(userData),
      downloads: join(home, 'Downloads'),
      temp: env.TMPDIR ?? '/tmp',
      logs: join(userData, 'logs'),
    };
    const path = paths[name];
    if (!path) throw new Error(`stand-in: app.getPath('${name}') is not known`);
    return path;
  }

  getVersion(): string {
    const manifest = join(dirname(process.argv[1] ?? ''), '..', '..', 'package.json');
    return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : '0.0.0';
  }

  getName(): string {
    return 'RabbitMQ MCP';
  }

  /** The folder of the app's package.json: next to main.cjs here (Electron: app.asar when packaged). */
  getAppPath(): string {
    return dirname(process.argv[1] ?? '');
  }

  /** Electron's lock is per userData folder; this one is a pid file there, and a folder of wake-up notes. */
  requestSingleInstanceLock(): boolean {
    mkdirSync(userData, { recursive: true });
    const lock = join(userData, 'stand-in-instance.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lock, 'wx');
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        this.#lock = lock;
        const notes = join(userData, 'stand-in-second-instance');
        mkdirSync(notes, { recursive: true });
        watch(notes, { persistent: false }, () => {
          for (const note of readdirSync(notes)) {
            const argv = JSON.parse(readFileSync(join(notes, note), 'utf8')) as string[];
            rmSync(join(notes, note), { force: true });
            record('app.second-instance', { argv });
            this.emit('second-instance', {}, argv, process.cwd());
          }
        });
        record('app.single-instance-lock', { granted: true });
        return true;
      } catch {
        const holder = Number(readFileSync(lock, 'utf8'));
        let alive = false;
        try {
          process.kill(holder, 0);
          alive = true;
        } catch {
          alive = false;
        }
        if (!alive) {
          rmSync(lock, { force: true });
          continue;
        }
        writeFileSync(join(userData, 'stand-in-second-instance', `${process.pid}.json`), JSON.stringify(process.argv));
        record('app.single-instance-lock', { granted: false });
        return false;
      }
    }
    return false;
  }

  /** As Electron: another instance may now take the lock (an updated app starting as this one quits). */
  releaseSingleInstanceLock(): void {
    record('app.releaseSingleInstanceLock');
    if (this.#lock) rmSync(this.#lock, { force: true });
    this.#lock = null;
  }

  getLoginItemSettings(): { openAtLogin: boolean } {
    return { ...this.#loginItem };
  }

  setLoginItemSettings(settings: { openAtLogin: boolean }): void {
    record('app.setLoginItemSettings', settings);
    this.#loginItem = { openAtLogin: settings.openAtLogin };
  }

  /** As Electron: before-quit (may be prevented), will-quit, quit, then the process ends. */
  quit(): void {
    if (this.#quitting) return;
    let prevented = false;
    const event = {
      preventDefault: () => {
        prevented = true;
      },
    };
    this.emit('before-quit', event);
    if (prevented) {
      record('app.quit', { prevented: true });
      return;
    }
    this.#quitting = true;
    this.emit('will-quit', event);
    this.emit('quit', event, 0);
    record('app.quit', { prevented: false });
    this.exit(0);
  }

  exit(code = 0): void {
    if (this.#lock) rmSync(this.#lock, { force: true });
    record('app.exit', { code });
    clearInterval(keepAlive);
    // Let the last records reach the test before the channel closes.
    setImmediate(() => process.exit(code));
  }
}

export const app = new App();
// Electron quits gracefully on SIGTERM and SIGINT (the session ending, `kill`).
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => app.quit());

// --- tray, menus, images ---------------------------------------------------------------------
interface NativeImage {
  path: string;
  isEmpty(): boolean;
}

export const nativeImage = {
  createFromPath(path: string): NativeImage {
    const exists = existsSync(path);
    record('nativeImage.createFromPath', { path, exists });
    return { path, isEmpty: () => !exists };
  },
  createEmpty(): NativeImage {
    return { path: '', isEmpty: () => true };
  },
};

interface MenuItemOptions {
  label?: string;
  type?: string;
  checked?: boolean;
  enabled?: boolean;
  click?: (...args: unknown[]) => void;
}

class MenuStandIn {
  constructor(readonly items: MenuItemOptions[]) {}
}

let contextMenu: MenuStandIn | null = null;

export const Menu = {
  buildFromTemplate(template: MenuItemOptions[]): MenuStandIn {
    return new MenuStandIn(template);
  },
  setApplicationMenu(): void {},
};

export class Tray extends EventEmitter {
  constructor(image: NativeImage) {
    super();
    record('tray.new', { image: image.path });
  }

  setImage(image: NativeImage): void {
    record('tray.setImage', { image: image.path, exists: !image.isEmpty() });
  }

  setToolTip(tooltip: string): void {
    record('tray.setToolTip', { tooltip });
  }

  setContextMenu(menu: MenuStandIn): void {
    contextMenu = menu;
    record('tray.setContextMenu', {
      items: menu.items.map(({ label, type, checked, enabled, click }) => ({ label, type, checked, enabled, clickable: Boolean(click) })),
    });
  }

  destroy(): void {
    record('tray.destroy');
  }
}

// --- IPC and the window ------------------------------------------------------------------------
type Handler = (event: unknown, ...args: unknown[]) => unknown;
const handlers = new Map<string, Handler>();
const rendererListeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();

export const ipcMain = Object.assign(new EventEmitter(), {
  handle(channel: string, handler: Handler): void {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, handler);
    record('ipcMain.handle', { channel });
  },
  removeHandler(channel: string): void {
    handlers.delete(channel);
  },
});

let exposed: Record<string, unknown> = {};
let currentPage: { url: string; window: BrowserWindow } | null = null;

class WebContents extends EventEmitter {
  constructor(readonly window: BrowserWindow) {
    super();
  }

  send(channel: string, payload: unknown): void {
    record('webContents.send', { channel });
    const copy = structuredClone(payload);
    for (const listener of rendererListeners.get(channel) ?? []) listener({ sender: this }, copy);
  }

  setWindowOpenHandler(handler: unknown): void {
    record('webContents.setWindowOpenHandler', { set: typeof handler === 'function' });
  }

  isDestroyed(): boolean {
    return this.window.isDestroyed();
  }
}

/** Runs the preload as Electron's sandbox does: its own context, require('electron') and little else. */
function runPreload(file: string, window: BrowserWindow): void {
  const sandboxed = new Set(['events', 'timers', 'url']);
  const electronForPreload = {
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown): void {
        record('contextBridge.exposeInMainWorld', { key });
        exposed = { ...exposed, [key]: api };
      },
    },
    ipcRenderer: {
      async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
        const handler = handlers.get(channel);
        if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
        try {
          const answer = await handler(
            { senderFrame: { url: currentPage?.url ?? '' }, sender: window.webContents },
            ...structuredClone(args),
          );
          return structuredClone(answer);
        } catch (error) {
          throw new Error(`Error invoking remote method '${channel}': ${String(error)}`);
        }
      },
      on(channel: string, listener: (event: unknown, payload: unknown) => void): void {
        rendererListeners.set(channel, (rendererListeners.get(channel) ?? new Set()).add(listener));
      },
      removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void {
        rendererListeners.get(channel)?.delete(listener);
      },
    },
  };
  const sandboxRequire = (name: string): unknown => {
    if (name === 'electron') return electronForPreload;
    if (sandboxed.has(name)) return originalRequire.call(module, name);
    record('preload.require-refused', { name });
    throw new Error(`module not found: ${name}`);
  };
  const moduleObject = { exports: {} as Record<string, unknown> };
  const context = vm.createContext({ require: sandboxRequire, module: moduleObject, exports: moduleObject.exports, console });
  vm.runInContext(readFileSync(file, 'utf8'), context, { filename: file });
}

export class BrowserWindow extends EventEmitter {
  readonly webContents = new WebContents(this);
  #destroyed = false;
  #visible = false;

  constructor(readonly options: { width?: number; height?: number; webPreferences?: Record<string, unknown> }) {
    super();
    record('BrowserWindow.new', {
      width: options.width,
      height: options.height,
      webPreferences: options.webPreferences,
      preloadExists: existsSync(String(options.webPreferences?.preload ?? '')),
    });
  }

  async loadURL(url: string): Promise<void> {
    const file = url.startsWith('file:') ? fileURLToPath(url) : null;
    record('BrowserWindow.loadURL', { url, exists: file ? existsSync(file) : false });
    currentPage = { url, window: this };
    exposed = {};
    const preload = this.options.webPreferences?.preload;
    if (typeof preload === 'string') runPreload(preload, this);
    setImmediate(() => this.emit('ready-to-show'));
  }

  show(): void {
    this.#visible = true;
    record('BrowserWindow.show');
  }

  focus(): void {}

  hide(): void {
    this.#visible = false;
  }

  isVisible(): boolean {
    return this.#visible;
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  close(): void {
    this.#destroyed = true;
    currentPage = null;
    record('BrowserWindow.closed');
    this.emit('closed');
  }
}

// --- the rest of what the app uses -----------------------------------------------------------
export const dialog = {
  async showSaveDialog(options: { defaultPath?: string }): Promise<{ canceled: boolean; filePath?: string }> {
    record('dialog.showSaveDialog', { defaultPath: options.defaultPath });
    return { canceled: false, filePath: options.defaultPath };
  },
  /** Picks the file it starts at, as a person accepting the suggestion would. */
  async showOpenDialog(options: { defaultPath?: string }): Promise<{ canceled: boolean; filePaths: string[] }> {
    record('dialog.showOpenDialog', { defaultPath: options.defaultPath });
    return options.defaultPath ? { canceled: false, filePaths: [options.defaultPath] } : { canceled: true, filePaths: [] };
  },
  showErrorBox(title: string, content: string): void {
    record('dialog.showErrorBox', { title, content });
  },
  /**
   * With STAND_IN_MESSAGE_BOX_RESPONSE set, answers at once with that button (as a user clicking
   * it); without, waits as a person would until the test answers: { op: 'answer-dialog', label }.
   * As Electron, an aborted `signal` closes the box, which answers with its cancelId (recorded as
   * dialog.aborted, with the box's title and the abort's reason) and leaves the open boxes.
   */
  showMessageBox(options: {
    type?: string;
    title?: string;
    message: string;
    detail?: string;
    buttons?: string[];
    defaultId?: number;
    cancelId?: number;
    noLink?: boolean;
    signal?: AbortSignal;
  }): Promise<{ response: number; checkboxChecked: boolean }> {
    const buttons = options.buttons ?? ['OK'];
    const preset = env.STAND_IN_MESSAGE_BOX_RESPONSE;
    const response = preset === undefined ? undefined : Number(preset);
    // Electron's default cancelId: a button labelled Cancel or No, else 0.
    const cancelId =
      options.cancelId ??
      Math.max(
        0,
        buttons.findIndex((label) => /^(cancel|no)$/i.test(label)),
      );
    record('dialog.showMessageBox', {
      type: options.type,
      title: options.title,
      message: options.message,
      detail: options.detail,
      buttons,
      defaultId: options.defaultId,
      cancelId: options.cancelId,
      noLink: options.noLink,
      withSignal: options.signal !== undefined,
      ...(response === undefined ? {} : { response }),
    });
    const { signal } = options;
    if (signal?.aborted) {
      record('dialog.aborted', { title: options.title, message: options.message, reason: String(signal.reason) });
      return Promise.resolve({ response: cancelId, checkboxChecked: false });
    }
    if (response !== undefined) return Promise.resolve({ response, checkboxChecked: false });
    return new Promise((resolve) => {
      const box: PendingMessageBox = {
        title: options.title,
        message: options.message,
        buttons,
        answer: (answer) => {
          signal?.removeEventListener('abort', aborted);
          resolve({ response: answer, checkboxChecked: false });
        },
      };
      const aborted = () => {
        const at = pendingMessageBoxes.indexOf(box);
        if (at < 0) return;
        pendingMessageBoxes.splice(at, 1);
        record('dialog.aborted', { title: options.title, message: options.message, reason: String(signal?.reason) });
        resolve({ response: cancelId, checkboxChecked: false });
      };
      signal?.addEventListener('abort', aborted, { once: true });
      pendingMessageBoxes.push(box);
    });
  },
};
interface PendingMessageBox {
  title?: string;
  message: string;
  buttons: string[];
  answer: (response: number) => void;
}
const pendingMessageBoxes: PendingMessageBox[] = [];

/** Electron's net over Node's http and https (electron-updater fetches its feed and files with it). */
export const net = {
  request(options: ClientRequestArgs & { session?: unknown; redirect?: string }) {
    const { session: _session, redirect: _redirect, ...rest } = options;
    record('net.request', {
      url: `${rest.protocol ?? 'http:'}//${rest.hostname ?? rest.host}${rest.port ? `:${rest.port}` : ''}${rest.path ?? '/'}`,
    });
    // Tests reach loopback only: an app started without a test feed must not ask GitHub.
    const host = String(rest.hostname ?? rest.host ?? '');
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
      record('net.request-refused', { host });
      const refused = new EventEmitter() as EventEmitter & { end(): void; abort(): void };
      refused.end = () =>
        setImmediate(() =>
          refused.emit('error', new Error(`net::ERR_NAME_NOT_RESOLVED (the stand-in reaches loopback only, not ${host})`)),
        );
      refused.abort = () => undefined;
      return refused;
    }
    return rest.protocol === 'https:' ? httpsRequest(rest) : httpRequest(rest);
  },
};

export const session = {
  fromPartition(partition: string): { partition: string } {
    return { partition };
  },
};

/** Electron's own (Squirrel) updater: electron-updater only emits 'before-quit-for-update' on it. */
export const autoUpdater = new EventEmitter();

/** Desktop notifications: recorded, as the operating system would show them. */
export class Notification extends EventEmitter {
  static isSupported(): boolean {
    return true;
  }

  constructor(readonly options: { title?: string; body?: string; silent?: boolean }) {
    super();
  }

  show(): void {
    record('notification.show', { title: this.options.title, body: this.options.body });
  }

  close(): void {}
}

/** Encryption that really encrypts (AES-256-GCM, a key kept in userData), as the OS keyring would. */
const keyFile = join(userData, 'stand-in-keyring.key');
function keyringKey(): Buffer {
  mkdirSync(userData, { recursive: true });
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  return createHash('sha256').update(readFileSync(keyFile)).digest();
}

export const safeStorage = {
  isEncryptionAvailable: (): boolean => true,
  getSelectedStorageBackend: (): string => 'gnome_libsecret',
  encryptString(plain: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyringKey(), iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  },
  decryptString(cipherText: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', keyringKey(), cipherText.subarray(0, 12));
    decipher.setAuthTag(cipherText.subarray(12, 28));
    return Buffer.concat([decipher.update(cipherText.subarray(28)), decipher.final()]).toString('utf8');
  },
};

export const shell = {
  async openExternal(url: string): Promise<void> {
    record('shell.openExternal', { url });
  },
  async openPath(path: string): Promise<string> {
    record('shell.openPath', { path });
    return '';
  },
  showItemInFolder(path: string): void {
    record('shell.showItemInFolder', { path });
  },
};

// --- the test's commands ---------------------------------------------------------------------
async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case 'call': {
      const [namespace, method] = (command.path ?? '').split('.');
      const api = exposed.rabbitmqMcp as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>> | undefined;
      const target = api?.[namespace ?? '']?.[method ?? ''];
      if (!target) throw new Error(`the window has no rabbitmqMcp.${command.path} (is the window open?)`);
      return target(...(command.args ?? []));
    }
    case 'click': {
      const item = contextMenu?.items.find((entry) => entry.label === command.label);
      if (!item?.click) throw new Error(`no clickable tray menu item '${command.label}'`);
      record('tray.click', { label: command.label });
      item.click({}, undefined, {});
      return null;
    }
    case 'quit':
      app.quit();
      return null;
    case 'records':
      return records;
    case 'answer-dialog': {
      // The box that opened first, as the person sees it on top; a wrong label leaves it open.
      const box = pendingMessageBoxes[0];
      if (!box) throw new Error('no message box is open');
      const response = box.buttons.indexOf(command.label ?? '');
      if (response < 0) throw new Error(`the message box has no button '${command.label}' (it has ${box.buttons.join(', ')})`);
      pendingMessageBoxes.shift();
      record('dialog.answered', { label: command.label, title: box.title, message: box.message });
      box.answer(response);
      return null;
    }
  }
}

process.on('message', (message: Command) => {
  run(message).then(
    (value) => process.send?.({ id: message.id, ok: true, value: value ?? null }),
    (error: Error) => process.send?.({ id: message.id, ok: false, error: error.message }),
  );
});
