import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/http-process.js';

const check = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['scripts/check-test-machine.mjs'], { encoding: 'utf8', env: { ...env } });

describe("npm test's first step", () => {
  it('passes quietly on a machine that has everything (this one)', () => {
    const run = check({ PATH: process.env.PATH ?? '', ...(process.env.CHROMIUM_PATH ? { CHROMIUM_PATH: process.env.CHROMIUM_PATH } : {}) });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('names everything missing in one line, with the packages and the command that installs them', async () => {
    // A PATH with Node alone, no broker listening, no Chromium.
    const bin = mkdtempSync(join(tmpdir(), 'mcp-bare-path-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const run = check({ PATH: bin, TEST_AMQP_PORT: String(await freePort()), CHROMIUM_PATH: join(bin, 'chromium') });
    rmSync(bin, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'npm test needs RabbitMQ, nginx, HAProxy, openssl, Chromium, script: run .ci/run (it installs everything and runs the tests), or sudo apt-get install -y rabbitmq-server nginx-light haproxy openssl chromium bsdutils (or set CHROMIUM_PATH)',
    ]);
  });
});
