import { type Autostart, linuxAutostart } from './linux-autostart.js';

/** The part of Electron's app that login items use (injected: core/ imports nothing from Electron). */
export interface LoginItems {
  getLoginItemSettings(): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

/**
 * Start at login: Electron's login items on macOS and Windows; on Linux, where they do nothing,
 * an XDG autostart entry that launches the AppImage file (its mount changes every launch) or the
 * app's binary, hidden in the tray.
 */
export function startAtLogin(options: {
  os: 'darwin' | 'win32' | 'linux';
  loginItems: LoginItems;
  /** What starts the app: the AppImage file, the packaged binary, or the binary with the app's folder. */
  command: string[];
  /** The autostart file (tests); the user's XDG one by default. */
  file?: string;
}): Autostart {
  if (options.os !== 'linux') {
    return {
      enabled: () => options.loginItems.getLoginItemSettings().openAtLogin,
      set: (enabled) => options.loginItems.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] }),
    };
  }
  return linuxAutostart({ command: [...options.command, '--hidden'], file: options.file });
}
