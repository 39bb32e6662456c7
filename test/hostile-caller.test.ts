import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterProblem } from '../server/broker/name-filter.js';
import { Scope } from '../server/broker/scope.js';
import { maskUri } from '../server/tools/credentials.js';
import { guardStdin } from '../server/transports/stdio/stdio-line-guard.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { type HttpHarness, INITIALIZE, JSON_HEADERS, TOKEN, rpc, startHttpHarness } from './support/http-harness.js';
import { useBrokerFixture } from './support/broker-fixture.js';
import { brokerEnv } from './support/mcp-harness.js';

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-hostile', args: ['--allow-write'] });

beforeAll(async () => {
  await fixture.mcp.call('create_queue', { name: 'orders' });
});

describe('filters a caller supplies', () => {
  it.each([
    ['(a)\\1', /back-references/],
    ['^(?=orders)', /lookaround/],
    ['x'.repeat(201), /longer than 200/],
    ['orders(', /not a valid regular expression/],
  ])('refuses %s, saying why', async (pattern, reason) => {
    expect(await filterProblem(pattern)).toMatch(reason);
  });

  // Filters are matched here with RE2, in linear time, and never sent to the broker (test/hostile-listing.test.ts):
  // what backtracking engines take exponential time on is fine.
  it.each([
    'orders',
    '^orders\\.',
    'eu|us',
    '(eu|us)-orders',
    'orders-[0-9]+$',
    '.*paid.*',
    '(ab)?c',
    '^(.+)+y$',
    '(a*)*b',
    '(x|xx)+$',
    'a.*b.*c.*d.*e',
  ])('accepts %s', async (pattern) => {
    expect(await filterProblem(pattern)).toBeUndefined();
  });

  it.each([
    ['list_connections', { vhost: undefined, filter: '^(.+)+y$' }],
    ['list_queues', { filter: '^(.+)+y$' }],
    ['list_exchanges', { filter: '(a*)*z$' }],
  ])('%s answers a filter that is catastrophic for a backtracking engine at once', async (tool, args) => {
    const answer = await fixture.mcp.call(tool, { ...args, ...(tool === 'list_connections' ? { vhost: fixture.vhost.name } : {}) });
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toMatch(/^No (connections|queue|exchange) /);
  });
});

describe('scope globs', () => {
  it.each([
    ['orders-*', 'orders-eu', true],
    ['orders-*', 'orders', false],
    ['*.audit', 'payroll.audit', true],
    ['*.audit', 'payroll.audits', false],
    ['q?', 'q1', true],
    ['q?', 'q12', false],
    ['a*b*c*d*e*f*g*h*i*j*k*z', 'a'.repeat(255), false],
    ['*', '', true],
    ['é*✓', 'élan ✓', true],
    ['.+', 'ab', false],
  ])('%s against %s: %s', (glob, name, expected) => {
    expect(new Scope([], [glob]).queueAllowed('/', name)).toBe(expected);
  });
});

describe('names', () => {
  it.each([
    ['a lone surrogate', '\ud800orders', /unpaired UTF-16 surrogate/],
    ['a NUL', 'ord\u0000ers', /NUL character/],
  ])('a queue name with %s gets a clear error, not an internal one', async (_case, name, reason) => {
    for (const [tool, args] of [
      ['list_queues', { name }],
      ['peek_messages', { queue: name }],
      ['create_queue', { name }],
      ['list_queues', { vhost: name }],
    ] as const) {
      const answer = await fixture.mcp.call(tool, args);
      expect(answer.isError, tool).toBe(true);
      expect(answer.text, tool).toMatch(reason);
      expect(answer.text, tool).not.toMatch(/Internal error|bug/);
    }
  });
});

describe('URI passwords in shovels and federation upstreams', () => {
  it.each([
    ['amqp://user:p@ss@rabbit.example:5672/vh', 'amqp://user:***@rabbit.example:5672/vh'],
    ['amqp://user:with space\tand tab@rabbit.example', 'amqp://user:***@rabbit.example'],
    ['amqps://a:x@h1 | amqp://b:y z@h2/v', 'amqps://a:***@h1 | amqp://b:***@h2/v'],
    ['failed: amqp://bob:p@ss word@rabbit.local:5672 (timeout)', 'failed: amqp://bob:***@rabbit.local:5672 (timeout)'],
    ['amqp://u:pw@[::1]:5672?password=again', 'amqp://u:***@[::1]:5672?password=***'],
    ['amqp://rabbit.example/vh', 'amqp://rabbit.example/vh'],
  ])('%s is shown as %s', (uri, shown) => {
    expect(maskUri(uri)).toBe(shown);
  });
});

