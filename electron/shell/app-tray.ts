import { Menu, Tray, nativeImage } from 'electron';
import type { AppApi } from '../shared/contract.js';
import { type TrayAction, type TrayColor, type TrayState, trayIcon, trayMenu } from './tray-menu.js';

export interface TrayCommands {
  openWindow(): void;
  quit(): void;
  /** A click that failed (the profile was removed meanwhile, the server cannot start…). */
  report(message: string): void;
  /** The window, with the About box open. */
  openAbout(): void;
  /** What "Disconnect all AI apps" did, client by client. */
  inform(title: string, message: string): void;
  /** Asks before a change the user cannot undo with one click; true when they go ahead. */
  confirm(title: string, message: string, action: string): Promise<boolean>;
}

/**
 * The tray icon and its menu, rebuilt from the host's state whenever the server or the profiles
 * change. The menu is always set as the context menu: Linux AppIndicators show nothing else.
 */
export class AppTray {
  #tray: Tray | null = null;
  #host: AppApi;
  #iconPath: (color: TrayColor) => string;
  #commands: TrayCommands;
  #refreshing: Promise<void> = Promise.resolve();

  constructor(host: AppApi, iconPath: (color: TrayColor) => string, commands: TrayCommands) {
    this.#host = host;
    this.#iconPath = iconPath;
    this.#commands = commands;
  }

  /** Once the app is ready: login items and the tray exist only then. */
  async start(): Promise<void> {
    this.#tray = new Tray(nativeImage.createFromPath(this.#iconPath('grey')));
    this.#tray.on('click', () => this.#commands.openWindow());
    this.#host.events.on('server-state', () => void this.refresh());
    this.#host.events.on('profiles-changed', () => void this.refresh());
    this.#host.events.on('settings-changed', () => void this.refresh());
    await this.refresh();
  }

  /** One rebuild at a time, in order, so a late answer never paints an older state. */
  refresh(): Promise<void> {
    this.#refreshing = this.#refreshing.then(() => this.#rebuild()).catch(() => undefined);
    return this.#refreshing;
  }

  async #rebuild(): Promise<void> {
    const tray = this.#tray;
    if (!tray) return;
    const state: TrayState = {
      server: await this.#host.server.state(),
      profiles: await this.#host.profiles.list(),
      openAtLogin: await this.#host.settings.get().then(
        (settings) => settings.startAtLogin,
        () => null,
      ),
    };
    const icon = trayIcon(state);
    tray.setImage(nativeImage.createFromPath(this.#iconPath(icon.color)));
    tray.setToolTip(icon.tooltip);
    const template = trayMenu(state).map(({ action, ...item }) => ({
      ...item,
      click: action ? () => void this.#run(action).catch((error: Error) => this.#commands.report(error.message)) : undefined,
    }));
    tray.setContextMenu(Menu.buildFromTemplate(template));
  }

  async #run(action: TrayAction): Promise<void> {
    switch (action.kind) {
      case 'activate-profile':
        await this.#host.profiles.activate(action.profileId);
        return;
      case 'open-window':
        this.#commands.openWindow();
        return;
      case 'restart-server':
        await this.#host.server.restart();
        return;
      case 'toggle-start-at-login': {
        const { startAtLogin } = await this.#host.settings.get();
        await this.#host.settings.update({ startAtLogin: !startAtLogin }); // settings-changed rebuilds the menu
        return;
      }
      case 'disconnect-all': {
        const go = await this.#commands.confirm(
          'Disconnect all AI apps?',
          "RabbitMQ MCP's entry is taken out of the settings of every AI app that has it. Their other servers and settings stay, and each file is backed up first.",
          'Disconnect all',
        );
        if (!go) return;
        const results = await this.#host.clients.disconnectAll();
        this.#commands.inform('Disconnect all AI apps', results.map((result) => result.message).join('\n'));
        return;
      }
      case 'about':
        this.#commands.openAbout();
        return;
      case 'quit':
        this.#commands.quit();
        return;
      default: {
        const unknown: never = action;
        throw new Error(`unknown tray action ${JSON.stringify(unknown)}`);
      }
    }
  }
}
