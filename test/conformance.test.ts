import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpProcess, startHttpProcess } from './support/http-process.js';
import { node22 } from './support/node22.js';

const run = promisify(execFile);
const SUITE = fileURLToPath(new URL('../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url));
const SCENARIOS = [
  'server-initialize',
  'ping',
  'logging-set-level',
  'tools-list',
  'resources-list',
  'prompts-list',
  'completion-complete',
  'dns-rebinding-protection',
];

let server: HttpProcess;
let node: string;

beforeAll(async () => {
  node = node22();
  server = await startHttpProcess({ LOG_LEVEL: 'warn' });
});

afterAll(async () => {
  await server?.stop();
});

describe('the official MCP conformance suite against the HTTP server', () => {
  it.each(SCENARIOS)('%s passes', async (scenario) => {
    const { stdout } = await run(node, [SUITE, 'server', '--url', server.url, '--scenario', scenario], { timeout: 60_000 }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    const summary = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(stdout);
    expect(summary, stdout).not.toBeNull();
    expect(summary?.[3], stdout).toBe('0');
    expect(summary?.[1]).toBe(summary?.[2]);
  });
});
