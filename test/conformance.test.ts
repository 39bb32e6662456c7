import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpProcess, startHttpProcess } from './support/http-process.js';
import { node22 } from './support/node-binary.js';

const run = promisify(execFile);
const SUITE = fileURLToPath(new URL('../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url));
/** What the server must pass for each protocol revision, of what applies to a server that is not the suite's reference server. */
const SCENARIOS: Record<string, string[]> = {
  '2025-11-25': [
    'server-initialize',
    'ping',
    'logging-set-level',
    'tools-list',
    'resources-list',
    'prompts-list',
    'completion-complete',
    'dns-rebinding-protection',
  ],
  '2026-07-28': [
    'server-stateless',
    'tools-list',
    'resources-list',
    'prompts-list',
    'completion-complete',
    'dns-rebinding-protection',
    'caching',
    'http-header-validation',
    'sep-2164-resource-not-found',
  ],
};

/**
 * Checks that call a tool only the suite's reference server has (test_missing_capability), so
 * they fail against any other server: each is allowed to fail, and only those.
 */
const NEEDS_REFERENCE_TOOLS: Record<string, string[]> = {
  'server-stateless': ['sep-2575-server-rejects-undeclared-capability', 'sep-2575-missing-capability-http-400'],
};

let server: HttpProcess;
let node: string;

beforeAll(async () => {
  node = node22();
  server = await startHttpProcess({ LOG_LEVEL: 'warn' });
});

afterAll(async () => {
  await server?.stop();
});

const CASES = Object.entries(SCENARIOS).flatMap(([revision, scenarios]) => scenarios.map((scenario) => ({ revision, scenario })));

describe('the official MCP conformance suite against the HTTP server', () => {
  it.each(CASES)('$scenario passes at $revision', async ({ revision, scenario }) => {
    const { stdout } = await run(node, [SUITE, 'server', '--url', server.url, '--scenario', scenario, '--spec-version', revision], {
      timeout: 60_000,
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ''}${error.stderr ?? ''}` }));
    const summary = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(stdout);
    expect(summary, stdout).not.toBeNull();
    const failed = [...stdout.matchAll(/\[([\w-]+)\s*\]\s+\S*FAILURE/g)].map((match) => match[1]);
    expect(failed, stdout).toEqual(NEEDS_REFERENCE_TOOLS[scenario] ?? []);
    expect(Number(summary?.[3])).toBe(failed.length);
  });
});
