import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AppLocation, appLayout, installStdioEntry } from '../electron/core/app-layout.js';
import { lastServerError, readableServerLine } from '../electron/shared/server-lines.js';

/** Where each OS puts the packaged app (electron-builder's defaults for our config). */
const installs: { name: string; location: AppLocation; command: string; entry: string; page: string }[] = [
  {
    name: 'macOS, /Applications (spaces in the path)',
    location: {
      os: 'darwin',
      packaged: true,
      execPath: '/Applications/RabbitMQ MCP.app/Contents/MacOS/RabbitMQ MCP',
      resourcesPath: '/Applications/RabbitMQ MCP.app/Contents/Resources',
      mainDir: '/Applications/RabbitMQ MCP.app/Contents/Resources/app.asar/dist/electron',
      userData: '/Users/ada/Library/Application Support/RabbitMQ MCP',
      env: {},
    },
    command: '/Applications/RabbitMQ MCP.app/Contents/MacOS/RabbitMQ MCP',
    entry: '/Applications/RabbitMQ MCP.app/Contents/Resources/app/stdio-entry.mjs',
    page: 'file:///Applications/RabbitMQ%20MCP.app/Contents/Resources/renderer/index.html',
  },
  {
    name: 'Windows, per-user NSIS install',
    location: {
      os: 'win32',
      packaged: true,
      execPath: 'C:\\Users\\Ada Lovelace\\AppData\\Local\\Programs\\RabbitMQ MCP\\rabbitmq-mcp.exe',
      resourcesPath: 'C:\\Users\\Ada Lovelace\\AppData\\Local\\Programs\\RabbitMQ MCP\\resources',
      mainDir: 'C:\\Users\\Ada Lovelace\\AppData\\Local\\Programs\\RabbitMQ MCP\\resources\\app.asar\\dist\\electron',
      userData: 'C:\\Users\\Ada Lovelace\\AppData\\Roaming\\RabbitMQ MCP',
      env: {},
    },
    command: 'C:\\Users\\Ada Lovelace\\AppData\\Local\\Programs\\RabbitMQ MCP\\rabbitmq-mcp.exe',
    entry: 'C:\\Users\\Ada Lovelace\\AppData\\Local\\Programs\\RabbitMQ MCP\\resources\\app\\stdio-entry.mjs',
    page: 'file:///C:/Users/Ada%20Lovelace/AppData/Local/Programs/RabbitMQ%20MCP/resources/renderer/index.html',
  },
  {
    name: 'Linux, the .deb',
    location: {
      os: 'linux',
      packaged: true,
      execPath: '/opt/RabbitMQ MCP/rabbitmq-mcp',
      resourcesPath: '/opt/RabbitMQ MCP/resources',
      mainDir: '/opt/RabbitMQ MCP/resources/app.asar/dist/electron',
      userData: '/home/ada/.config/RabbitMQ MCP',
      env: {},
    },
    command: '/opt/RabbitMQ MCP/rabbitmq-mcp',
    entry: '/opt/RabbitMQ MCP/resources/app/stdio-entry.mjs',
    page: 'file:///opt/RabbitMQ%20MCP/resources/renderer/index.html',
  },
  {
    name: 'Linux, the AppImage (mounted at a new /tmp/.mount_* every launch)',
    location: {
      os: 'linux',
      packaged: true,
      execPath: '/tmp/.mount_RabbitQx81/rabbitmq-mcp',
      resourcesPath: '/tmp/.mount_RabbitQx81/resources',
      mainDir: '/tmp/.mount_RabbitQx81/resources/app.asar/dist/electron',
      userData: '/home/ada/.config/RabbitMQ MCP',
      env: { APPIMAGE: '/home/ada/Applications/RabbitMQ_MCP-0.1.0-x86_64.AppImage', APPDIR: '/tmp/.mount_RabbitQx81' },
    },
    command: '/home/ada/Applications/RabbitMQ_MCP-0.1.0-x86_64.AppImage',
    entry: '/home/ada/.config/RabbitMQ MCP/app/stdio-entry.mjs',
    page: 'file:///tmp/.mount_RabbitQx81/resources/renderer/index.html',
  },
];

