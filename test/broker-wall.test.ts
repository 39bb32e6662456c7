import { spawn } from 'node:child_process';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionsFor } from '../server/broker/least-privilege.js';
import { admin, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { useTestVhost } from './support/broker-fixture.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { startHarness } from './support/mcp-harness.js';
import { connectRaw } from './support/raw-amqp.js';
import { type StdioSession, launchStdio } from './support/stdio-client.js';

/*
 * The broker as the second wall: a least-privilege user made with the built server's create-user
 * for --vhosts <allowed> --queues 'orders-*' --allow-write, then the hostile cases of issue 21
 * sent straight to the broker with that user's credentials (AMQP and the management API), around
 * the server and its rules. Each must be refused by the broker and change nothing.
 */

const allowed = useTestVhost('mcp-wall');
const denied = useTestVhost('mcp-wall-denied');
const SECRET = 'secret-1';
const SECRET_MESSAGES = 3;
const DENIED_QUEUE = 'denied-q';
const DENIED_MESSAGES = 2;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built server's create-user as the test broker's administrator. */
async function createUser(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  await ensureBuilt();
  const child = spawn(process.execPath, [SERVER_BIN, 'create-user', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      AMQP_HOST: BROKER.host,
      AMQP_PORT: String(BROKER.amqpPort),
      HTTP_PORT: String(BROKER.httpPort),
      AMQP_USER: BROKER.user,
      AMQP_PASSWORD: BROKER.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

/** The `KEY=value` lines create-user prints on stdout. */
function environmentOf(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const equals = line.indexOf('=');
        return [line.slice(0, equals), line.slice(equals + 1).replace(/^'(.*)'$/s, '$1')];
      }),
  );
}

interface User {
  name: string;
  password: string;
  env: Record<string, string>;
}

let user: User;
/** What the first create-user run wrote on stderr (the plan). */
let planText = '';
const usersMade: string[] = [];

function enc(name: string): string {
  return encodeURIComponent(name);
}

/** A management API request as the least-privilege user, its path sent as written (odd spellings kept). */
async function asUser(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://${BROKER.host}:${BROKER.httpPort}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/**
 * The broker's answer is a refusal of this user: 401 or 403; RabbitMQ 4.3's 404 for a vhost it may
 * not use; or the 400 the management API wraps an AMQP access refusal in (a publish).
 */
function expectRefused(answer: { status: number; text: string }): void {
  const vhostRefusal = answer.status === 404 && /"reason":"Not Found"/.test(answer.text);
  const amqpRefusal = answer.status === 400 && /ACCESS_REFUSED/.test(answer.text);
  expect([401, 403].includes(answer.status) || vhostRefusal || amqpRefusal, `${answer.status} ${answer.text}`).toBe(true);
}

/** Runs AMQP work as the user on a channel of its own; returns what the broker said when it refused. */
async function amqpAnswer(vhost: string, work: (channel: ConfirmChannel) => unknown): Promise<string> {
  let connection: ChannelModel;
  try {
    connection = await connect({ hostname: BROKER.host, port: BROKER.amqpPort, username: user.name, password: user.password, vhost });
  } catch (error) {
    return `connection refused: ${(error as Error).message}`;
  }
  connection.on('error', () => undefined);
  const channel = await connection.createConfirmChannel();
  let closedWith = '';
  channel.on('error', (error: Error) => (closedWith = error.message));
  try {
    await work(channel);
    await channel.waitForConfirms();
    return closedWith || 'completed';
  } catch (error) {
    return closedWith || (error as Error).message;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** A queue's ready messages, read by the administrator without touching them. */
async function messagesIn(vhost: string, queue: string): Promise<number> {
  const connection = await connectRaw(vhost);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await connection.close();
  }
}

async function exists(path: string): Promise<boolean> {
  const response = await fetch(`http://${BROKER.host}:${BROKER.httpPort}/api${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`${BROKER.user}:${BROKER.password}`).toString('base64')}` },
  });
  return response.status === 200;
}

beforeAll(async () => {
  const setup = await connectRaw(allowed.name);
  const channel = await setup.createConfirmChannel();
  await channel.assertQueue(SECRET, { durable: true });
  await channel.assertQueue('orders-1', { durable: true });
  await channel.assertQueue('orders-tap', { durable: true });
  await channel.assertExchange('orders-x', 'direct', { durable: true });
  await channel.assertExchange('hidden-x', 'direct', { durable: true });
  await channel.bindQueue(SECRET, 'hidden-x', 'k');
  for (let index = 0; index < SECRET_MESSAGES; index++) channel.sendToQueue(SECRET, Buffer.from(`secret ${index}`), { persistent: true });
  await channel.waitForConfirms();
  await setup.close();
  const other = await connectRaw(denied.name);
  const deniedChannel = await other.createConfirmChannel();
  await deniedChannel.assertQueue(DENIED_QUEUE, { durable: true });
  for (let index = 0; index < DENIED_MESSAGES; index++) deniedChannel.sendToQueue(DENIED_QUEUE, Buffer.from(`denied ${index}`));
  await deniedChannel.waitForConfirms();
  await other.close();

  const name = uniqueName('mcp-wall-user');
  usersMade.push(name);
  const run = await createUser(['--name', name, '--vhosts', allowed.name, '--queues', 'orders-*', '--allow-write']);
  expect(run.code, run.stderr).toBe(0);
  const env = environmentOf(run.stdout);
  user = { name, password: env.AMQP_PASSWORD as string, env };
  planText = run.stderr;
});

afterAll(async () => {
  for (const name of usersMade) await admin('DELETE', `/users/${enc(name)}`);
});

describe('create-user', () => {
  it('makes a user with the management tag alone and the planned permissions, in the vhost in scope only', async () => {
    const made = await admin<{ tags: string[] | string }>('GET', `/users/${enc(user.name)}`);
    expect([made.tags].flat().join(',')).toBe('management');
    const permissions = await admin<{ vhost: string; configure: string; write: string; read: string }[]>(
      'GET',
      `/users/${enc(user.name)}/permissions`,
    );
    const planned = permissionsFor({ vhosts: [allowed.name], queues: ['orders-*'] }, 'write');
    expect(permissions.map(({ vhost, configure, write, read }) => ({ vhost, configure, write, read }))).toEqual([
      { vhost: allowed.name, ...planned },
    ]);
    expect(await admin('GET', `/users/${enc(user.name)}/topic-permissions`)).toEqual([]);
  });

  it('prints the environment to run the server as the user on stdout, the password there only', () => {
    expect(user.env).toMatchObject({
      AMQP_USER: user.name,
      AMQP_VHOST: allowed.name,
      MCP_VHOSTS: allowed.name,
      MCP_QUEUES: 'orders-*',
      MCP_ALLOW_WRITE: 'true',
    });
    expect(user.password).toMatch(/^[\w-]{32}$/);
    expect(planText).toMatch(/^User 'mcp-wall-user-.*' for a write server limited to --vhosts .* --queues orders-\* \(new\):/);
    expect(planText).toContain(`Created user '${user.name}'`);
    expect(planText).not.toContain(user.password);
  });

  it('changes nothing and prints no password when run again for the same scope', async () => {
    const again = await createUser(['--name', user.name, '--vhosts', allowed.name, '--queues', 'orders-*', '--allow-write']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/already is as planned[\s\S]*Nothing to change/);
    expect(again.stdout).toBe('');
  });

  it('narrows a wider existing user only with --yes, keeping its password', async () => {
    const name = uniqueName('mcp-wall-wide');
    usersMade.push(name);
    await admin('PUT', `/users/${enc(name)}`, { password: 'wide-password-1', tags: 'administrator' });
    for (const vhost of [allowed.name, denied.name]) {
      await admin('PUT', `/permissions/${enc(vhost)}/${enc(name)}`, { configure: '.*', write: '.*', read: '.*' });
    }
    const args = ['--name', name, '--vhosts', allowed.name, '--queues', 'orders-*'];
    const refused = await createUser(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/tags: administrator → management/);
    expect(refused.stderr).toContain(`remove the permissions in vhost '${denied.name}'`);
    expect(refused.stderr).toMatch(/exists: run again with --yes/);
    expect((await admin<unknown[]>('GET', `/users/${enc(name)}/permissions`)).length).toBe(2);

    const applied = await createUser([...args, '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(environmentOf(applied.stdout).AMQP_PASSWORD).toBeUndefined();
    const permissions = await admin<{ vhost: string; write: string }[]>('GET', `/users/${enc(name)}/permissions`);
    expect(permissions.map((entry) => [entry.vhost, entry.write])).toEqual([[allowed.name, '^$']]);
    const whoami = await fetch(`http://${BROKER.host}:${BROKER.httpPort}/api/whoami`, {
      headers: { authorization: `Basic ${Buffer.from(`${name}:wide-password-1`).toString('base64')}` },
    });
    expect(await whoami.json()).toMatchObject({ name, tags: ['management'] });
  });

  it.each([
    ['a login that is no administrator', () => ({ AMQP_USER: user.name, AMQP_PASSWORD: user.password }), [], /is not an administrator/],
    [
      'a scope that matches no vhost',
      () => ({}),
      ['--vhosts', 'no-such-vhost-*'],
      /no vhost on the broker matches --vhosts no-such-vhost-\*/,
    ],
    ['no --name', () => ({}), ['--name'], /--name needs a value/],
  ] as const)('refuses %s with a clear error', async (_case, env, extra, message) => {
    const run = await createUser(['--name', uniqueName('mcp-wall-never'), ...extra], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain(user.password);
  });
});

describe('a server run as that user', () => {
  let server: StdioSession;
  beforeAll(async () => {
    server = await launchStdio({
      AMQP_HOST: BROKER.host,
      AMQP_PORT: String(BROKER.amqpPort),
      HTTP_PORT: String(BROKER.httpPort),
      LOG_LEVEL: 'info',
      // management_api is in the api toolset, off by default.
      MCP_TOOLS: 'all',
      ...user.env,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('says in get_overview which promises the broker enforces and which only the server does', async () => {
    const answer = await server.call('get_overview');
    expect(answer.isError, answer.text).toBe(false);
    const byBroker = /enforced_by_broker: (.*)/.exec(answer.text)?.[1] ?? '';
    const byServer = /only_by_server: (.*)/.exec(answer.text)?.[1] ?? '';
    expect(byBroker).toContain(
      `scope --vhosts ${allowed.name}: other vhosts (user ${user.name} has permissions only in '${allowed.name}')`,
    );
    expect(byBroker).toMatch(
      new RegExp(
        `scope --queues orders-\\*: declaring, deleting, binding and reading hidden queues \\(user ${user.name} may not configure, write, read 'mcp-probe-[0-9a-f]+'`,
      ),
    );
    expect(byBroker).toContain('publishing to a hidden queue by name (user');
    expect(byBroker).toContain('the firehose (user');
    expect(byBroker).toContain('no policies, shovels or federation');
    expect(byServer).toContain('write, nothing removed (RabbitMQ grants deleting with configure');
    expect(byServer).toContain('messages routed into hidden queues');
    expect(answer.text).toMatch(/nodes: not shown to user .* \(listing nodes needs the monitoring tag\)/);
  });

  it('logs the same at start', async () => {
    await expect.poll(() => server.stderr(), { timeout: 20_000 }).toContain(`promises the broker enforces for user ${user.name}`);
    expect(server.stderr()).not.toContain(user.password);
  });

  it.each([
    ['POST', `/api/exchanges/{v}/amq.default/%70ublish`, { routing_key: SECRET, payload: 'x', payload_encoding: 'string', properties: {} }],
    ['POST', `/api/queues/{v}/${SECRET}/get/`, { count: 5, ackmode: 'ack_requeue_false', encoding: 'auto' }],
    ['POST', `/api/definitions/{v}`, { policies: [{ name: 'p', pattern: '.*', definition: { 'max-length': 0 }, 'apply-to': 'queues' }] }],
  ])('refuses %s %s through management_api, and the hidden queue keeps its messages', async (method, path, body) => {
    const answer = await server.call('management_api', { method, path: path.replace('{v}', enc(allowed.name)), body, confirm: true });
    expect(answer.isError, answer.text).toBe(true);
    expect(await messagesIn(allowed.name, SECRET)).toBe(SECRET_MESSAGES);
  });
});

describe('a server run as an administrator', () => {
  it('says only the server holds its scope', async () => {
    const mcp = await startHarness({ args: ['--queues', 'orders-*'], env: { AMQP_VHOST: allowed.name } });
    try {
      const answer = await mcp.call('get_overview');
      expect(answer.text).toMatch(
        new RegExp(`only_by_server: .*scope --queues orders-\\*: hidden queues \\(user ${BROKER.user} is an administrator`),
      );
      expect(answer.text).toContain('enforced_by_broker: nothing');
    } finally {
      await mcp.close();
    }
  });
});

/** The hidden queue and everything around it as the tests left it: what each refusal must not have changed. */
async function expectHiddenUntouched(): Promise<void> {
  expect(await messagesIn(allowed.name, SECRET)).toBe(SECRET_MESSAGES);
  expect(await messagesIn(denied.name, DENIED_QUEUE)).toBe(DENIED_MESSAGES);
}

const v = () => enc(allowed.name);

/**
 * A path or body of the tables below with its placeholders filled: {v} the allowed vhost, {v~} the
 * same with its first character percent-encoded, {d} the denied vhost, {vhost} the allowed
 * vhost's name as such, {user}, {password} and {port} the administrator's login and AMQP port.
 */
function spelled(text: string): string {
  return text
    .replaceAll('{v~}', `%${allowed.name.charCodeAt(0).toString(16)}${enc(allowed.name.slice(1))}`)
    .replaceAll('{v}', enc(allowed.name))
    .replaceAll('{d}', enc(denied.name))
    .replaceAll('{vhost}', allowed.name)
    .replaceAll('{user}', BROKER.user)
    .replaceAll('{password}', BROKER.password)
    .replaceAll('{port}', String(BROKER.amqpPort));
}

type AmqpAttack = readonly [spelling: string, work: (channel: ConfirmChannel) => unknown];
type HttpAttack = readonly [method: string, path: string, body: unknown];

describe('the broker refuses the user, called directly, what its scope and level forbid', () => {
  describe.each<readonly [string, readonly AmqpAttack[]]>([
    [
      'declaring, deleting or dead-lettering into a hidden queue over AMQP',
      [
        ['declare a new hidden queue', (ch) => ch.assertQueue('secret-2')],
        ['redeclare the hidden queue', (ch) => ch.assertQueue(SECRET, { durable: true })],
        ['delete the hidden queue', (ch) => ch.deleteQueue(SECRET)],
        [
          'declare a queue in scope that dead-letters into it by the default exchange',
          (ch) =>
            ch.assertQueue('orders-dl', {
              arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': SECRET, 'x-message-ttl': 1 },
            }),
        ],
        ['delete an exchange that feeds the hidden queue', (ch) => ch.deleteExchange('hidden-x')],
      ],
    ],
    [
      'reading a hidden queue over AMQP',
      [
        ['basic.get', (ch) => ch.get(SECRET, { noAck: true })],
        ['basic.consume', (ch) => ch.consume(SECRET, () => undefined, { noAck: true })],
        ['queue.purge', (ch) => ch.purgeQueue(SECRET)],
      ],
    ],
    [
      'writing into a hidden queue over AMQP',
      [
        ['publish by the default exchange', (ch) => ch.publish('', SECRET, Buffer.from('x'))],
        ['publish to the exchange that feeds it', (ch) => ch.publish('hidden-x', 'k', Buffer.from('x'))],
        ['publish through amq.direct', (ch) => ch.publish('amq.direct', SECRET, Buffer.from('x'))],
        ['bind it to an exchange in scope', (ch) => ch.bindQueue(SECRET, 'orders-x', 'k')],
        ['bind amq.topic into an exchange in scope', (ch) => ch.bindExchange('orders-x', 'amq.topic', '#')],
      ],
    ],
    [
      'tapping the firehose over AMQP',
      [
        ['bind a queue in scope to amq.rabbitmq.trace', (ch) => ch.bindQueue('orders-tap', 'amq.rabbitmq.trace', '#')],
        ['bind an exchange in scope to amq.rabbitmq.trace', (ch) => ch.bindExchange('orders-x', 'amq.rabbitmq.trace', '#')],
        ['bind to the event exchange name', (ch) => ch.bindQueue('orders-tap', 'amq.rabbitmq.event', '#')],
      ],
    ],
  ])('%s', (_class, cases) => {
    it.each(cases)('refuses: %s', async (_spelling, work) => {
      const said = await amqpAnswer(allowed.name, work);
      expect(said).toMatch(/ACCESS.REFUSED/);
      await expectHiddenUntouched();
      expect(await exists(`/queues/${v()}/secret-2`)).toBe(false);
      expect(await exists(`/queues/${v()}/orders-dl`)).toBe(false);
      expect(await exists(`/exchanges/${v()}/hidden-x`)).toBe(true);
    });
  });

  describe.each<readonly [string, readonly HttpAttack[]]>([
    [
      'declaring or deleting a hidden queue by the management API',
      [
        ['PUT', '/api/queues/{v}/secret-2', { durable: true }],
        ['PUT', '/api/queues/{v}/%73ecret-2', { durable: true }],
        ['DELETE', '/api/queues/{v}/secret-1', undefined],
        ['DELETE', '/api/queues/{v}/secret-1/', undefined],
        ['DELETE', '/api/exchanges/{v}/hidden-x', undefined],
      ],
    ],
    [
      'reading a hidden queue by the management API',
      [
        ['POST', '/api/queues/{v}/secret-1/get', { count: 5, ackmode: 'ack_requeue_false', encoding: 'auto' }],
        ['POST', '/api/queues/{v}/secret-1/get/', { count: 5, ackmode: 'ack_requeue_false', encoding: 'auto' }],
        ['POST', '/api/queues/{v~}/secret-1/%67et', { count: 5, ackmode: 'ack_requeue_false', encoding: 'auto' }],
        ['DELETE', '/api/queues/{v}/secret-1/contents', undefined],
      ],
    ],
    [
      'writing into a hidden queue by the management API',
      [
        [
          'POST',
          '/api/exchanges/{v}/amq.default/publish',
          { routing_key: SECRET, payload: 'x', payload_encoding: 'string', properties: {} },
        ],
        [
          'POST',
          '/api/exchanges/{v}/amq.default/publish/',
          { routing_key: SECRET, payload: 'x', payload_encoding: 'string', properties: {} },
        ],
        [
          'POST',
          '/api/exchanges/{v}/amq.default/%70ublish',
          { routing_key: SECRET, payload: 'x', payload_encoding: 'string', properties: {} },
        ],
        ['POST', '/api/exchanges/{v}/hidden-x/publish', { routing_key: 'k', payload: 'x', payload_encoding: 'string', properties: {} }],
        ['POST', '/api/bindings/{v}/e/orders-x/q/secret-1', { routing_key: 'k' }],
        ['POST', '/api/bindings/{v}/e/amq.topic/e/orders-x', { routing_key: '#' }],
      ],
    ],
    [
      'tapping the firehose by the management API',
      [
        ['POST', '/api/bindings/{v}/e/amq.rabbitmq.trace/q/orders-tap', { routing_key: '#' }],
        ['POST', '/api/bindings/{v}/e/%61mq.rabbitmq.trace/q/orders-tap', { routing_key: '#' }],
        ['POST', '/api/bindings/{v}/e/amq.rabbitmq.trace/e/orders-x/', { routing_key: 'deliver.#' }],
      ],
    ],
    [
      'turning tracing on',
      [
        ['PUT', '/api/vhosts/{v}', { tracing: true }],
        ['PUT', '/api/vhosts/{v}/', { tracing: true }],
        ['PUT', '/api/vhosts/{v~}?tracing=true', { tracing: true }],
      ],
    ],
    [
      'setting a policy',
      [
        ['PUT', '/api/policies/{v}/wall-p', { pattern: '^secret', definition: { 'max-length': 0 }, 'apply-to': 'queues' }],
        ['PUT', '/api/policies/{v}/wall-p/', { pattern: '.*', definition: { 'dead-letter-exchange': 'orders-x' }, 'apply-to': 'queues' }],
        ['PUT', '/api/operator-policies/{v}/wall-p', { pattern: '.*', definition: { 'max-length': 0 }, 'apply-to': 'queues' }],
        ['PUT', '/api/policies/{v~}/wall-p', { pattern: '.*', definition: { 'message-ttl': 1 }, 'apply-to': 'queues' }],
      ],
    ],
    [
      'importing definitions',
      [
        [
          'POST',
          '/api/definitions',
          {
            policies: [
              { vhost: '{vhost}', name: 'wall-p', pattern: '.*', definition: { 'max-length': 0 }, 'apply-to': 'queues', priority: 0 },
            ],
          },
        ],
        [
          'POST',
          '/api/definitions/{v}',
          { policies: [{ name: 'wall-p', pattern: '.*', definition: { 'max-length': 0 }, 'apply-to': 'queues', priority: 0 }] },
        ],
        ['POST', '/api/definitions/{v}/', { queues: [{ name: 'secret-2', durable: true, auto_delete: false, arguments: {} }] }],
        [
          'POST',
          '/api/definitions/{v~}?x=1',
          { policies: [{ name: 'wall-p', pattern: '.*', definition: { 'max-length': 0 }, 'apply-to': 'queues', priority: 0 }] },
        ],
      ],
    ],
    [
      'creating a shovel or federation link into a denied vhost',
      [
        [
          'PUT',
          '/api/parameters/shovel/{v}/wall-s1',
          { value: { 'src-uri': 'amqp://', 'src-queue': 'orders-1', 'dest-uri': 'amqp:///{d}', 'dest-queue': 'denied-q' } },
        ],
        [
          'PUT',
          '/api/parameters/shovel/{v}/wall-s2',
          { value: { 'src-uri': 'AMQP:///{d}', 'src-queue': 'denied-q', 'dest-uri': 'amqp://', 'dest-queue': 'orders-1' } },
        ],
        [
          'PUT',
          '/api/parameters/shovel/{v}/wall-s3',
          {
            value: {
              'src-uri': 'amqp://{user}:{password}@localhost:{port}/{d}',
              'src-queue': 'denied-q',
              'dest-uri': 'amqp://',
              'dest-queue': 'orders-1',
            },
          },
        ],
        [
          'PUT',
          '/api/parameters/shovel/{v}/wall-s4',
          {
            value: {
              'src-uri': 'amqp://localhost:{port}?server_name_indication=/{v}',
              'src-queue': 'denied-q',
              'dest-uri': 'amqp://',
              'dest-queue': 'orders-1',
            },
          },
        ],
        ['PUT', '/api/parameters/federation-upstream/{v}/wall-u', { value: { uri: 'amqp://localhost:{port}/{d}', queue: 'denied-q' } }],
      ],
    ],
    [
      'reading a denied vhost',
      [
        ['GET', '/api/queues/{d}', undefined],
        ['GET', '/api/queues/{d}/denied-q', undefined],
        ['POST', '/api/queues/{d}/denied-q/get', { count: 5, ackmode: 'ack_requeue_false', encoding: 'auto' }],
        ['GET', '/api/exchanges/{d}/', undefined],
        ['GET', '/api/definitions/{d}', undefined],
      ],
    ],
    [
      'deleting the vhost the hidden queue is in',
      [
        ['DELETE', '/api/vhosts/{v}', undefined],
        ['DELETE', '/api/vhosts/{v}/', undefined],
        ['DELETE', '/api/vhosts/{v~}', undefined],
      ],
    ],
  ])('%s', (_class, cases) => {
    it.each(cases)('refuses %s %s', async (method, path, body) => {
      expectRefused(await asUser(method, spelled(path), body === undefined ? undefined : JSON.parse(spelled(JSON.stringify(body)))));
      await expectHiddenUntouched();
      const vhost = await admin<{ tracing: boolean }>('GET', `/vhosts/${v()}`);
      expect(vhost.tracing).toBe(false);
      expect(await admin('GET', `/policies/${v()}`)).toEqual([]);
      expect(await admin('GET', `/parameters/shovel/${v()}`)).toEqual([]);
      expect(await exists(`/queues/${v()}/secret-2`)).toBe(false);
      expect(await admin('GET', `/bindings/${v()}/e/amq.rabbitmq.trace/q/orders-tap`)).toEqual([]);
    });
  });

  it('lets an administrator, as the server ran before create-user, do the same: the wall is the user', async () => {
    const connection = await connectRaw(allowed.name);
    try {
      const channel = await connection.createChannel();
      await channel.bindQueue('orders-tap', 'amq.rabbitmq.trace', '#');
      await channel.unbindQueue('orders-tap', 'amq.rabbitmq.trace', '#');
      await channel.bindExchange('orders-x', 'amq.topic', '#');
      await channel.unbindExchange('orders-x', 'amq.topic', '#');
    } finally {
      await connection.close();
    }
  });

  it('refuses an AMQP connection to the denied vhost', async () => {
    expect(await amqpAnswer(denied.name, (channel) => channel.get(DENIED_QUEUE, { noAck: true }))).toMatch(/connection refused/);
    await expectHiddenUntouched();
  });
});
