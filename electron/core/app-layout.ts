import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { posix, win32 } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LaunchSpec } from './clients/client-catalog.js';
import { stdioEntryLaunch } from './clients/client-catalog.js';

/** What the running app knows about where it is: Electron's process and app values, injected. */
export interface AppLocation {
  os: 'darwin' | 'win32' | 'linux';
  /** app.isPackaged. */
  packaged: boolean;
  /** process.execPath: the app's own binary. */
  execPath: string;
  /** process.resourcesPath (packaged): the folder beside app.asar that holds the extra resources. */
  resourcesPath: string;
  /** The folder of main.cjs (__dirname): dist/electron in a checkout. */
  mainDir: string;
  /** app.getPath('userData'). */
  userData: string;
  env: Record<string, string | undefined>;
}

/** Every path the app uses, resolved once: the main process opens nothing else. */
export interface AppLayout {
  /** renderer/, app/, server/ and tray/ (see electron-builder.yml). */
  resources: string;
  preload: string;
  pageUrl: string;
  trayIcon(color: 'green' | 'amber' | 'red' | 'grey'): string;
  /** The server bundle the supervisor runs with the app's binary as Node. */
  serverEntry: string;
  /** The stdio entry as shipped in the resources. */
  shippedStdioEntry: string;
  /**
   * Where client configs point: the shipped entry, or a copy in the app's data folder when the
   * shipped one lives on a mount that changes every launch (AppImage, Windows portable).
   */
  stdioEntry: string;
  /** What AI clients run: command, args and env written into their configs. */
  launch: LaunchSpec;
  /** Set when configs written now would break (the app runs from a disk image or a translocated copy). */
  unstableLocation: string | null;
}

/**
 * Where the app is, and what AI clients must launch so their configs survive a restart of the
 * app. An AppImage runs from /tmp/.mount_XXXX, a new folder every launch that disappears on
 * quit: configs launch the AppImage file itself ($APPIMAGE) with a copy of the stdio entry in the
 * app's data folder. The Windows portable build does the same with PORTABLE_EXECUTABLE_FILE.
 */
export function appLayout(location: AppLocation): AppLayout {
  const path = location.os === 'win32' ? win32 : posix;
  // Packaged: the resources folder. From a checkout: dist/ (main.cjs is dist/electron/main.cjs).
  const resources = location.packaged ? location.resourcesPath : path.join(location.mainDir, '..');
  const shippedStdioEntry = path.join(resources, 'app', 'stdio-entry.mjs');
  const wrapper =
    location.os === 'linux' ? location.env.APPIMAGE : location.os === 'win32' ? location.env.PORTABLE_EXECUTABLE_FILE : undefined;
  const stdioEntry = wrapper ? path.join(location.userData, 'app', 'stdio-entry.mjs') : shippedStdioEntry;
  return {
    resources,
    preload: path.join(location.mainDir, 'preload.cjs'),
    pageUrl: fileUrl(location.os, path.join(resources, 'renderer', 'index.html')),
    trayIcon: (color) => path.join(resources, 'tray', `tray-${color}.png`),
    serverEntry: path.join(resources, 'server', 'rabbitmq-mcp-server.mjs'),
    shippedStdioEntry,
    stdioEntry,
    launch: wrapper
      ? withAppLaunch(stdioEntryLaunch(wrapper, stdioEntry, location.userData), [wrapper, '--hidden'])
      : stdioEntryLaunch(location.execPath, stdioEntry, location.userData),
    unstableLocation: unstableLocation(location),
  };
}

/** The entry starts a stopped app with this command, not with the binary inside a mount that is gone. */
function withAppLaunch(launch: LaunchSpec, command: string[]): LaunchSpec {
  return { ...launch, env: { ...launch.env, RABBITMQ_MCP_LAUNCH: JSON.stringify(command) } };
}

/** A file: URL for a path of the app's OS (computed on any OS, so every layout is testable here). */
function fileUrl(os: AppLocation['os'], file: string): string {
  return os === 'win32' ? new URL(`file:///${file.replace(/\\/g, '/')}`).toString() : pathToFileURL(file).toString();
}

function unstableLocation(location: AppLocation): string | null {
  if (location.os !== 'darwin' || !location.packaged) return null;
  if (location.execPath.includes('/AppTranslocation/'))
    return 'macOS is running RabbitMQ MCP from a temporary copy (App Translocation). Move RabbitMQ MCP to the Applications folder, open it from there, then connect again.';
  if (location.execPath.startsWith('/Volumes/'))
    return 'RabbitMQ MCP is running from its disk image. Drag it to the Applications folder, open it from there, then connect again.';
  return null;
}

/**
 * Puts the stdio entry where client configs point, when that is not the shipped file: a copy
 * that survives the AppImage's mount, rewritten only when this version ships another one.
 */
export async function installStdioEntry(layout: AppLayout): Promise<void> {
  if (layout.stdioEntry === layout.shippedStdioEntry) return;
  const shipped = await readFile(layout.shippedStdioEntry);
  const current = await readFile(layout.stdioEntry).catch(() => null);
  if (current?.equals(shipped)) return;
  const folder = layout.stdioEntry.slice(0, Math.max(layout.stdioEntry.lastIndexOf('/'), layout.stdioEntry.lastIndexOf('\\')));
  await mkdir(folder, { recursive: true });
  const temporary = `${layout.stdioEntry}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, shipped);
  await rename(temporary, layout.stdioEntry);
}
