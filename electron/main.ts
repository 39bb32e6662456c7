import { join } from 'node:path';
import { Notification, app, dialog, ipcMain, shell } from 'electron';
import ElectronStore from 'electron-store';
import { autoUpdater } from 'electron-updater';
import { appLayout, installStdioEntry } from './core/app-layout.js';
import { startAtLogin } from './core/autostart/login-items.js';
import { AppHost } from './core/host.js';
import { type StoreShape, storeSchema } from './core/profiles/profile-store.js';
import { SafeStorageSecretStore } from './safe-storage-secret-store.js';
import { AppTray } from './shell/app-tray.js';
import { AppWindow } from './shell/app-window.js';
import { registerApiHandlers } from './shell/ipc-server.js';
import { isAppPage } from './shell/window-security.js';

// Thin wiring only (logic: core/, shell/). A second instance leaves before it opens anything.
if (!app.requestSingleInstanceLock()) process.exit(0);

const os = process.platform as 'darwin' | 'win32' | 'linux';
const home = app.getPath('userData');
const layout = appLayout({
  os,
  packaged: app.isPackaged,
  execPath: process.execPath,
  resourcesPath: process.resourcesPath,
  mainDir: __dirname,
  userData: home,
  env: process.env,
});
const host = new AppHost({
  home,
  store: new ElectronStore<StoreShape>({ name: 'rabbitmq-mcp', schema: storeSchema as never, configFileMode: 0o600 }),
  secrets: new SafeStorageSecretStore(),
  platform: { os, home: app.getPath('home'), env: process.env },
  launch: layout.launch,
  clientSetupBlocked: layout.unstableLocation,
  server: { command: process.execPath, entry: layout.serverEntry, commandEnv: { ELECTRON_RUN_AS_NODE: '1' } },
  version: app.getVersion(),
  chooseExportPath: async (name) => (await dialog.showSaveDialog({ defaultPath: join(app.getPath('downloads'), name) })).filePath || null,
  chooseImportPath: async (defaultPath) =>
    (
      await dialog.showOpenDialog({
        defaultPath,
        properties: ['openFile', 'showHiddenFiles'],
        filters: [
          { name: 'Profiles and rabbitmqadmin files', extensions: ['json', 'conf', 'toml', 'ini'] },
          { name: 'All files', extensions: ['*'] },
        ],
      })
    ).filePaths[0] ?? null,
  updates: {
    updater: autoUpdater,
    // The Settings page's choices are read at each check; RABBITMQ_MCP_UPDATE_FEED names a mirror over them.
    feedOverride: process.env.RABBITMQ_MCP_UPDATE_FEED,
    ask: async ({ version, currentVersion }) =>
      (
        await dialog.showMessageBox({
          type: 'question',
          title: 'RabbitMQ MCP',
          message: `Version ${version} is ready to install`,
          detail: `You have version ${currentVersion}. Restarting closes the app for a moment; its MCP server stops until the new version is up.`,
          buttons: ['Restart now', 'Later'],
          defaultId: 0,
          cancelId: 1,
        })
      ).response === 0,
    // The new version starts as this one quits: it must find the server stopped and the lock free.
    beforeRestart: async () => {
      await shutDown();
      app.releaseSingleInstanceLock();
    },
    restartFailed: (message) => {
      dialog.showErrorBox('RabbitMQ MCP', message);
      app.quit();
    },
  },
  notifications: {
    show: ({ title, body }) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
    // Each cause is on or off as the Settings page's switch for it says, read when it happens.
  },
  autostart: startAtLogin({
    os,
    loginItems: app,
    // An AppImage's mount changes every launch: the file itself starts it.
    command: app.isPackaged ? [process.env.APPIMAGE ?? process.execPath] : [process.execPath, app.getAppPath()],
  }),
  versions: { electron: process.versions.electron, node: process.versions.node, chrome: process.versions.chrome },
  aboutFile: join(layout.resources, 'licences', 'licences.json'),
  openExternal: (url) => shell.openExternal(url),
  // A person approves what the AI changes: one native dialog at a time (core/approvals), Deny first.
  approvals: {
    ask: async ({ title, message, detail }, signal) =>
      (
        await dialog.showMessageBox({
          type: 'warning',
          title,
          message,
          detail,
          buttons: ['Deny', 'Approve'],
          defaultId: 0,
          cancelId: 0,
          noLink: true,
          signal,
        })
      ).response === 1
        ? 'approve'
        : 'deny',
    notify: (title, body) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
  },
});
let shuttingDown: Promise<void> | null = null;
const shutDown = () => (shuttingDown ??= host.dispose());
const window = new AppWindow(host, { url: layout.pageUrl, preload: layout.preload });
const tray = new AppTray(host, layout.trayIcon, {
  openWindow: () => window.show(),
  quit: () => app.quit(),
  report: (message) => dialog.showErrorBox('RabbitMQ MCP', message),
  openAbout: () => {
    host.requestAbout();
    window.show();
  },
  inform: (title, message) => void dialog.showMessageBox({ type: 'info', title, message: title, detail: message }),
  confirm: async (title, message, action) =>
    (
      await dialog.showMessageBox({
        type: 'question',
        title,
        message: title,
        detail: message,
        buttons: [action, 'Cancel'],
        defaultId: 1,
        cancelId: 1,
      })
    ).response === 0,
});

app.on('second-instance', (_event, argv) => argv.includes('--hidden') || window.show());
app.on('window-all-closed', () => undefined); // a tray app keeps running
app.on('before-quit', (event) => {
  // Stop the server before the process goes: no orphan, no stale runtime file.
  event.preventDefault();
  app.removeAllListeners('before-quit');
  void shutDown().finally(() => app.quit());
});

void app.whenReady().then(async () => {
  registerApiHandlers(ipcMain, host, (url) => isAppPage(url, layout.pageUrl));
  await installStdioEntry(layout).catch((error: Error) => dialog.showErrorBox('RabbitMQ MCP', `AI clients cannot start: ${error.message}`));
  await tray.start();
  await host.start();
  if (!process.argv.includes('--hidden') || (await host.app.info()).firstRun) window.show();
});