describe('the HTTP transport against a hostile page or client', () => {
  let http: HttpHarness;
  beforeAll(async () => {
    // Loopback without a token: the default local setup, where any loopback page may call.
    http = await startHttpHarness({ MCP_AUTH_TOKEN: '', MCP_CORS_ORIGINS: 'https://app.example.com', RATE_LIMIT_RPM: '0' });
  });
  afterAll(async () => {
    await http?.close();
  });

  it.each([
    'http://127.0.0.1.attacker.example',
    'http://localhost.attacker.example',
    'http://127.0.0.1@attacker.example',
    'http://attacker.example#@127.0.0.1',
    'null',
    'file://',
    'chrome-extension://abcdef',
    'https://app.example.com:8443',
    'http://app.example.com',
    'https://app.example.com.attacker.example',
    'https://app.example.com/path',
  ])('refuses Origin %s: no preflight, no data', async (origin) => {
    const preflight = await fetch(http.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const call = await fetch(http.url, { method: 'POST', headers: { ...JSON_HEADERS, origin }, body: JSON.stringify(INITIALIZE) });
    expect(call.status).toBe(403);
    expect(call.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each(['http://localhost:5173', 'http://127.0.0.1:6274', 'http://[::1]:3000', 'https://app.example.com'])(
    'allows Origin %s',
    async (origin) => {
      const call = await fetch(http.url, { method: 'POST', headers: { ...JSON_HEADERS, origin }, body: JSON.stringify(INITIALIZE) });
      expect(call.status).toBe(200);
      expect(call.headers.get('access-control-allow-origin')).toBe(origin);
    },
  );
});

describe('the rate limit', () => {
  let http: HttpHarness;
  beforeAll(async () => {
    http = await startHttpHarness({ RATE_LIMIT_RPM: '3' });
  });
  afterAll(async () => {
    await http?.close();
  });

  it('counts every call of a JSON-RPC batch', async () => {
    const batch = Array.from({ length: 50 }, (_, index) => rpc('tools/list', {}, index + 1));
    const response = await http.post(batch, { 'x-forwarded-for': '198.51.100.7' });
    expect(response.status).toBe(429);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('a batch counts each call');
    expect(response.headers.get('retry-after')).not.toBeNull();
  });

  it('limits failed logins too', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const response = await fetch(http.url, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: `Bearer guess-${attempt}` },
        body: JSON.stringify(INITIALIZE),
      });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
    // The right token still works: its bucket is its own.
    const ok = await fetch(http.url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(INITIALIZE),
    });
    expect(ok.status).toBe(200);
  });
});

describe('the stdio transport', () => {
  it.each<[string, string[], string[], unknown[]]>([
    ['one line in pieces', ['{"id":1,', '"a":2}', '\n'], ['{"id":1,"a":2}\n'], []],
    ['two lines in one piece', ['{"id":1}\n{"id":2}\n'], ['{"id":1}\n', '{"id":2}\n'], []],
    [
      'a line over the limit between two others',
      ['{"id":1}\n{"id":7,"x":"', 'y'.repeat(40), '"}\n{"id":3}\n'],
      ['{"id":1}\n', '{"id":3}\n'],
      [7],
    ],
    ['a line over the limit in its first piece', [`{"id":"q","x":"${'y'.repeat(40)}"}\n`], [], ['q']],
  ])('hands the transport whole lines, and refuses those over the limit: %s', async (_what, pieces, passed, refused) => {
    const input = new PassThrough();
    const refusals: string[] = [];
    const output = guardStdin(
      input,
      (response) => refusals.push(response),
      () => undefined,
      32,
    );
    const lines: string[] = [];
    output.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    for (const piece of pieces) input.write(piece);
    input.end();
    await new Promise((resolve) => output.on('end', resolve));
    expect(lines).toEqual(passed);
    expect(refusals.map((response) => (JSON.parse(response) as { id: unknown }).id)).toEqual(refused);
  });

  it('refuses a message larger than it carries, says so, and goes on serving', async () => {
    await ensureBuilt();
    const child = spawn(process.execPath, [SERVER_BIN], {
      env: { PATH: process.env.PATH ?? '', ...brokerEnv({ AMQP_VHOST: fixture.vhost.name, LOG_LEVEL: 'warn' }) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const answers = () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { id: unknown; error?: { message: string }; result?: unknown });
    const waitFor = async (id: number) => {
      const deadline = Date.now() + 20_000;
      while (!answers().some((answer) => answer.id === id)) {
        if (Date.now() > deadline) throw new Error(`no answer to ${id}; stderr: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return answers().find((answer) => answer.id === id);
    };
    try {
      child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
      await waitFor(1);
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      const huge = JSON.stringify(
        rpc(
          'tools/call',
          { name: 'publish_messages', arguments: { routing_key: 'orders', messages: [{ body: 'x'.repeat(33 * 1024 * 1024) }] } },
          2,
        ),
      );
      child.stdin.write(`${huge}\n`);
      expect((await waitFor(2))?.error?.message).toContain('Request too large: over 32 MiB');
      child.stdin.write(`${JSON.stringify(rpc('tools/list', {}, 3))}\n`);
      expect((await waitFor(3))?.result).toBeDefined();
      expect(stderr).toContain('refused a stdio message over the size limit');
    } finally {
      child.kill();
    }
  });
});
