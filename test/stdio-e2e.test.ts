import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { SERVER_BIN } from './support/built-server.js';
import { brokerEnv } from './support/mcp-harness.js';
import { type StdioSession, launchStdio } from './support/stdio-client.js';

const vhost = useTestVhost('mcp-e2e');
let session: StdioSession;

beforeAll(async () => {
  session = await launchStdio(brokerEnv({ AMQP_VHOST: vhost.name, LOG_LEVEL: 'info' }), ['--allow-write']);
});

afterAll(async () => {
  await session?.close();
});

describe('the built server over stdio', () => {
  it('initializes with instructions that hold for any broker, and get_overview names the one in use', async () => {
    expect(session.client.getServerVersion()?.name).toBe('rabbitmq-mcp-server');
    expect(session.client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    const instructions = session.client.getInstructions() ?? '';
    expect(instructions).toContain('get_overview says which broker, user and default vhost');
    expect(instructions).not.toContain(vhost.name);
    expect(instructions).not.toMatch(/127\.0\.0\.1|localhost|Writes allowed/);
    expect((await session.call('get_overview', {})).text).toContain(`on vhost ${vhost.name}`);
  });

  it('lists the write-level tools', async () => {
    const { tools } = await session.client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toContain('publish_messages');
    expect(names).not.toContain('delete_queue');
  });

  it('creates, publishes and peeks end to end', async () => {
    expect((await session.call('create_queue', { name: 'e2e', type: 'quorum' })).isError).toBe(false);
    const published = await session.call('publish_messages', { routing_key: 'e2e', messages: [{ body: 'hello over stdio' }] });
    expect(published.text).toContain('1 routed and confirmed');
    const peek = await session.call('peek_messages', { queue: 'e2e' });
    expect(peek.text).toContain('body (16 bytes, utf-8): hello over stdio');
  });

  it('keeps serving after invalid input', async () => {
    const bad = await session.call('peek_messages', { queue: 42 });
    expect(bad.isError).toBe(true);
    expect((await session.call('get_overview')).isError).toBe(false);
  });

  it('writes only JSON log lines to stderr, one per tool call', async () => {
    const before = session.stderr().length;
    await session.call('get_overview');
    await session.call('peek_messages', { queue: 42 });
    await session.call('list_queues');
    // stderr is a pipe of its own: its lines may come after the answers on stdout.
    const toolCallLines = () =>
      session
        .stderr()
        .slice(before)
        .split('\n')
        .filter((line) => line.includes('"tool call"'));
    await eventually(async () => (toolCallLines().length >= 3 ? true : undefined), 'a log line per tool call');
    const lines = session.stderr().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const calls = toolCallLines()
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg === 'tool call');
    expect(calls.map((entry) => entry.tool)).toEqual(['get_overview', 'peek_messages', 'list_queues']);
    expect(calls.map((entry) => entry.outcome)).toEqual(['ok', 'invalid', 'ok']);
    expect(calls.every((entry) => typeof entry.ms === 'number')).toBe(true);
  });
});

describe('the built server started by hand in a terminal', () => {
  /** Runs the server with a pseudo-terminal as stdin (util-linux `script`), then ends the input. */
  function inTerminal(args: string[]): string {
    const command = [process.execPath, SERVER_BIN, ...args].map((arg) => `'${arg}'`).join(' ');
    const run = spawnSync('script', ['-qec', `${command} 2>&1 </dev/tty`, '/dev/null'], {
      input: '\u0004', // Ctrl+D: the end of the terminal's input, so the server stops
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TERM: 'dumb', ...brokerEnv({ LOG_LEVEL: 'silent' }) },
      timeout: 20_000,
    });
    return run.stdout;
  }

  it('says in one line how to try it, with the command it was started with', () => {
    const output = inTerminal(['--allow-write']);
    const hint = output.split(/\r?\n/).find((line) => line.includes('waits for an AI client'));
    expect(hint, output).toBe(
      `rabbitmq-mcp-server speaks MCP on stdin/stdout and waits for an AI client; to try it by hand: npx @modelcontextprotocol/inspector node ${SERVER_BIN} --allow-write (Ctrl+C quits)`,
    );
  });

  it('stays silent on stderr when a client starts it (stdin is a pipe)', () => {
    const run = spawnSync(process.execPath, [SERVER_BIN], {
      input: '',
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...brokerEnv({ LOG_LEVEL: 'silent' }) },
    });
    expect(run.stderr).toBe('');
  });
});
