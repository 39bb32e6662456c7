import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClientId, type LaunchSpec, type Platform, clients, stdioEntryLaunch } from '../electron/core/clients/client-catalog.js';
import { type CommandRunner, type SetupRecord, ClientSetup } from '../electron/core/clients/client-setup.js';
import { ConfigConflictError, ConfigParseError, readConfig, withValue, writeConfig } from '../electron/core/clients/config-file.js';

const LAUNCH: Record<Platform['os'], LaunchSpec> = {
  darwin: stdioEntryLaunch(
    '/Applications/RabbitMQ MCP.app/Contents/MacOS/RabbitMQ MCP',
    '/Applications/RabbitMQ MCP.app/Contents/Resources/stdio-entry.mjs',
    '/Users/ana/Library/Application Support/RabbitMQ MCP',
  ),
  win32: stdioEntryLaunch(
    'C:\\Users\\ana\\AppData\\Local\\Programs\\RabbitMQ MCP\\RabbitMQ MCP.exe',
    'C:\\Users\\ana\\AppData\\Local\\Programs\\RabbitMQ MCP\\resources\\stdio-entry.mjs',
    'C:\\Users\\ana\\AppData\\Roaming\\RabbitMQ MCP',
  ),
  linux: stdioEntryLaunch(
    '/opt/RabbitMQ MCP/rabbitmq-mcp',
    '/opt/RabbitMQ MCP/resources/stdio-entry.mjs',
    '/home/ana/.config/RabbitMQ MCP',
  ),
};