describe('where the packaged app finds its parts, and what AI client configs launch', () => {
  for (const install of installs) {
    it(`${install.name}: configs launch the app's own binary with the entry, and point at nothing temporary`, () => {
      const layout = appLayout(install.location);
      expect(layout.launch.command).toBe(install.command);
      expect(layout.launch.args).toEqual([install.entry]);
      expect(layout.launch.env).toMatchObject({ ELECTRON_RUN_AS_NODE: '1', RABBITMQ_MCP_HOME: install.location.userData });
      expect(layout.pageUrl).toBe(install.page);
      expect(JSON.stringify(layout.launch)).not.toContain('.mount_');
      expect(layout.unstableLocation).toBeNull();
    });
  }

  it('the AppImage: the entry starts the AppImage file (not the mounted binary) when the app is not running', () => {
    const appImage = installs[3] as (typeof installs)[number];
    const layout = appLayout(appImage.location);
    expect(JSON.parse(layout.launch.env.RABBITMQ_MCP_LAUNCH as string)).toEqual([appImage.command, '--hidden']);
    expect(layout.shippedStdioEntry).toBe('/tmp/.mount_RabbitQx81/resources/app/stdio-entry.mjs');
  });

  it('from a checkout (npm run app): dist/ holds the resources', () => {
    const layout = appLayout({
      os: 'linux',
      packaged: false,
      execPath: '/repo/node_modules/electron/dist/electron',
      resourcesPath: '/repo/node_modules/electron/dist/resources',
      mainDir: '/repo/dist/electron',
      userData: '/home/ada/.config/RabbitMQ MCP',
      env: {},
    });
    expect(layout.serverEntry).toBe('/repo/dist/server/rabbitmq-mcp-server.mjs');
    expect(layout.launch.args).toEqual(['/repo/dist/app/stdio-entry.mjs']);
    expect(layout.trayIcon('green')).toBe('/repo/dist/tray/tray-green.png');
    expect(layout.preload).toBe('/repo/dist/electron/preload.cjs');
  });

  it.each([
    ['/private/var/folders/x1/T/AppTranslocation/4C1D/d/RabbitMQ MCP.app/Contents/MacOS/RabbitMQ MCP', /Applications folder/],
    ['/Volumes/RabbitMQ MCP 0.1.0/RabbitMQ MCP.app/Contents/MacOS/RabbitMQ MCP', /disk image/],
  ])('macOS from a temporary place (%s): connecting clients is refused with what to do', (execPath, advice) => {
    const layout = appLayout({ ...(installs[0] as (typeof installs)[number]).location, execPath });
    expect(layout.unstableLocation).toMatch(advice);
  });
});

describe('the stdio entry copy for the AppImage', () => {
  const folder = mkdtempSync(join(tmpdir(), 'mcp-layout-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('is written next to the app data, and rewritten only when the app ships another one', async () => {
    const mount = join(folder, '.mount_A', 'resources');
    mkdirSync(join(mount, 'app'), { recursive: true });
    writeFileSync(join(mount, 'app', 'stdio-entry.mjs'), '// version 1\n');
    const location: AppLocation = {
      os: 'linux',
      packaged: true,
      execPath: join(folder, '.mount_A', 'rabbitmq-mcp'),
      resourcesPath: mount,
      mainDir: join(mount, 'app.asar', 'dist', 'electron'),
      userData: join(folder, 'data'),
      env: { APPIMAGE: join(folder, 'RabbitMQ_MCP.AppImage') },
    };
    const layout = appLayout(location);
    await installStdioEntry(layout);
    expect(readFileSync(layout.stdioEntry, 'utf8')).toBe('// version 1\n');
    // Dated an hour back, so that a rewrite would show in the modification time.
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600; // whole seconds: exact in mtimeMs
    utimesSync(layout.stdioEntry, anHourAgo, anHourAgo);
    await installStdioEntry(layout);
    expect(statSync(layout.stdioEntry).mtimeMs).toBe(anHourAgo * 1000);
    writeFileSync(join(mount, 'app', 'stdio-entry.mjs'), '// version 2\n');
    await installStdioEntry(layout);
    expect(readFileSync(layout.stdioEntry, 'utf8')).toBe('// version 2\n');
  });
});

describe("the server's last words, for people", () => {
  it.each([
    [
      'a start-up error line',
      ['rabbitmq-mcp-server: AMQP_PORT "abc" is not valid: expected a port number from 1 to 65535'],
      'AMQP_PORT "abc" is not valid: expected a port number from 1 to 65535',
    ],
    [
      'a pino error line',
      [
        '{"level":30,"time":1,"msg":"listening"}',
        '{"level":50,"time":2,"msg":"broker unreachable","reason":"connection refused"}',
        '{"level":30,"time":3,"msg":"retrying"}',
      ],
      'broker unreachable (reason: connection refused)',
    ],
    [
      "a Node crash report: its error line, not the stack or Node's version",
      [
        'node:internal/modules/cjs/loader:1228',
        '  throw err;',
        '  ^',
        '',
        "Error: Cannot find module '/opt/app/server/rabbitmq-mcp-server.mjs'",
        '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
        '',
        'Node.js v20.20.2',
      ],
      "Error: Cannot find module '/opt/app/server/rabbitmq-mcp-server.mjs'",
    ],
    ['only a warning', ['{"level":40,"msg":"slow management API","ms":2300}'], 'slow management API'],
    ['nothing wrong', ['{"level":30,"msg":"listening"}'], undefined],
  ])('%s', (_case, lines, expected) => {
    expect(lastServerError(lines)).toBe(expected);
  });

  it('reads a JSON line as level and message, and leaves plain lines as they are', () => {
    expect(readableServerLine('{"level":50,"msg":"tool failed","tool":"list_queues","reason":"timeout"}')).toBe(
      'error: tool failed (reason: timeout; tool: list_queues)',
    );
    expect(readableServerLine('{"level":30,"msg":"listening on 127.0.0.1:4000"}')).toBe('listening on 127.0.0.1:4000');
    expect(readableServerLine('rabbitmq-mcp-server: cannot listen')).toBe('error: cannot listen');
  });
});
