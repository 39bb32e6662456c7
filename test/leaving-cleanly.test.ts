import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClientId, stdioEntryLaunch } from '../electron/core/clients/client-catalog.js';
import { ClientSetup, type SetupRecord, isOurEntry } from '../electron/core/clients/client-setup.js';
import { readConfig, withValue, withoutValue } from '../electron/core/clients/config-file.js';
import { ensureBuilt } from './support/built-server.js';

/**
 * Leaving cleanly: "Disconnect all AI apps" takes only our entries out (each with a backup), a
 * failed write leaves no backup behind, and the uninstallers' command does the same from the
 * built artifact, run by the deb's prerm script.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REMOVE_COMMAND = join(ROOT, 'dist/app/remove-client-entries.mjs');
const DEB_SCRIPT = join(ROOT, 'build/uninstall/deb-before-remove.sh');

let home = '';
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'mcp-leaving-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const put = (relative: string, text: string) => {
  const path = join(home, relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
};

const NO_CLI = { find: async () => null, run: async () => undefined };
function memoryRecords() {
  const map = new Map<ClientId, SetupRecord>();
  return {
    map,
    get: (id: ClientId) => map.get(id),
    set: (id: ClientId, record: SetupRecord) => map.set(id, record),
    delete: (id: ClientId) => map.delete(id),
  };
}

const launch = () =>
  stdioEntryLaunch(
    '/opt/RabbitMQ MCP/rabbitmq-mcp',
    '/opt/RabbitMQ MCP/resources/app/stdio-entry.mjs',
    join(home, '.config', 'RabbitMQ MCP'),
  );
const backupsIn = (folder: string) => readdirSync(folder).filter((name) => name.endsWith('.bak'));

/** Client settings as people have them: other servers, comments, tabs, CRLF, odd key order. */
const CLAUDE_BEFORE =
  '{\n  "mcpServers": {\n    "filesystem": {\n      "command": "npx",\n      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/ana"]\n    }\n  },\n  "globalShortcut": "Ctrl+Space"\n}\n';
const VSCODE_BEFORE =
  '// my MCP servers\r\n{\r\n\t"inputs": [],\r\n\t"servers": {\r\n\t\t// GitHub\r\n\t\t"github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" },\r\n\t},\r\n}\r\n';
const WINDSURF_THEIRS = '{\n  "mcpServers": {\n    "rabbitmq": { "command": "uvx", "args": ["amq-mcp-server"] }\n  }\n}\n';

/** Connects the clients whose files exist through the app's own code, then returns the files' text before. */
async function connectedMachine(): Promise<{ setup: ClientSetup; records: ReturnType<typeof memoryRecords> }> {
  put('.config/Claude/claude_desktop_config.json', CLAUDE_BEFORE);
  put('.config/Code/User/mcp.json', VSCODE_BEFORE);
  put('.codeium/windsurf/mcp_config.json', WINDSURF_THEIRS); // someone else's "rabbitmq"
  mkdirSync(join(home, '.cursor'));
  const records = memoryRecords();
  const setup = new ClientSetup({ platform: { os: 'linux', home, env: {} }, launch: launch(), records, commands: NO_CLI });
  for (const id of ['claude-desktop', 'vscode', 'cursor'] as const) await setup.connect(id);
  return { setup, records };
}

