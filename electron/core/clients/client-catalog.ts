import { posix, win32 } from 'node:path';

import type { ClientId } from '../../shared/contract.js';

export type { ClientId };

/** The machine a path is computed for: injected, so every OS is tested on any OS. */
export interface Platform {
  os: 'darwin' | 'win32' | 'linux';
  home: string;
  env: Record<string, string | undefined>;
}

/** How an AI client starts our stdio entry: the app's own binary, run as Node. */
export interface LaunchSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface ClientDefinition {
  id: ClientId;
  name: string;
  /** Where the client reads its MCP servers, most specific first; the first that exists wins. */
  configPaths(platform: Platform): string[];
  /** Folders whose presence means the client is installed. */
  installMarkers(platform: Platform): string[];
  /** Key path of the servers object in the file. */
  serversKey: string[];
  /** Our entry in that client's shape. */
  entry(launch: LaunchSpec): Record<string, unknown>;
  /** What to tell the user after a change. */
  relaunch: string;
  /**
   * The client's own command line for its servers, used instead of editing the file when it is on
   * PATH: the client rewrites its file all the time, and its CLI is the change it expects.
   */
  cli?: {
    command: string;
    add(name: string, entry: Record<string, unknown>): string[];
    remove(name: string): string[];
  };
}

export const ENTRY_NAME = 'rabbitmq';

/**
 * What AI clients run: the app's own executable as Node (ELECTRON_RUN_AS_NODE), so no system
 * Node is needed, with the stdio entry shipped in the app's resources. No secret goes in here.
 */
export function stdioEntryLaunch(appExecutable: string, entryPath: string, appHome: string): LaunchSpec {
  return { command: appExecutable, args: [entryPath], env: { ELECTRON_RUN_AS_NODE: '1', RABBITMQ_MCP_HOME: appHome } };
}

function paths(platform: Platform) {
  return platform.os === 'win32' ? win32 : posix;
}

function appData(platform: Platform): string {
  return platform.env.APPDATA ?? win32.join(platform.home, 'AppData', 'Roaming');
}

function localAppData(platform: Platform): string {
  return platform.env.LOCALAPPDATA ?? win32.join(platform.home, 'AppData', 'Local');
}

function xdgConfig(platform: Platform): string {
  return platform.env.XDG_CONFIG_HOME ?? posix.join(platform.home, '.config');
}

/** The per-user settings folder of an Electron-style app ("Claude", "Code"). */
function userDataDir(platform: Platform, name: string): string {
  if (platform.os === 'darwin') return posix.join(platform.home, 'Library', 'Application Support', name);
  if (platform.os === 'win32') return win32.join(appData(platform), name);
  return posix.join(xdgConfig(platform), name);
}

/** Claude Desktop installed from the Microsoft Store / MSIX keeps its AppData inside its package. */
function claudePackagedDir(platform: Platform): string {
  return win32.join(localAppData(platform), 'Packages', 'Claude_pzs8sxrjxfjjc', 'LocalCache', 'Roaming', 'Claude');
}

const plain = (launch: LaunchSpec) => ({ command: launch.command, args: launch.args, env: launch.env });
const typed = (launch: LaunchSpec) => ({ type: 'stdio', command: launch.command, args: launch.args, env: launch.env });

export const clients: readonly ClientDefinition[] = [
  {
    id: 'claude-desktop',
    name: 'Claude Desktop',
    configPaths: (platform) => [
      ...(platform.os === 'win32' ? [win32.join(claudePackagedDir(platform), 'claude_desktop_config.json')] : []),
      paths(platform).join(userDataDir(platform, 'Claude'), 'claude_desktop_config.json'),
    ],
    installMarkers: (platform) => [...(platform.os === 'win32' ? [claudePackagedDir(platform)] : []), userDataDir(platform, 'Claude')],
    serversKey: ['mcpServers'],
    entry: plain,
    relaunch: 'Quit Claude Desktop completely (also from the tray or menu bar) and open it again.',
  },
  {
    id: 'claude-code',
    name: 'Claude Code',
    configPaths: (platform) => [paths(platform).join(platform.home, '.claude.json')],
    installMarkers: (platform) => [paths(platform).join(platform.home, '.claude'), paths(platform).join(platform.home, '.claude.json')],
    serversKey: ['mcpServers'],
    entry: typed,
    relaunch: 'Start a new Claude Code session (or run /mcp) to load the server.',
    cli: {
      command: 'claude',
      add: (name, entry) => ['mcp', 'add-json', name, JSON.stringify(entry), '--scope', 'user'],
      remove: (name) => ['mcp', 'remove', name, '--scope', 'user'],
    },
  },
  {
    id: 'cursor',
    name: 'Cursor',
    configPaths: (platform) => [paths(platform).join(platform.home, '.cursor', 'mcp.json')],
    installMarkers: (platform) => [paths(platform).join(platform.home, '.cursor')],
    serversKey: ['mcpServers'],
    entry: plain,
    relaunch: 'Restart Cursor (or toggle the server in Settings → MCP).',
  },
  {
    id: 'vscode',
    name: 'VS Code',
    configPaths: (platform) => [paths(platform).join(userDataDir(platform, 'Code'), 'User', 'mcp.json')],
    installMarkers: (platform) => [paths(platform).join(userDataDir(platform, 'Code'), 'User')],
    serversKey: ['servers'],
    entry: typed,
    relaunch: 'Reload the VS Code window (Developer: Reload Window) and start the server from the MCP view.',
  },
  {
    id: 'windsurf',
    name: 'Windsurf',
    configPaths: (platform) => [paths(platform).join(platform.home, '.codeium', 'windsurf', 'mcp_config.json')],
    installMarkers: (platform) => [paths(platform).join(platform.home, '.codeium', 'windsurf')],
    serversKey: ['mcpServers'],
    entry: plain,
    relaunch: 'Restart Windsurf, or press refresh in the Cascade MCP panel.',
  },
];

export function clientById(id: ClientId): ClientDefinition {
  const found = clients.find((client) => client.id === id);
  if (!found) throw new Error(`unknown client ${id}`);
  return found;
}
