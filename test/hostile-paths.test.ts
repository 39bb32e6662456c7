import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../server/broker/api-route.js';
import { admin, eventually, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { useHarness, useTestVhost } from './support/broker-fixture.js';
import { connectRaw } from './support/raw-amqp.js';

/**
 * Paths and URIs spelled the way a hostile caller would: each case is a request the broker reads
 * otherwise than a naive reader of its text (a trailing slash, a percent-encoded letter, an
 * upper-case scheme, a vhost hidden in a URI's query), and each got through before the server read
 * paths and URIs as the broker does. The server here is the only wall: it runs as an administrator.
 */
const inside = useTestVhost('hostile-paths');
const denied = useTestVhost('hostile-denied');
const v = () => encodeURIComponent(inside.name);
const HIDDEN = 'payroll.audit';
/** Queues a naive check let the broker declare in vhost '/': removed after the file. */
const inRoot: string[] = [];

async function ready(vhost: string, queue: string): Promise<number | undefined> {
  const found = await admin<{ name: string; messages_ready?: number }[]>(
    'GET',
    `/queues/${encodeURIComponent(vhost)}?columns=name,messages_ready`,
  );
  return found.find((item) => item.name === queue)?.messages_ready;
}

async function fill(queue: string, count: number): Promise<void> {
  await admin('PUT', `/queues/${v()}/${queue}`, { durable: true });
  for (let index = 0; index < count; index++) {
    await admin('POST', `/exchanges/${v()}/amq.default/publish`, {
      routing_key: queue,
      payload: `m${index}`,
      payload_encoding: 'string',
      properties: {},
    });
  }
  await eventually(async () => ((await ready(inside.name, queue)) === count ? true : undefined), `${count} messages in ${queue}`);
}

async function parameterNames(component: string): Promise<string[]> {
  return (await admin<{ name: string }[]>('GET', `/parameters/${component}/${v()}`)).map((item) => item.name);
}

beforeAll(async () => {
  await fill(HIDDEN, 2);
  await admin('POST', `/bindings/${v()}/e/amq.direct/q/${HIDDEN}`, { routing_key: 'payday' });
  await fill('jobs', 3);
  await fill('outbox', 1);
});

afterAll(async () => {
  // A shovel that got through would declare its queue in '/' again: shovels go first.
  for (const name of await parameterNames('shovel')) await admin('DELETE', `/parameters/shovel/${v()}/${encodeURIComponent(name)}`);
  for (const queue of inRoot) await admin('DELETE', `/queues/%2F/${encodeURIComponent(queue)}`);
});

describe('the escape hatch under --queues, publishing through an exchange bound to a hidden queue', () => {
  const server = useHarness(inside, { args: ['--allow-write', '--queues', '!*.audit'] });

  it.each([
    ['a trailing slash', () => `/api/exchanges/${v()}/amq.direct/publish/`],
    ['%70ublish', () => `/api/exchanges/${v()}/amq.direct/%70ublish`],
    ['every letter encoded and a trailing slash', () => `/api/exchanges/${v()}/%61mq.direct/%70%75%62%6C%69%73%68/`],
    ['no /api prefix and a trailing slash', () => `exchanges/${v()}/amq.direct/publish/`],
  ])('is refused, spelled with %s, and nothing reaches the hidden queue', async (_spelling, path) => {
    const answer = await server.mcp.call('management_api', {
      method: 'POST',
      path: path(),
      body: { routing_key: 'payday', payload: 'tap', payload_encoding: 'string', properties: {} },
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(/outside this server's scope \(--queues !\*\.audit\).*use publish_messages/);
    expect(answer.text).not.toContain(HIDDEN);
    expect(await ready(inside.name, HIDDEN)).toBe(2);
  });
});

describe('the escape hatch under --queues, a shovel that delivers into or copies from the hidden queue', () => {
  const server = useHarness(inside, { args: ['--allow-destructive', '--queues', '!*.audit'] });

  it.each([
    ['the default exchange, its name as key', { 'dest-exchange': '', 'dest-exchange-key': HIDDEN }],
    ['amq.default, its name as key', { 'dest-exchange': 'amq.default', 'dest-exchange-key': HIDDEN }],
    ['amq.direct, a key bound to it', { 'dest-exchange': 'amq.direct', 'dest-exchange-key': 'payday' }],
    ['amq.direct, the keys the messages keep', { 'dest-exchange': 'amq.direct' }],
  ])('is refused: to %s', async (_case, destination) => {
    const name = uniqueName('sh');
    const value = { 'src-uri': `amqp:///${v()}`, 'src-queue': 'outbox', 'dest-uri': `amqp:///${v()}`, ...destination };
    const answer = await server.mcp.call('management_api', {
      method: 'PUT',
      path: `/api/parameters/shovel/${v()}/${name}`,
      body: { value },
      confirm: true,
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(/outside this server's scope \(--queues !\*\.audit\)/);
    expect(await parameterNames('shovel')).not.toContain(name);
    expect(await ready(inside.name, HIDDEN)).toBe(2);
  });

  it('is refused: from amq.direct with the hidden queue’s key, a copy of what it gets', async () => {
    const name = uniqueName('sh');
    const value = {
      'src-uri': `amqp:///${v()}`,
      'src-exchange': 'amq.direct',
      'src-exchange-key': 'payday',
      'dest-uri': `amqp:///${v()}`,
      'dest-queue': 'copies',
    };
    const answer = await server.mcp.call('management_api', {
      method: 'PUT',
      path: `/api/parameters/shovel/${v()}/${name}`,
      body: { value },
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(/outside this server's scope \(--queues !\*\.audit\)/);
    expect(await parameterNames('shovel')).not.toContain(name);
  });
});

describe('the escape hatch at --allow-write, taking messages with a get', () => {
  const server = useHarness(inside, { args: ['--allow-write'] });

  it.each([
    ['a trailing slash', () => `/api/queues/${v()}/jobs/get/`, 'ack_requeue_false'],
    ['%67et and a trailing slash', () => `/api/queues/${v()}/jobs/%67et/`, 'ack_requeue_false'],
    ['every letter encoded, a reject and a trailing slash', () => `/api/queues/${v()}/%6Aobs/%67%65%74/`, 'reject_requeue_false'],
    ['no /api prefix and a trailing slash', () => `queues/${v()}/jobs/get/`, 'ack_requeue_false'],
  ])('needs --allow-destructive, spelled with %s, and takes nothing', async (_spelling, path, ackmode) => {
    const answer = await server.mcp.call('management_api', {
      method: 'POST',
      path: path(),
      body: { count: 3, ackmode, encoding: 'auto' },
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('takes the messages off the queue, so it needs --allow-destructive: this server runs write');
    expect(await ready(inside.name, 'jobs')).toBe(3);
  });
});

describe('federation at --allow-write, which moves messages out of queues', () => {
  const server = useHarness(inside, { args: ['--allow-write'] });

  it.each([
    ['an upstream', () => `/api/parameters/federation-upstream/${v()}/up-a`, { value: { uri: 'amqp://' } }],
    ['an upstream, with a trailing slash', () => `/api/parameters/federation-upstream/${v()}/up-b/`, { value: { uri: 'amqp://' } }],
    [
      'an upstream, spelled %66ederation-upstream',
      () => `/api/parameters/%66ederation-upstream/${v()}/up-c`,
      { value: { uri: 'amqp://' } },
    ],
    ['an upstream set', () => `/api/parameters/federation-upstream-set/${v()}/set-a`, { value: [{ upstream: 'up-a' }] }],
  ])('needs --allow-destructive: %s', async (_case, path, body) => {
    const answer = await server.mcp.call('management_api', { method: 'PUT', path: path(), body });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(
      /federation moves the messages of the upstream's queues.*needs --allow-destructive: this server runs write/,
    );
    expect(await parameterNames('federation-upstream')).toEqual([]);
    expect(await parameterNames('federation-upstream-set')).toEqual([]);
  });

  it.each([
    ['federation-upstream', () => `/api/policies/${v()}/fed-a`, { 'federation-upstream': 'up-a' }],
    ['federation-upstream-set, with a trailing slash', () => `/api/policies/${v()}/fed-b/`, { 'federation-upstream-set': 'all' }],
    ['federation-upstream, spelled %70olicies', () => `/api/%70olicies/${v()}/fed-c`, { 'federation-upstream': 'up-a' }],
  ])('a policy that applies it needs --allow-destructive: %s', async (_case, path, definition) => {
    const body = { pattern: '^nothing-matches-this$', definition, 'apply-to': 'queues' };
    const answer = await server.mcp.call('management_api', { method: 'PUT', path: path(), body });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(/applies federation.*needs --allow-destructive: this server runs write/);
    expect(await admin<unknown[]>('GET', `/policies/${v()}`)).toEqual([]);
  });
});

describe('shovel and federation URIs under --vhosts, into a vhost out of scope', () => {
  const server = useHarness(inside, { args: ['--allow-destructive', '--vhosts', 'hostile-paths-*'] });
  const local = () => `guest:guest@localhost:${BROKER.amqpPort}`;
  const outOfScope = /Vhost '.*' is outside this server's scope \(--vhosts hostile-paths-\*\)/;

  /**
   * The URI spellings, and where the broker connects: to the denied vhost, or to '/' where the
   * allowed vhost only seems named (a shovel URI without a path means '/').
   */
  const shovelUris: [string, () => string | string[], 'denied' | 'root'][] = [
    ['an upper-case scheme', () => `AMQP:///${encodeURIComponent(denied.name)}`, 'denied'],
    ['a mixed-case scheme', () => `aMqP:///${encodeURIComponent(denied.name)}`, 'denied'],
    ['an upper-case scheme and a host', () => `AMQP://${local()}/${encodeURIComponent(denied.name)}`, 'denied'],
    ['the allowed vhost in the query', () => `amqp://${local()}?server_name_indication=/${v()}`, 'root'],
    ['the allowed vhost in the fragment', () => `amqp://${local()}#/${v()}`, 'root'],
    ['a list whose second URI has an upper-case scheme', () => [`amqp:///${v()}`, `AMQP:///${encodeURIComponent(denied.name)}`], 'denied'],
  ];
  /** A queue name for the target side: one in '/' is removed after the file. */
  const queueIn = (where: 'denied' | 'root') => {
    const queue = uniqueName('stolen');
    if (where === 'root') inRoot.push(queue);
    return queue;
  };
  const vhostOf = (where: 'denied' | 'root') => (where === 'root' ? '/' : denied.name);

  async function expectNoShovel(name: string, queue: string, vhost: string): Promise<void> {
    expect(await parameterNames('shovel')).not.toContain(name);
    expect(await ready(vhost, queue)).toBeUndefined();
  }

  it.each(shovelUris)('management_api: a shovel whose dest-uri has %s is refused', async (_spelling, uri, where) => {
    const [name, queue] = [uniqueName('sh'), queueIn(where)];
    const value = { 'src-uri': `amqp:///${v()}`, 'src-queue': 'outbox', 'dest-uri': uri(), 'dest-queue': queue };
    const answer = await server.mcp.call('management_api', {
      method: 'PUT',
      path: `/api/parameters/shovel/${v()}/${name}`,
      body: { value },
      confirm: true,
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(outOfScope);
    await expectNoShovel(name, queue, vhostOf(where));
  });

  it.each(shovelUris)('import_definitions: a shovel whose src-uri has %s is refused', async (_spelling, uri, where) => {
    const [name, queue] = [uniqueName('sh'), queueIn(where)];
    const value = { 'src-uri': uri(), 'src-queue': queue, 'dest-uri': `amqp:///${v()}`, 'dest-queue': 'loot' };
    const answer = await server.mcp.call('import_definitions', {
      definitions: { parameters: [{ vhost: inside.name, component: 'shovel', name, value }] },
      confirm: true,
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(outOfScope);
    await expectNoShovel(name, queue, vhostOf(where));
  });

  // set_configuration takes only lower-case amqp:// URIs.
  it.each(shovelUris.filter(([, , where]) => where === 'root'))(
    'set_configuration: a shovel whose dest-uri has %s is refused',
    async (_spelling, uri, where) => {
      const [name, queue] = [uniqueName('sh'), queueIn(where)];
      const answer = await server.mcp.call('set_configuration', {
        kind: 'shovel',
        name,
        settings: { 'src-queue': 'outbox', 'dest-uri': uri(), 'dest-queue': queue },
        confirm: true,
      });
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(outOfScope);
      await expectNoShovel(name, queue, vhostOf(where));
    },
  );

  it.each([
    ['an upper-case scheme', () => `AMQP:///${encodeURIComponent(denied.name)}`],
    ['a mixed-case scheme', () => `Amqp:///${encodeURIComponent(denied.name)}`],
    ['an upper-case scheme and a host', () => `AMQP://guest:guest@localhost:${BROKER.amqpPort}/${encodeURIComponent(denied.name)}`],
    ['a list whose second URI has an upper-case scheme', () => [`amqp:///${v()}`, `AMQP:///${encodeURIComponent(denied.name)}`]],
  ])('management_api: a federation upstream whose uri has %s is refused', async (_spelling, uri) => {
    const name = uniqueName('up');
    const answer = await server.mcp.call('management_api', {
      method: 'PUT',
      path: `/api/parameters/federation-upstream/${v()}/${name}`,
      body: { value: { uri: uri(), queue: 'secrets' } },
      confirm: true,
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(outOfScope);
    expect(await parameterNames('federation-upstream')).not.toContain(name);
  });

  it('a shovel between queues of the vhost in scope is still made, with its URIs read the same way', async () => {
    const name = uniqueName('sh');
    const value = { 'src-uri': `AMQP:///${v()}`, 'src-queue': 'outbox', 'dest-uri': `amqp://${local()}/${v()}`, 'dest-queue': 'jobs.copy' };
    const answer = await server.mcp.call('management_api', {
      method: 'PUT',
      path: `/api/parameters/shovel/${v()}/${name}`,
      body: { value },
      confirm: true,
    });
    expect(answer.text).toMatch(/→ 201/);
    expect(await parameterNames('shovel')).toContain(name);
    await admin('DELETE', `/parameters/shovel/${v()}/${name}`);
  });
});

describe('a password the broker repeats in its error', () => {
  const server = useHarness(inside, { args: ['--allow-destructive'] });
  const PASSWORD = 'S3cret-Echo-pw';
  const KEY_PASSWORD = 'Key-Echo-pw';

  it.each([
    [
      'management_api: a shovel URI with a port out of range',
      'management_api',
      `amqp://bob:${PASSWORD}@localhost:99999/x`,
      /port_out_of_range/,
    ],
    ['management_api: a shovel URI with two path segments', 'management_api', `amqp://bob:${PASSWORD}@localhost/a/b`, /invalid_vhost/],
    [
      'management_api: a shovel URI whose TLS options the broker prints as terms',
      'management_api',
      `amqps://bob:${PASSWORD}@localhost?fail_if_no_peer_cert=maybe&password=${KEY_PASSWORD}`,
      /invalid_ssl_parameter/,
    ],
    [
      'set_configuration: a shovel URI with a port out of range',
      'set_configuration',
      `amqp://bob:${PASSWORD}@localhost:99999/x`,
      /port_out_of_range/,
    ],
    [
      'management_api: a federation upstream URI with two path segments',
      'upstream',
      `amqp://bob:${PASSWORD}@localhost/a/b`,
      /invalid_vhost/,
    ],
  ])('is masked: %s', async (_case, entry, uri, reason) => {
    const name = uniqueName('echo');
    const answer =
      entry === 'set_configuration'
        ? await server.mcp.call('set_configuration', {
            kind: 'shovel',
            name,
            settings: { 'src-queue': 'outbox', 'dest-uri': uri, 'dest-queue': 'x' },
            confirm: true,
          })
        : await server.mcp.call('management_api', {
            method: 'PUT',
            path: entry === 'upstream' ? `/api/parameters/federation-upstream/${v()}/${name}` : `/api/parameters/shovel/${v()}/${name}`,
            body: {
              value:
                entry === 'upstream' ? { uri } : { 'src-uri': `amqp:///${v()}`, 'src-queue': 'outbox', 'dest-uri': uri, 'dest-queue': 'x' },
            },
            confirm: true,
          });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(reason);
    expect(answer.text).toContain('bob:***@');
    expect(answer.text).not.toContain(PASSWORD);
    expect(answer.text).not.toContain(KEY_PASSWORD);
  });
});

describe('every GET route the server knows, under --vhosts and --queues', () => {
  const server = useHarness(inside, { args: ['--vhosts', 'hostile-paths-*', '--queues', '!*.audit'] });
  const e = encodeURIComponent;
  const SECRET = 'ledger.audit';
  const connections: ChannelModel[] = [];
  /** A value for each binding a route takes: objects in scope, so that only what the answer holds could tell. */
  const values: Record<string, string> = {};

  beforeAll(async () => {
    await admin('PUT', `/queues/${v()}/${SECRET}`, { durable: true });
    await admin('PUT', `/queues/${v()}/mirror`, { durable: true });
    await admin('PUT', `/queues/${e(denied.name)}/loot-queue`, { durable: true });
    await admin('POST', `/bindings/${v()}/e/amq.topic/q/${SECRET}`, { routing_key: '#' });
    await admin('PUT', `/parameters/shovel/${v()}/tap`, {
      value: { 'src-uri': `amqp:///${v()}`, 'src-queue': SECRET, 'dest-uri': `amqp:///${e(denied.name)}`, 'dest-queue': 'loot-queue' },
    });
    await admin('PUT', `/parameters/federation-upstream/${v()}/pull`, { value: { uri: `amqp:///${e(denied.name)}`, queue: 'loot-queue' } });
    await admin('PUT', `/policies/${v()}/pull`, {
      pattern: '^mirror$',
      definition: { 'federation-upstream': 'pull' },
      'apply-to': 'queues',
    });
    for (const [vhost, queue] of [
      [inside.name, SECRET],
      [denied.name, 'loot-queue'],
    ] as const) {
      const connection = await connectRaw(vhost);
      connections.push(connection);
      await (await connection.createChannel()).consume(queue, () => undefined);
    }
    // Everything to hide is there, statistics included.
    await eventually(
      async () => ((await admin<unknown[]>('GET', `/consumers/${v()}`)).length > 0 ? true : undefined),
      'the hidden queue to show its consumer',
    );
    const links = await eventually(async () => {
      const found = await admin<{ id: string }[]>('GET', `/federation-links/${v()}`);
      return found.length > 0 ? found : undefined;
    }, 'the federation link');
    const overview = await admin<{ node: string }>('GET', '/overview');
    const channels = await admin<{ name: string; vhost: string; connection_details: { name: string } }[]>('GET', '/channels');
    const channel = channels.find((item) => item.vhost === inside.name);
    Object.assign(values, {
      vhost: inside.name,
      node: overview.node,
      connection: channel?.connection_details.name ?? 'none',
      channel: channel?.name ?? 'none',
      username: BROKER.user,
      user: BROKER.user,
      queue: 'mirror',
      destination: 'mirror',
      exchange: 'amq.topic',
      source: 'amq.topic',
      dtype: 'q',
      props: '~',
      component: 'shovel',
      name: 'tap',
      id: links[0]?.id ?? 'none',
      filter: 'queue',
      within: '1',
      unit: 'days',
      port: String(BROKER.httpPort),
      protocols: 'amqp',
      pattern: '.*',
      password: 'x',
      pid: 'none',
    });
  });

  afterAll(async () => {
    for (const connection of connections) await connection.close().catch(() => undefined);
    await admin('DELETE', `/policies/${v()}/pull`);
    await admin('DELETE', `/parameters/federation-upstream/${v()}/pull`);
    await admin('DELETE', `/parameters/shovel/${v()}/tap`);
  });

  it.each(API_ROUTES.map((route) => route.template))('GET /api/%s names no hidden queue or vhost', async (template) => {
    const path = `/api/${template
      .split('/')
      .map((part) => (part.startsWith(':') ? e(values[part.slice(1)] ?? 'none') : part))
      .join('/')}`;
    const answer = await server.mcp.call('management_api', { path });
    for (const hidden of [SECRET, denied.name, 'loot-queue']) expect(answer.text).not.toContain(hidden);
  });
});
