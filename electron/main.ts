import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, Menu, Tray, app, dialog, ipcMain, nativeImage } from 'electron';
import ElectronStore from 'electron-store';
import { stdioEntryLaunch } from './core/clients/client-catalog.js';
import { AppHost } from './core/host.js';
import { type StoreShape, storeSchema } from './core/profiles/profile-store.js';
import { SafeStorageSecretStore } from './safe-storage-secret-store.js';
import { forwardEvents, registerApiHandlers } from './shell/ipc-server.js';
import { type TrayState, trayIcon, trayMenu } from './shell/tray-menu.js';
import { isAppPage, webPreferences } from './shell/window-security.js';

// Thin wiring only: the logic lives in core/ and shell/, which are tested without Electron.
const hidden = process.argv.includes('--hidden');
if (!app.requestSingleInstanceLock()) {
  // The running instance gets 'second-instance' and shows its window; this one leaves before
  // it opens the store or starts a server.
  process.exit(0);
}

// Packaged: the app's resources folder. From a checkout: dist/ (this file is dist/electron/main.cjs).
// Either way it holds renderer/, app/, server/ and tray/ (see electron-builder.yml).
const resources = app.isPackaged ? process.resourcesPath : join(__dirname, '..');
const home = app.getPath('userData');
const pageUrl = pathToFileURL(join(resources, 'renderer', 'index.html')).toString();
let window: BrowserWindow | null = null;
let tray: Tray | null = null;

const host = new AppHost({
  home,
  store: new ElectronStore<StoreShape>({ name: 'rabbitmq-mcp', schema: storeSchema as never, configFileMode: 0o600 }),
  secrets: new SafeStorageSecretStore(),
  platform: { os: process.platform as 'darwin' | 'win32' | 'linux', home: app.getPath('home'), env: process.env },
  launch: stdioEntryLaunch(process.execPath, join(resources, 'app', 'stdio-entry.mjs'), home),
  server: {
    command: process.execPath,
    entry: join(resources, 'server', 'rabbitmq-mcp-server.mjs'),
    commandEnv: { ELECTRON_RUN_AS_NODE: '1' },
  },
  version: app.getVersion(),
  chooseExportPath: async (name) => (await dialog.showSaveDialog({ defaultPath: join(app.getPath('downloads'), name) })).filePath || null,
});

function showWindow(): void {
  if (!window) {
    window = new BrowserWindow({
      width: 1120,
      height: 780,
      show: false,
      title: 'RabbitMQ MCP',
      webPreferences: webPreferences(join(__dirname, 'preload.cjs')),
    });
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    const stop = forwardEvents(host, (channel, payload) => window?.webContents.send(channel, payload));
    window.on('closed', () => {
      stop();
      window = null;
    });
    window.once('ready-to-show', () => window?.show());
    void window.loadURL(pageUrl);
  } else window.show();
  window.focus();
}

async function refreshTray(): Promise<void> {
  if (!tray) return;
  const state: TrayState = {
    server: await host.server.state(),
    profiles: await host.profiles.list(),
    openAtLogin: process.platform === 'linux' ? null : app.getLoginItemSettings().openAtLogin,
  };
  const icon = trayIcon(state);
  tray.setImage(nativeImage.createFromPath(join(resources, 'tray', `tray-${icon.color}.png`)));
  tray.setToolTip(icon.tooltip);
  const actions: Record<string, () => unknown> = {
    open: showWindow,
    restart: () => host.server.restart(),
    login: () => app.setLoginItemSettings({ openAtLogin: !state.openAtLogin, args: ['--hidden'] }),
    quit: () => app.quit(),
  };
  const template = trayMenu(state).map(({ action, ...item }) => ({
    ...item,
    click: action ? () => void (action.startsWith('profile:') ? host.profiles.activate(action.slice(8)) : actions[action]?.()) : undefined,
  }));
  tray.setContextMenu(Menu.buildFromTemplate(template));
}

app.on('second-instance', (_event, argv) => {
  if (!argv.includes('--hidden')) showWindow();
});
app.on('window-all-closed', () => undefined);
app.on('before-quit', (event) => {
  event.preventDefault();
  app.removeAllListeners('before-quit');
  void host.dispose().finally(() => app.quit());
});

void app.whenReady().then(async () => {
  registerApiHandlers(ipcMain, host, (url) => isAppPage(url, pageUrl));
  tray = new Tray(nativeImage.createFromPath(join(resources, 'tray', 'tray-grey.png')));
  tray.on('click', showWindow);
  host.events.on('server-state', () => void refreshTray());
  host.events.on('profiles-changed', () => void refreshTray());
  await host.start();
  await refreshTray();
  if (!hidden || (await host.app.info()).firstRun) showWindow();
});
