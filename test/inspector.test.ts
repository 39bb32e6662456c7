import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestVhost } from './support/broker-fixture.js';
import { SERVER_BIN, SERVER_NODE, ensureBuilt } from './support/built-server.js';
import { type HttpProcess, startHttpProcess } from './support/http-process.js';
import { brokerEnv } from './support/mcp-harness.js';

/**
 * The MCP Inspector, which the README offers for trying the server by hand, as a client of the
 * built server: its CLI mode over stdio and over HTTP. Installed from the npm registry into
 * .cache the first time (it is a tool people run with npx, not a dependency of ours).
 */
const run = promisify(execFile);
const VERSION = '2.12.0';
const PREFIX = fileURLToPath(new URL(`../.cache/inspector-${VERSION}`, import.meta.url));
const CLI = `${PREFIX}/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js`;
const vhost = useTestVhost('mcp-inspector');
const TOKEN = 'inspector-token-0123456789abcdef';
let http: HttpProcess;

function installInspector(): void {
  if (existsSync(CLI)) return;
  const own = `${PREFIX}.installing-${process.pid}`;
  mkdirSync(own, { recursive: true });
  try {
    try {
      execFileSync(
        'npm',
        [
          'install',
          '--prefix',
          own,
          '--no-save',
          '--no-package-lock',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          `@modelcontextprotocol/inspector@${VERSION}`,
        ],
        {
          stdio: 'pipe',
          encoding: 'utf8',
          timeout: 240_000,
        },
      );
    } catch (error) {
      throw new Error(`installing the MCP Inspector failed: ${String((error as { stderr?: string }).stderr ?? error).slice(-800)}`);
    }
    if (!existsSync(CLI)) {
      rmSync(PREFIX, { recursive: true, force: true });
      renameSync(own, PREFIX);
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  installInspector();
  await ensureBuilt();
  http = await startHttpProcess({ AMQP_VHOST: vhost.name, MCP_AUTH_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
}, 300_000);

afterAll(async () => {
  await http?.stop();
});

const json = (stdout: string) => JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<string, unknown>;

describe('the MCP Inspector as a client', () => {
  it('lists the tools and calls one over stdio', async () => {
    const settings = brokerEnv({ AMQP_VHOST: vhost.name, LOG_LEVEL: 'silent' });
    const env = { PATH: process.env.PATH ?? '', ...settings };
    // The Inspector starts the server with an environment of its own: the broker's settings go as -e.
    const passed = Object.entries(settings).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    const listed = await run(SERVER_NODE, [CLI, '--cli', ...passed, SERVER_NODE, SERVER_BIN, '--method', 'tools/list'], {
      env,
      timeout: 60_000,
    });
    expect((json(listed.stdout).tools as { name: string }[]).map((tool) => tool.name)).toContain('get_overview');
    const called = await run(
      SERVER_NODE,
      [CLI, '--cli', ...passed, SERVER_NODE, SERVER_BIN, '--method', 'tools/call', '--tool-name', 'get_overview'],
      {
        env,
        timeout: 60_000,
      },
    );
    expect(JSON.stringify(json(called.stdout).content)).toContain(`on vhost ${vhost.name}`);
  });

  it('lists the tools over HTTP with the bearer token', async () => {
    const listed = await run(
      SERVER_NODE,
      [CLI, '--cli', http.url, '--transport', 'http', '--header', `Authorization: Bearer ${TOKEN}`, '--method', 'tools/list'],
      { timeout: 60_000 },
    );
    expect((json(listed.stdout).tools as { name: string }[]).map((tool) => tool.name)).toContain('list_queues');
  });
});
