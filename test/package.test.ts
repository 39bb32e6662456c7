import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerEnv } from './support/mcp-harness.js';
import { eventually } from './support/broker-admin.js';
import { callTool } from './support/tool-answer.js';
import { INITIALIZE, JSON_HEADERS } from './support/http-harness.js';
import { freePort } from './support/http-process.js';
import { blockAfter } from './support/readme-blocks.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'mcp-pack-'));
const clone = join(folder, 'clone');
const prefix = join(folder, 'global');

/** A shell's environment, without what `npm test` exports to its children (npm_config_*, npm_lifecycle_*…). */
function freshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'NODE_ENV'));
  return { ...env, ...extra };
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: freshEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

/**
 * What a clone of this checkout holds: every file git tracks or would track (the working tree's
 * content, so uncommitted work is tested too), nothing it ignores (no dist/, no node_modules/).
 */
function freshClone(target: string): void {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(target, file));
  }
}

interface Packed {
  filename: string;
  size: number;
  files: { path: string }[];
}

describe('the npm package, from a fresh clone', () => {
  let packed: Packed;
  let tarball: string;

  beforeAll(() => {
    freshClone(clone);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    npm(['ci', '--no-audit', '--no-fund'], clone);
    // Nothing built by hand: `npm pack` builds what it packs (prepack).
    packed = (JSON.parse(npm(['pack', '--json', '--pack-destination', folder], clone)) as Packed[])[0] as Packed;
    tarball = join(folder, packed.filename);
  }, 600_000);

  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('packs the built server and library, without source maps, and says where it comes from', () => {
    const files = packed.files.map((file) => file.path);
    expect(files).toContain('dist/server/rabbitmq-mcp-server.mjs');
    expect(files).toContain('dist/lib/index.mjs');
    expect(files).toContain('dist/lib/types/server/index.d.ts');
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => /^(electron|renderer|server|test|scripts)\//.test(file))).toEqual([]);
    expect(packed.size).toBeLessThan(2 * 1024 * 1024);
    const pkg = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as Record<string, any>;
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs.url).toMatch(/^https:\/\//);
    expect(pkg.author).toBeTruthy();
    // The README states the Node.js the package's engines field asks for.
    const minimum = /^>=(\d+\.\d+)/.exec(pkg.engines.node)?.[1];
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node.js ${minimum} or later`);
  });

  it('keeps OpenTelemetry, amqplib and the HTTP transport off the start-up path', () => {
    // Nothing the entry loads statically (followed file by file) imports them except with import().
    const loaded = new Set<string>();
    const dynamic: string[] = [];
    const walk = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const code = readFileSync(file, 'utf8');
      for (const [, path] of code.matchAll(/\bimport\(\s*"(\.\/[^"]+)"\)/g)) dynamic.push(path as string);
      for (const [, path] of code.matchAll(/\bfrom\s*"(\.\/[^"]+)"/g)) walk(join(dirname(file), path as string));
    };
    walk(join(clone, 'dist/server/rabbitmq-mcp-server.mjs'));
    for (const lazy of ['otel-', 'channel_api-', 'serve-http-', 'health-check-']) {
      expect(
        [...loaded].some((path) => path.includes(lazy)),
        `${lazy} is loaded at start-up`,
      ).toBe(false);
      expect(
        dynamic.some((path) => path.includes(lazy)),
        `${lazy} is never imported`,
      ).toBe(true);
    }
  });

  it('installs globally from the tarball with nothing else to install, and serves tools/list on stdio', async () => {
    const installed = npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], folder);
    expect(installed).toMatch(/added 1 package/);
    const bin = join(prefix, 'bin', 'rabbitmq-mcp-server');
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8', env: freshEnv() });
    expect(version.stdout.trim(), version.stderr).toBe(JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).version);
    const client = new Client({ name: 'package-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: bin, env: { PATH: process.env.PATH ?? '', ...brokerEnv({ LOG_LEVEL: 'silent' }) } }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('list_queues');
      const overview = await callTool(client, 'get_overview');
      expect(overview.isError, overview.text).toBe(false);
      expect(overview.text).toMatch(/RabbitMQ \d+\.\d+/);
    } finally {
      await client.close();
    }
  });

  it('runs with npx from the tarball, and its library entry imports with types', () => {
    const npx = spawnSync('npx', ['--yes', `--package=${tarball}`, 'rabbitmq-mcp-server', '--version'], {
      cwd: folder,
      encoding: 'utf8',
      env: freshEnv(),
      timeout: 120_000,
    });
    expect(npx.stdout.trim(), npx.stderr).toMatch(/^\d+\.\d+\.\d+$/);
    const app = join(folder, 'app');
    mkdirSync(app);
    npm(['install', '--prefix', app, '--no-audit', '--no-fund', '--no-save', tarball], app);
    const imported = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('rabbitmq-mcp-server'); console.log(typeof m.createRabbitMqMcp)"],
      { cwd: app, encoding: 'utf8' },
    );
    expect(imported.stdout.trim(), imported.stderr).toBe('function');
    expect(existsSync(join(app, 'node_modules/rabbitmq-mcp-server/dist/lib/types/server/index.d.ts'))).toBe(true);
  });

  it("runs the README's mount example pasted into a default CommonJS project and into an ES module one, with a token", async () => {
    const example = blockAfter('### Mounted in your own Node app', 'js');
    const expressVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
      .devDependencies.express as string;
    for (const kind of ['commonjs', 'module'] as const) {
      const project = join(folder, `mount-${kind}`);
      mkdirSync(project);
      // What `npm init -y` writes, with the module type its project chose.
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `mount-${kind}`, version: '1.0.0', type: kind }, null, 2));
      npm(['install', '--no-audit', '--no-fund', `express@${expressVersion}`, tarball], project);
      writeFileSync(join(project, 'app.js'), example);
      const port = await freePort();
      const token = `mount-token-${kind}-0123456789abcdef`;
      const app = spawn(process.execPath, ['app.js'], {
        cwd: project,
        env: { PATH: process.env.PATH ?? '', ...brokerEnv({ LOG_LEVEL: 'warn', MCP_AUTH_TOKEN: token, PORT: String(port) }) },
      });
      try {
        let out = '';
        app.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        let err = '';
        app.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        await new Promise<void>((resolve, reject) => {
          app.stdout.on('data', () => out.includes('MCP at') && resolve());
          app.once('exit', (code) => reject(new Error(`the ${kind} example exited (${code}):\n${err}`)));
        });
        expect(out.trim()).toBe(`MCP at http://127.0.0.1:${port}/rabbitmq/mcp`);
        const url = `http://127.0.0.1:${port}/rabbitmq/mcp`;
        const post = (headers: Record<string, string>) =>
          fetch(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(INITIALIZE) });
        expect((await post({})).status).toBe(401);
        const answer = await post({ authorization: `Bearer ${token}` });
        expect(answer.status, await answer.clone().text()).toBe(200);
        // Healthy once its AMQP connection is up (it connects in the background at start).
        await eventually(async () => ((await fetch(`${url}/health`)).status === 200 ? true : undefined), 'the mounted health', 15_000);
        expect(err).not.toContain('mounted without MCP_AUTH_TOKEN');
      } finally {
        const exited = new Promise((resolve) => app.once('exit', (code) => resolve(code)));
        app.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    }
  });
});
