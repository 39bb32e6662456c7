import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    expect(packed[0]?.files.map((file) => file.path)).toContain('dist/server/rabbitmq-mcp-server.mjs');
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
  });
});
