import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { autostartFile, execArgument, linuxAutostart } from '../electron/core/autostart/linux-autostart.js';

const home = mkdtempSync(join(tmpdir(), 'mcp-autostart-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('Start at login on Linux (an XDG autostart entry)', () => {
  it('lives in XDG_CONFIG_HOME/autostart, or ~/.config/autostart when it is unset or relative', () => {
    expect(autostartFile({ XDG_CONFIG_HOME: '/x/config' }, '/home/ann')).toBe('/x/config/autostart/rabbitmq-mcp.desktop');
    expect(autostartFile({}, '/home/ann')).toBe('/home/ann/.config/autostart/rabbitmq-mcp.desktop');
    expect(autostartFile({ XDG_CONFIG_HOME: 'relative' }, '/home/ann')).toBe('/home/ann/.config/autostart/rabbitmq-mcp.desktop');
  });

  it('quotes Exec arguments as the Desktop Entry Specification says', () => {
    expect(execArgument('/opt/RabbitMQ_MCP.AppImage')).toBe('/opt/RabbitMQ_MCP.AppImage');
    expect(execArgument('/home/ann/My Apps/RabbitMQ MCP.AppImage')).toBe('"/home/ann/My Apps/RabbitMQ MCP.AppImage"');
    expect(execArgument('/a/"q"$x`y`\\z')).toBe('"/a/\\"q\\"\\$x\\`y\\`\\\\z"');
    expect(execArgument('100%')).toBe('100%%');
  });

  it('turns on and off, and reads as off when the user disabled it in their desktop settings', () => {
    const file = join(home, 'autostart', 'rabbitmq-mcp.desktop');
    const autostart = linuxAutostart({ command: ['/home/ann/My Apps/RabbitMQ MCP.AppImage', '--hidden'], file });
    expect(autostart.enabled()).toBe(false);
    autostart.set(true);
    expect(autostart.enabled()).toBe(true);
    const entry = readFileSync(file, 'utf8');
    expect(entry).toMatch(/^\[Desktop Entry\]\nType=Application\n/);
    expect(entry).toContain('\nExec="/home/ann/My Apps/RabbitMQ MCP.AppImage" --hidden\n');
    writeFileSync(file, entry.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    expect(autostart.enabled()).toBe(false);
    autostart.set(false);
    expect(() => readFileSync(file)).toThrow();
  });

  it('never removes an entry it did not write', () => {
    const file = join(home, 'other', 'rabbitmq-mcp.desktop');
    const autostart = linuxAutostart({ command: ['/usr/bin/rabbitmq-mcp'], file });
    autostart.set(true);
    const foreign = '[Desktop Entry]\nType=Application\nExec=/usr/bin/something-else\n';
    writeFileSync(file, foreign);
    autostart.set(false);
    expect(readFileSync(file, 'utf8')).toBe(foreign);
  });
});
