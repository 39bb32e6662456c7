import { BrowserWindow } from 'electron';
import type { AppApi } from '../shared/contract.js';
import { forwardEvents } from './ipc-server.js';
import { webPreferences } from './window-security.js';

/**
 * The app's one window: made when first shown, locked to the app's own page (no new windows,
 * no navigation, no webviews), and fed the host's events only while it is open.
 */
export class AppWindow {
  #window: BrowserWindow | null = null;
  #host: AppApi;
  #page: { url: string; preload: string };

  constructor(host: AppApi, page: { url: string; preload: string }) {
    this.#host = host;
    this.#page = page;
  }

  show(): void {
    if (this.#window) {
      this.#window.show();
      this.#window.focus();
      return;
    }
    const window = new BrowserWindow({
      width: 1120,
      height: 780,
      show: false,
      title: 'RabbitMQ MCP',
      webPreferences: webPreferences(this.#page.preload),
    });
    this.#window = window;
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    window.webContents.on('will-attach-webview', (event) => event.preventDefault());
    const stopEvents = forwardEvents(this.#host, (channel, payload) => {
      if (!window.isDestroyed()) window.webContents.send(channel, payload);
    });
    window.on('closed', () => {
      stopEvents();
      this.#window = null;
    });
    window.once('ready-to-show', () => {
      window.show();
      window.focus();
    });
    void window.loadURL(this.#page.url);
  }
}
