import type { SupervisorState } from '../shared/contract.js';

/** What the tray shows, as plain data: app-tray.ts turns it into Electron's Menu and Tray. */
export interface TrayState {
  server: SupervisorState;
  profiles: readonly { id: string; name: string; active: boolean }[];
  /** Null while it is not known (the settings could not be read). */
  openAtLogin: boolean | null;
}

export type TrayColor = 'green' | 'amber' | 'red' | 'grey';

/** What a click on a tray menu item does; app-tray.ts carries it out. */
export type TrayAction =
  | { kind: 'activate-profile'; profileId: string }
  | { kind: 'open-window' }
  | { kind: 'restart-server' }
  | { kind: 'toggle-start-at-login' }
  | { kind: 'disconnect-all' }
  | { kind: 'about' }
  | { kind: 'quit' };

export interface TrayMenuItem {
  action?: TrayAction;
  label?: string;
  type?: 'normal' | 'separator' | 'radio' | 'checkbox';
  checked?: boolean;
  enabled?: boolean;
}

export function trayIcon(state: TrayState): { color: TrayColor; tooltip: string } {
  const server = state.server;
  switch (server.status) {
    case 'healthy':
      return { color: 'green', tooltip: `RabbitMQ MCP: ${server.profileName} connected` };
    case 'starting':
      return { color: 'amber', tooltip: `RabbitMQ MCP: starting ${server.profileName}…` };
    case 'degraded':
      return { color: 'amber', tooltip: `RabbitMQ MCP: ${server.profileName}: ${server.reason}` };
    case 'crashed':
      return { color: 'amber', tooltip: `RabbitMQ MCP: restarting ${server.profileName} (${server.exit})` };
    case 'failed':
      return { color: 'red', tooltip: `RabbitMQ MCP: ${server.profileName} keeps crashing; open the app` };
    default:
      return { color: 'grey', tooltip: state.profiles.length === 0 ? 'RabbitMQ MCP: add a broker to start' : 'RabbitMQ MCP: stopped' };
  }
}

function statusLine(server: SupervisorState): string {
  switch (server.status) {
    case 'healthy':
      return `● Connected: ${server.profileName}`;
    case 'starting':
      return `◌ Starting: ${server.profileName}`;
    case 'degraded':
      return `▲ ${server.profileName}: ${server.reason}`;
    case 'crashed':
      return `▲ Restarting ${server.profileName} in ${Math.ceil(server.restartInMs / 1000)}s`;
    case 'failed':
      return `✕ ${server.profileName} failed: open the app for details`;
    default:
      return '○ Not running';
  }
}

/**
 * The tray menu as a pure function of state: status, the profiles as a radio list (a click
 * switches), open window, restart when it failed, start at login, disconnect all AI apps,
 * about, quit. Rebuilt on every change
 * and always set as the context menu, which is what Linux AppIndicators show.
 */
export function trayMenu(state: TrayState): TrayMenuItem[] {
  const items: TrayMenuItem[] = [{ label: statusLine(state.server), enabled: false }, { type: 'separator' }];
  if (state.profiles.length === 0) items.push({ label: 'No broker yet: open the app to add one', enabled: false });
  for (const profile of state.profiles) {
    items.push({
      action: { kind: 'activate-profile', profileId: profile.id },
      label: profile.name,
      type: 'radio',
      checked: profile.active,
    });
  }
  items.push({ type: 'separator' }, { action: { kind: 'open-window' }, label: 'Open RabbitMQ MCP…' });
  if (state.server.status === 'failed') items.push({ action: { kind: 'restart-server' }, label: 'Restart the server' });
  if (state.openAtLogin !== null)
    items.push({ action: { kind: 'toggle-start-at-login' }, label: 'Start at login', type: 'checkbox', checked: state.openAtLogin });
  items.push(
    { type: 'separator' },
    { action: { kind: 'disconnect-all' }, label: 'Disconnect all AI apps' },
    { action: { kind: 'about' }, label: 'About RabbitMQ MCP' },
    { type: 'separator' },
    { action: { kind: 'quit' }, label: 'Quit' },
  );
  return items;
}