describe('Disconnect all AI apps', () => {
  it('takes only our entry out of every client that has one, keeping other servers byte for byte, with a backup each', async () => {
    const { setup, records } = await connectedMachine();
    const claudeConnected = readFileSync(join(home, '.config/Claude/claude_desktop_config.json'), 'utf8');
    expect(claudeConnected).toContain('"rabbitmq"');
    const results = await setup.disconnectAll();
    expect(Object.fromEntries(results.map((result) => [result.id, result.outcome]))).toEqual({
      'claude-desktop': 'removed',
      'claude-code': 'not-connected',
      cursor: 'removed',
      vscode: 'removed',
      windsurf: 'not-connected',
    });
    expect(readFileSync(join(home, '.config/Claude/claude_desktop_config.json'), 'utf8')).toBe(CLAUDE_BEFORE);
    expect(readFileSync(join(home, '.config/Code/User/mcp.json'), 'utf8')).toBe(VSCODE_BEFORE);
    expect(JSON.parse(readFileSync(join(home, '.cursor/mcp.json'), 'utf8'))).toEqual({ mcpServers: {} });
    // Another RabbitMQ server that happens to be called "rabbitmq" is not ours: it stays, and the report says so.
    expect(readFileSync(join(home, '.codeium/windsurf/mcp_config.json'), 'utf8')).toBe(WINDSURF_THEIRS);
    expect(results.find((result) => result.id === 'windsurf')?.message).toMatch(/is not this app's, so it stays/);
    // The backup of each removal holds the file as it was with our entry.
    const claude = results.find((result) => result.id === 'claude-desktop');
    expect(claude?.message).toContain(claude?.backupPath as string);
    expect(readFileSync(claude?.backupPath as string, 'utf8')).toBe(claudeConnected);
    // Undo would put back what was just taken out: its records are gone.
    expect([...records.map.keys()]).toEqual([]);
    // A second time: nothing left to remove, no new backup.
    const before = backupsIn(join(home, '.config/Claude')).length;
    expect((await setup.disconnectAll()).every((result) => result.outcome === 'not-connected')).toBe(true);
    expect(backupsIn(join(home, '.config/Claude'))).toHaveLength(before);
  });

  it('reports a client whose file does not parse as failed, and still disconnects the others', async () => {
    const { setup } = await connectedMachine();
    const broken = '{ "servers": { "rabbitmq": {"env": {"RABBITMQ_MCP_HOME": "x"}} ';
    writeFileSync(join(home, '.config/Code/User/mcp.json'), broken);
    const results = await setup.disconnectAll();
    expect(results.find((result) => result.id === 'vscode')).toMatchObject({ outcome: 'failed' });
    expect(results.find((result) => result.id === 'vscode')?.message).toMatch(/VS Code: .*mcp\.json is not valid JSON at line 1/);
    expect(readFileSync(join(home, '.config/Code/User/mcp.json'), 'utf8')).toBe(broken);
    expect(readFileSync(join(home, '.config/Claude/claude_desktop_config.json'), 'utf8')).toBe(CLAUDE_BEFORE);
  });

  it('tells our entry from another one by what it runs', () => {
    expect(isOurEntry(launch())).toBe(true);
    expect(isOurEntry({ command: 'C:\\RabbitMQ MCP.exe', args: ['C:\\resources\\app\\stdio-entry.mjs'] })).toBe(true);
    expect(isOurEntry({ command: 'uvx', args: ['amq-mcp-server'] })).toBe(false);
    expect(isOurEntry({ command: 'node', args: ['my-stdio-entry.mjs.bak'] })).toBe(false);
    expect(isOurEntry('rabbitmq')).toBe(false);
  });
});

describe('taking our entry out again', () => {
  it.each([
    ['an empty servers object', '{"mcpServers": {}}'],
    ['a servers object with only a comment in it', '{\n  "mcpServers": {\n    // mine\n  }\n}\n'],
    ['another server before ours', '{\n  "mcpServers": {\n    "a": {"command": "b"}\n  }\n}'],
    ['everything on one line', '{ "mcpServers": { "a": 1 } }'],
    [
      'CRLF, tabs, a trailing comma and a comment on the last line',
      '{\r\n\t"x": 1,\r\n\t"mcpServers": {\r\n\t\t"a": 1, // c\r\n\t},\r\n}\r\n',
    ],
    ['JSONC trailing commas elsewhere', '{\n  "mcpServers": {\n    "a": 1,\n  },\n  "z": [1,]\n}\n'],
    [
      'a one-line neighbour with a trailing comma',
      '// my MCP servers\r\n{\r\n\t"servers": {\r\n\t\t"github": { "type": "http", "url": "https://x/" },\r\n\t},\r\n}\r\n',
    ],
  ])('after putting it in gives back the bytes: %s', async (_name, original) => {
    const path = put('mcp.json', original);
    const key = original.includes('"servers"') ? 'servers' : 'mcpServers';
    writeFileSync(path, withValue(await readConfig(path), [key, 'rabbitmq'], launch()));
    expect(readFileSync(path, 'utf8')).toContain('"rabbitmq"');
    expect(withoutValue(await readConfig(path), [key, 'rabbitmq'])).toBe(original);
  });

  it('takes ours out from before other servers too, line and comma', async () => {
    const path = put('mcp.json', '{\n  "mcpServers": {\n    "rabbitmq": {"command": "x"},\n    "b": 2\n  }\n}');
    expect(withoutValue(await readConfig(path), ['mcpServers', 'rabbitmq'])).toBe('{\n  "mcpServers": {\n    "b": 2\n  }\n}');
  });
});

describe('old backups', () => {
  it('a write that fails after its backup was saved leaves no backup behind (a link into a folder the user may not write)', async () => {
    // The scenario runs as an unprivileged user: root may write anywhere, so nothing would fail.
    const scenario = join(home, 'scenario.mjs');
    await build({
      stdin: {
        contents: `
          import { readdirSync } from 'node:fs';
          import { join } from 'node:path';
          import { ClientSetup } from ${JSON.stringify(join(ROOT, 'electron/core/clients/client-setup.ts'))};
          const [home, launch] = [process.argv[2], JSON.parse(process.argv[3])];
          const records = new Map();
          const setup = new ClientSetup({ platform: { os: 'linux', home, env: {} }, launch,
            records: { get: (id) => records.get(id), set: (id, r) => records.set(id, r), delete: (id) => records.delete(id) },
            commands: { find: async () => null, run: async () => undefined } });
          const errors = [];
          for (let round = 0; round < 7; round++) await setup.connect('cursor').catch((error) => errors.push(error.code ?? error.message));
          console.log(JSON.stringify({ errors, backups: readdirSync(join(home, '.cursor')).filter((name) => name.endsWith('.bak')) }));
        `,
        resolveDir: ROOT,
        loader: 'ts',
      },
      outfile: scenario,
      bundle: true,
      platform: 'node',
      format: 'esm',
      mainFields: ['module', 'main'],
      logLevel: 'warning',
    });
    // ~/.cursor/mcp.json is a link into a dotfiles folder the user cannot write (a package manager's, a read-only checkout).
    const dotfiles = join(home, 'dotfiles');
    put('dotfiles/cursor-mcp.json', '{"mcpServers": {}}');
    mkdirSync(join(home, '.cursor'));
    symlinkSync(join(dotfiles, 'cursor-mcp.json'), join(home, '.cursor', 'mcp.json'));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      for (const path of [home, join(home, '.cursor'), dotfiles, join(dotfiles, 'cursor-mcp.json'), scenario])
        chownSync(path, 65534, 65534);
      chmodSync(home, 0o755);
    }
    chmodSync(dotfiles, 0o555);
    const run = spawnSync(process.execPath, [scenario, home, JSON.stringify(launch())], {
      encoding: 'utf8',
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    chmodSync(dotfiles, 0o755);
    expect(run.stderr).toBe('');
    const outcome = JSON.parse(run.stdout) as { errors: string[]; backups: string[] };
    expect(outcome.errors).toEqual(Array(7).fill('EACCES'));
    expect(outcome.backups).toEqual([]);
    expect(readFileSync(join(dotfiles, 'cursor-mcp.json'), 'utf8')).toBe('{"mcpServers": {}}');
  });

  it('keeps the last five per file when connects succeed, the newest ones', async () => {
    put('.cursor/mcp.json', '{"mcpServers": {}}');
    const setup = new ClientSetup({
      platform: { os: 'linux', home, env: {} },
      launch: launch(),
      records: memoryRecords(),
      commands: NO_CLI,
    });
    const made: string[] = [];
    for (let round = 0; round < 8; round++) {
      const result = await setup.connect('cursor');
      made.push(/saved as (\S+)\./.exec(result.message)?.[1] ?? '');
      await setup.undo('cursor');
    }
    expect(backupsIn(join(home, '.cursor')).map((name) => join(home, '.cursor', name))).toEqual(made.slice(-5));
  });
});

describe('the uninstallers', () => {
  /** The clients connected, as the app would have left them. */
  async function connectedHome(): Promise<void> {
    await connectedMachine();
    put('.claude.json', `{\n  "numStartups": 12,\n  "mcpServers": {\n    "rabbitmq": ${JSON.stringify(launch())}\n  }\n}\n`);
  }

  it('--remove-client-entries, from the built artifact, removes only our entries, with backups', async () => {
    await ensureBuilt();
    await connectedHome();
    const output = execFileSync(process.execPath, [REMOVE_COMMAND, '--remove-client-entries'], {
      env: { PATH: process.env.PATH ?? '', HOME: home },
      encoding: 'utf8',
    });
    expect(output).toMatch(/^removed: Removed our entry from .*claude_desktop_config\.json\./m);
    expect(output).toMatch(/^removed: Removed our entry from .*\.claude\.json\./m);
    expect(output).toMatch(/^not-connected: Windsurf was not connected \(its entry named "rabbitmq"/m);
    expect(readFileSync(join(home, '.config/Claude/claude_desktop_config.json'), 'utf8')).toBe(CLAUDE_BEFORE);
    expect(readFileSync(join(home, '.config/Code/User/mcp.json'), 'utf8')).toBe(VSCODE_BEFORE);
    expect(readFileSync(join(home, '.codeium/windsurf/mcp_config.json'), 'utf8')).toBe(WINDSURF_THEIRS);
    expect(JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8'))).toEqual({ numStartups: 12, mcpServers: {} });
    expect(backupsIn(home)).toHaveLength(1);
  });

  it('--remove-client-entries says how to use it when called without the flag, and changes nothing', async () => {
    await ensureBuilt();
    await connectedHome();
    const run = spawnSync(process.execPath, [REMOVE_COMMAND], { env: { PATH: process.env.PATH ?? '', HOME: home }, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/usage: remove-client-entries\.mjs --remove-client-entries/);
    expect(readFileSync(join(home, '.config/Claude/claude_desktop_config.json'), 'utf8')).toContain('"rabbitmq"');
  });

  describe('the deb prerm script', () => {
    /** A stand-in for / with the installed app: its binary runs the shipped script as Node, as Electron's does with ELECTRON_RUN_AS_NODE. */
    function installedRoot(): { root: string; userHome: string; calls: string } {
      const root = join(home, 'root-fs');
      const app = join(root, 'opt', 'RabbitMQ MCP');
      mkdirSync(join(app, 'resources', 'app'), { recursive: true });
      writeFileSync(join(app, 'resources', 'app', 'remove-client-entries.mjs'), readFileSync(REMOVE_COMMAND));
      const calls = join(home, 'binary-calls.log');
      writeFileSync(
        join(app, 'rabbitmq-mcp'),
        `#!/bin/sh\necho "$(id -un) HOME=$HOME ELECTRON_RUN_AS_NODE=$ELECTRON_RUN_AS_NODE $*" >> ${JSON.stringify(calls)}\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || exit 9\nexec ${JSON.stringify(process.execPath)} "$@"\n`,
        { mode: 0o755 },
      );
      const userHome = join(root, 'home', 'ana');
      mkdirSync(userHome, { recursive: true });
      return { root, userHome, calls };
    }

    it('is valid sh', () => {
      expect(spawnSync('sh', ['-n', DEB_SCRIPT], { encoding: 'utf8' }).status).toBe(0);
    });

    it('on remove, runs the command for each home as its owner; on upgrade, touches nothing', async () => {
      await ensureBuilt();
      await connectedHome();
      const { root, userHome, calls } = installedRoot();
      // The user's settings: this test's connected home, moved under the stand-in /home.
      for (const name of ['.config', '.codeium', '.cursor', '.claude.json']) execFileSync('mv', [join(home, name), userHome]);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', RABBITMQ_MCP_ROOT: root };
      const claude = join(userHome, '.config/Claude/claude_desktop_config.json');

      const upgrade = spawnSync('sh', [DEB_SCRIPT, 'upgrade', '0.2.0'], { env, encoding: 'utf8' });
      expect(upgrade.status).toBe(0);
      expect(existsSync(calls)).toBe(false);
      expect(readFileSync(claude, 'utf8')).toContain('"rabbitmq"');

      const remove = spawnSync('sh', [DEB_SCRIPT, 'remove'], { env, encoding: 'utf8' });
      expect(remove.status).toBe(0);
      const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
      expect(readFileSync(calls, 'utf8')).toContain(
        `${user} HOME=${userHome} ELECTRON_RUN_AS_NODE=1 ${join(root, 'opt/RabbitMQ MCP/resources/app/remove-client-entries.mjs')} --remove-client-entries`,
      );
      expect(readFileSync(claude, 'utf8')).toBe(CLAUDE_BEFORE);
      expect(readFileSync(join(userHome, '.config/Code/User/mcp.json'), 'utf8')).toBe(VSCODE_BEFORE);
      expect(remove.stdout).toMatch(/removed: Removed our entry/);
    });

    it('never fails the removal: a command that fails, or no app at all, still exits 0', () => {
      const { root } = installedRoot();
      writeFileSync(join(root, 'opt', 'RabbitMQ MCP', 'rabbitmq-mcp'), '#!/bin/sh\nexit 3\n', { mode: 0o755 });
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', RABBITMQ_MCP_ROOT: root };
      expect(spawnSync('sh', [DEB_SCRIPT, 'remove'], { env }).status).toBe(0);
      rmSync(join(root, 'opt'), { recursive: true });
      expect(spawnSync('sh', [DEB_SCRIPT, 'purge'], { env }).status).toBe(0);
    });
  });
});