const PLATFORMS: Record<Platform['os'], Platform> = {
  darwin: { os: 'darwin', home: '/Users/ana', env: {} },
  win32: {
    os: 'win32',
    home: 'C:\\Users\\ana',
    env: { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' },
  },
  linux: { os: 'linux', home: '/home/ana', env: {} },
};

/** A machine without the clients' CLIs on PATH: the files are edited directly. */
const NO_CLI: CommandRunner = { find: async () => null, run: async () => undefined };

function memoryRecords() {
  const map = new Map<ClientId, SetupRecord>();
  return {
    get: (id: ClientId) => map.get(id),
    set: (id: ClientId, record: SetupRecord) => map.set(id, record),
    delete: (id: ClientId) => map.delete(id),
  };
}

describe('where each client keeps its configuration', () => {
  it.each([
    ['claude-desktop', 'darwin', ['/Users/ana/Library/Application Support/Claude/claude_desktop_config.json']],
    [
      'claude-desktop',
      'win32',
      [
        'C:\\Users\\ana\\AppData\\Local\\Packages\\Claude_pzs8sxrjxfjjc\\LocalCache\\Roaming\\Claude\\claude_desktop_config.json',
        'C:\\Users\\ana\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
      ],
    ],
    ['claude-desktop', 'linux', ['/home/ana/.config/Claude/claude_desktop_config.json']],
    ['claude-code', 'darwin', ['/Users/ana/.claude.json']],
    ['claude-code', 'win32', ['C:\\Users\\ana\\.claude.json']],
    ['cursor', 'linux', ['/home/ana/.cursor/mcp.json']],
    ['cursor', 'win32', ['C:\\Users\\ana\\.cursor\\mcp.json']],
    ['vscode', 'darwin', ['/Users/ana/Library/Application Support/Code/User/mcp.json']],
    ['vscode', 'win32', ['C:\\Users\\ana\\AppData\\Roaming\\Code\\User\\mcp.json']],
    ['vscode', 'linux', ['/home/ana/.config/Code/User/mcp.json']],
    ['windsurf', 'darwin', ['/Users/ana/.codeium/windsurf/mcp_config.json']],
    ['windsurf', 'win32', ['C:\\Users\\ana\\.codeium\\windsurf\\mcp_config.json']],
  ] as const)('%s on %s', (id, os, expected) => {
    const client = clients.find((candidate) => candidate.id === id);
    expect(client?.configPaths(PLATFORMS[os])).toEqual(expected);
  });
});

describe.each(Object.keys(PLATFORMS) as Platform['os'][])('the entry written into a new file on %s', (os) => {
  it.each(clients.map((client) => client.id))('%s matches its golden file', async (id) => {
    const client = clients.find((candidate) => candidate.id === id);
    const empty = { path: 'new.json', exists: false, text: '', bom: false, eol: '\n' as const, hash: '', tree: undefined };
    const text = withValue(empty, [...(client?.serversKey ?? []), 'rabbitmq'], client?.entry(LAUNCH[os]));
    await expect(text).toMatchFileSnapshot(`__golden__/clients/${id}-${os}.json`);
  });
});

describe('connecting a client on disk', () => {
  let home: string;
  let platform: Platform;
  const launch = LAUNCH.linux;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'mcp-clients-'));
    platform = { os: 'linux', home, env: {} };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  function put(path: string, content: string | Buffer): string {
    const full = join(home, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return full;
  }

  it('reports not installed, then not configured, configured, and out of date', async () => {
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    expect((await setup.status('cursor')).state).toBe('not-installed');
    mkdirSync(join(home, '.cursor'));
    expect((await setup.status('cursor')).state).toBe('not-configured');
    await setup.connect('cursor');
    expect((await setup.status('cursor')).state).toBe('configured');
    const moved = new ClientSetup({
      platform,
      launch: { ...launch, command: '/elsewhere/rabbitmq-mcp' },
      records: memoryRecords(),
      commands: NO_CLI,
    });
    const status = await moved.status('cursor');
    expect(status.state).toBe('out-of-date');
    expect(status.detail).toContain('connect again');
  });

  it('keeps every other key, server and comment of a VS Code mcp.json byte for byte', async () => {
    const before = [
      '{',
      '\t// my servers',
      '\t"servers": {',
      '\t\t"github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" }, // remote',
      '\t},',
      '\t"inputs": []',
      '}',
      '',
    ].join('\n');
    const path = put('.config/Code/User/mcp.json', before);
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    const result = await setup.connect('vscode');
    expect(result.message).toContain('Reload the VS Code window');
    const after = readFileSync(path, 'utf8');
    await expect(after).toMatchFileSnapshot('__golden__/clients/vscode-existing-after.jsonc');
    // Taking our entry out again gives back the original bytes.
    const start = after.indexOf('\n\t\t"rabbitmq"');
    expect(after.slice(0, start) + after.slice(after.indexOf('\n\t},'))).toBe(before);
  });

  it('keeps a BOM and CRLF line endings', async () => {
    const path = put('.cursor/mcp.json', '\uFEFF{\r\n  "mcpServers": {}\r\n}\r\n');
    await new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI }).connect('cursor');
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const text = bytes.toString('utf8').slice(1);
    expect(text.split('\r\n').length).toBeGreaterThan(5);
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(JSON.parse(text).mcpServers.rabbitmq.command).toBe(launch.command);
  });

  it('never overwrites a file that does not parse, and says where it breaks', async () => {
    const broken = '{\n  "mcpServers": {\n    "other": { "command": "x" }\n  \n  "theme": "dark"\n}\n';
    const path = put('.claude.json', broken);
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    const status = await setup.status('claude-code');
    expect(status.state).toBe('unreadable');
    expect(status.detail).toContain('line 5, column 3 (CommaExpected)');
    await expect(setup.connect('claude-code')).rejects.toThrow(ConfigParseError);
    expect(readFileSync(path, 'utf8')).toBe(broken);
    expect(readdirSync(home).filter((name) => name.includes('.bak'))).toEqual([]);
  });

  it('does not clobber a file another program changed between read and write', async () => {
    const path = put('.cursor/mcp.json', '{ "mcpServers": {} }\n');
    const snapshot = await readConfig(path);
    writeFileSync(path, '{ "mcpServers": { "theirs": { "command": "y" } } }\n');
    await expect(writeConfig(snapshot, withValue(snapshot, ['mcpServers', 'rabbitmq'], { command: 'z' }))).rejects.toThrow(
      ConfigConflictError,
    );
    expect(readFileSync(path, 'utf8')).toBe('{ "mcpServers": { "theirs": { "command": "y" } } }\n');
  });

  it('saves a timestamped backup and undoes to the exact previous bytes', async () => {
    const original = '{\n    "numStartups": 41,\n    "mcpServers": {\n        "other": {"command": "x"}\n    }\n}';
    const path = put('.claude.json', original);
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    const connected = await setup.connect('claude-code');
    const backup = readdirSync(home).find((name) => /^\.claude\.json\.rabbitmq-mcp-\d{8}-\d{6}-\d{3}\.bak$/.test(name));
    expect(backup).toBeDefined();
    expect(readFileSync(join(home, backup as string), 'utf8')).toBe(original);
    expect(connected.message).toContain(backup);
    expect(readFileSync(path, 'utf8')).toContain('        "rabbitmq": {\n            "type": "stdio"');
    expect((await setup.status('claude-code')).canUndo).toBe(true);
    await setup.undo('claude-code');
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect((await setup.status('claude-code')).state).toBe('not-configured');
  });

  it('keeps a 0600 file 0600 through connect and undo', async () => {
    const path = put('.claude.json', '{"oauthAccount": {"token": "private"}}');
    chmodSync(path, 0o600);
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    await setup.connect('claude-code');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await setup.undo('claude-code');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).uid).toBe(process.getuid?.());
    for (const backup of readdirSync(home).filter((name) => name.endsWith('.bak')))
      expect(statSync(join(home, backup)).mode & 0o777).toBe(0o600);
  });

  it('writes through a symbolic link, which stays a link, and undo restores the target', async () => {
    const original = '{"mcpServers": {}}\n';
    const target = put('dotfiles/claude.json', original);
    const link = join(home, '.claude.json');
    symlinkSync(target, link);
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    await setup.connect('claude-code');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toContain('"rabbitmq"');
    await setup.undo('claude-code');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(original);
  });

  it('reports a folder where the file should be as unreadable, and the other clients as usual', async () => {
    mkdirSync(join(home, '.claude.json'));
    mkdirSync(join(home, '.cursor'));
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    const statuses = await setup.statusAll();
    expect(statuses.find((status) => status.id === 'claude-code')).toMatchObject({ state: 'unreadable' });
    expect(statuses.find((status) => status.id === 'claude-code')?.detail).toContain('is a folder');
    expect(statuses.find((status) => status.id === 'cursor')?.state).toBe('not-configured');
    await expect(setup.connect('claude-code')).rejects.toThrow(/is a folder, not a settings file/);
  });

  it('refuses to overwrite a read-only file, saying why, and leaves it as it was', async () => {
    const original = '{"mcpServers": {}}';
    const path = put('.cursor/mcp.json', original);
    chmodSync(path, 0o444);
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    await expect(setup.connect('cursor')).rejects.toThrow(/is read-only \(mode 0444\): make it writable to connect/);
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect(statSync(path).mode & 0o777).toBe(0o444);
    expect(readdirSync(join(home, '.cursor'))).toEqual(['mcp.json']);
  });

  it('keeps a backup per connect, even two within a second, and only the last five', async () => {
    const path = put('.cursor/mcp.json', '{"mcpServers": {}}');
    const records = memoryRecords();
    const setup = new ClientSetup({ platform, launch, records, commands: NO_CLI });
    for (let round = 0; round < 7; round++) {
      await setup.connect('cursor');
      await setup.undo('cursor');
    }
    const backups = readdirSync(join(home, '.cursor')).filter((name) => name.endsWith('.bak'));
    expect(backups).toHaveLength(5);
    expect(readFileSync(path, 'utf8')).toBe('{"mcpServers": {}}');
  });

  it('undoes a file it created by removing it; after the file changed, takes back only its entry', async () => {
    mkdirSync(join(home, '.codeium', 'windsurf'), { recursive: true });
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    await setup.connect('windsurf');
    const path = join(home, '.codeium', 'windsurf', 'mcp_config.json');
    // The client rewrites its file (another server, a setting): undo keeps that and removes ours.
    const changed = JSON.parse(readFileSync(path, 'utf8'));
    changed.mcpServers.fs = { command: 'npx', args: ['fs-server'] };
    changed.theme = 'dark';
    writeFileSync(path, `${JSON.stringify(changed, null, 2)}\n`);
    const undone = await setup.undo('windsurf');
    expect(undone.message).toContain("the file's other changes since");
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ mcpServers: { fs: { command: 'npx', args: ['fs-server'] } }, theme: 'dark' });
    const fresh = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    mkdirSync(join(home, '.cursor'));
    await fresh.connect('cursor');
    await fresh.undo('cursor');
    expect(readdirSync(join(home, '.cursor'))).toEqual([]);
  });

  it('puts back the entry that was there before when the file changed since, and refuses if ours was edited', async () => {
    const path = put('.cursor/mcp.json', '{\n  "mcpServers": {\n    "rabbitmq": { "command": "/old/rabbitmq" }\n  }\n}\n');
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI });
    await setup.connect('cursor');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('"mcpServers": {', '"mcpServers": {\n    "other": { "command": "x" },'));
    await setup.undo('cursor');
    expect(JSON.parse(readFileSync(path, 'utf8')).mcpServers).toEqual({ other: { command: 'x' }, rabbitmq: { command: '/old/rabbitmq' } });

    await setup.connect('cursor');
    const edited = JSON.parse(readFileSync(path, 'utf8'));
    edited.mcpServers.rabbitmq.args.push('--allow-write');
    writeFileSync(path, JSON.stringify(edited));
    await expect(setup.undo('cursor')).rejects.toThrow(/changed our entry after it was connected: nothing was undone/);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(edited);
  });

  it("uses Claude Code's own CLI when it is on PATH (claude mcp add-json / remove --scope user)", async () => {
    const calls: string[][] = [];
    const path = put('.claude.json', '{\n  "numStartups": 3,\n  "mcpServers": {}\n}\n');
    // Stands in for the claude CLI (the OS edge): it rewrites its file as the real one does.
    const claude: CommandRunner = {
      find: async (command) => (command === 'claude' ? '/usr/local/bin/claude' : null),
      run: async (_path, args) => {
        calls.push(args);
        const config = JSON.parse(readFileSync(path, 'utf8'));
        if (args[1] === 'add-json') config.mcpServers[args[2] as string] = JSON.parse(args[3] as string);
        if (args[1] === 'remove') delete config.mcpServers[args[2] as string];
        config.numStartups += 1;
        writeFileSync(path, JSON.stringify(config, null, 2));
      },
    };
    const setup = new ClientSetup({ platform, launch, records: memoryRecords(), commands: claude });
    const connected = await setup.connect('claude-code');
    expect(calls).toEqual([
      ['mcp', 'add-json', 'rabbitmq', JSON.stringify(clients.find((c) => c.id === 'claude-code')?.entry(launch)), '--scope', 'user'],
    ]);
    expect(connected.status.state).toBe('configured');
    expect(connected.message).toContain('with `claude mcp`');
    const undone = await setup.undo('claude-code');
    expect(calls.at(-1)).toEqual(['mcp', 'remove', 'rabbitmq', '--scope', 'user']);
    expect(undone.status.state).toBe('not-configured');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ numStartups: 5, mcpServers: {} });
  });

  it('updates an out-of-date entry in place, leaving the rest alone', async () => {
    const path = put(
      '.config/Claude/claude_desktop_config.json',
      '{\n  "mcpServers": {\n    "rabbitmq": {\n      "command": "/old/path"\n    },\n    "fs": {\n      "command": "npx"\n    }\n  },\n  "globalShortcut": ""\n}\n',
    );
    await new ClientSetup({ platform, launch, records: memoryRecords(), commands: NO_CLI }).connect('claude-desktop');
    const after = JSON.parse(readFileSync(path, 'utf8'));
    expect(after.mcpServers.rabbitmq).toEqual({ command: launch.command, args: launch.args, env: launch.env });
    expect(after.mcpServers.fs).toEqual({ command: 'npx' });
    expect(after.globalShortcut).toBe('');
    expect(readFileSync(path, 'utf8')).toMatch(/^\{\n {2}"mcpServers": \{\n {4}"rabbitmq": \{\n {6}"command"/);
  });
});
