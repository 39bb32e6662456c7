import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * "Start at login" on Linux, where Electron's login items do nothing: an XDG autostart entry
 * (~/.config/autostart/rabbitmq-mcp.desktop), which GNOME, KDE, Xfce and the other desktops run
 * at login. The entry launches the AppImage file itself when the app runs as one (its mount
 * changes every launch), else the app's binary.
 */
export interface Autostart {
  /** Whether the app starts at login; a user who turned the entry off in their desktop's settings reads as off. */
  enabled(): boolean;
  set(enabled: boolean): void;
}

const FILE_NAME = 'rabbitmq-mcp.desktop';
/** Marks the entry as ours, so turning it off never removes a file someone else wrote. */
const MARKER = 'X-RabbitMQ-MCP-Autostart=true';

/** One argument of an Exec line, quoted as the Desktop Entry Specification says. */
export function execArgument(arg: string): string {
  const escaped = arg.replaceAll('%', '%%');
  if (!/[\s"'\\><~|&;$*?#()`]/.test(escaped)) return escaped;
  return `"${escaped.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartFile(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const config = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(config, 'autostart', FILE_NAME);
}

export function linuxAutostart(options: { command: string[]; file?: string; name?: string }): Autostart {
  const file = options.file ?? autostartFile();
  return {
    enabled() {
      if (!existsSync(file)) return false;
      const text = readFileSync(file, 'utf8');
      return !/^Hidden\s*=\s*true\s*$/im.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/im.test(text);
    },
    set(enabled) {
      if (!enabled) {
        if (existsSync(file) && readFileSync(file, 'utf8').includes(MARKER)) rmSync(file);
        return;
      }
      const entry = [
        '[Desktop Entry]',
        'Type=Application',
        `Name=${options.name ?? 'RabbitMQ MCP'}`,
        'Comment=Lets AI assistants inspect and operate RabbitMQ',
        `Exec=${options.command.map(execArgument).join(' ')}`,
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        MARKER,
        '',
      ].join('\n');
      mkdirSync(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, entry, { mode: 0o644 });
      renameSync(temporary, file);
    },
  };
}
