import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './support/built-server.js';

const folder = mkdtempSync(join(tmpdir(), 'mcp-pack-'));

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the npm package', () => {
  it('runs with npx from the packed tarball, with no dependencies to install', async () => {
    await ensureBuilt();
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', folder], { encoding: 'utf8' })) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(folder, packed[0]?.filename ?? '');
    const files = packed[0]?.files.map((file) => file.path) ?? [];
    expect(files).toContain('dist/server/rabbitmq-mcp-server.mjs');
    // OpenTelemetry, amqplib and the HTTP transport stay off the start-up path: nothing the entry
    // loads statically (followed file by file) imports them except with import().
    const loaded = new Set<string>();
    const dynamic: string[] = [];
    const walk = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const code = readFileSync(file, 'utf8');
      for (const [, path] of code.matchAll(/\bimport\(\s*"(\.\/[^"]+)"\)/g)) dynamic.push(path as string);
      for (const [, path] of code.matchAll(/\bfrom\s*"(\.\/[^"]+)"/g)) walk(join(dirname(file), path as string));
    };
    walk('dist/server/rabbitmq-mcp-server.mjs');
    for (const lazy of ['otel-', 'channel_api-', 'serve-http-']) {
      expect(
        [...loaded].some((path) => path.includes(lazy)),
        `${lazy} is loaded at start-up`,
      ).toBe(false);
      expect(
        dynamic.some((path) => path.includes(lazy)),
        `${lazy} is never imported`,
      ).toBe(true);
    }
    expect(files.some((path) => path.includes('chunks/otel-'))).toBe(true);
    const npx = (args: string[], input?: string) =>
      spawnSync('npx', ['--yes', `--package=${tarball}`, 'rabbitmq-mcp-server', ...args], {
        cwd: folder,
        input,
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'silent' },
        timeout: 60_000,
      });
    const version = npx(['--version']);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const session = npx([], `${initialize}\n`);
    expect(JSON.parse(session.stdout.trim().split('\n')[0] ?? '{}').result.serverInfo.name).toBe('rabbitmq-mcp-server');
    // The library entry (mounting the HTTP handler) imports from an installed copy, with its types.
    execFileSync('npm', ['install', '--prefix', folder, '--no-audit', '--no-fund', '--no-save', tarball], { stdio: 'ignore' });
    const imported = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('rabbitmq-mcp-server'); console.log(typeof m.createRabbitMqMcp)"],
      {
        cwd: folder,
        encoding: 'utf8',
      },
    );
    expect(imported.stdout.trim(), imported.stderr).toBe('function');
    expect(packed[0]?.files.map((file) => file.path)).toContain('dist/lib/types/server/index.d.ts');
  });
});
