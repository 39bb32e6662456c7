import type { ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { admin, createTestVhost, uniqueName } from './support/broker-admin.js';
import { useHarness, useTestVhost } from './support/broker-fixture.js';
import { keysOverlap, literalKey, topicPattern } from '../server/broker/topic-keys.js';
import { connectRaw, publishNumbered } from './support/raw-amqp.js';

/**
 * A hostile caller of a scoped server (--queues '!*.audit') trying to reach hidden queues through
 * what a write sets off rather than what it names: deletions that take or cut off hidden queues,
 * tracing and taps that copy their messages, dead letters, alternate exchanges, exchange bindings
 * and shovels that put messages into them. Each spelling is refused, says what would allow it,
 * names no hidden queue it was not given, and leaves the broker as it was.
 */
const vhost = useTestVhost('mcp-hfx');
const server = useHarness(vhost, { args: ['--allow-destructive', '--queues', '!*.audit'] });
const vhostScoped = useHarness(vhost, { args: ['--allow-destructive', '--vhosts', 'mcp-hfx-*'] });
const v = () => encodeURIComponent(vhost.name);
let raw: ChannelModel;

const HIDDEN = 'payroll.audit';
const HIDDEN_MESSAGES = 3;
/** What every refusal says would allow the call. */
const WOULD_ALLOW = /[Aa] server (whose --queues covers|without --queues|without --vhosts or --queues)/;

/** Ready messages in a queue, exactly (AMQP, no statistics lag); -1 when it does not exist. */
async function depth(queue: string, where = vhost.name): Promise<number> {
  const connection = where === vhost.name ? raw : await connectRaw(where);
  const channel = await connection.createChannel();
  let closed = false;
  channel.on('error', () => undefined);
  channel.on('close', () => (closed = true));
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } catch {
    return -1;
  } finally {
    if (!closed) await channel.close().catch(() => undefined);
    if (connection !== raw) await connection.close();
  }
}

async function names(kind: 'queues' | 'exchanges'): Promise<string[]> {
  return (await admin<{ name: string }[]>('GET', `/${kind}/${v()}?columns=name`)).map((item) => item.name).sort();
}

async function bindingsFrom(exchange: string): Promise<string[]> {
  const found = await admin<{ destination: string; destination_type: string; routing_key: string }[]>(
    'GET',
    `/exchanges/${v()}/${encodeURIComponent(exchange)}/bindings/source`,
  );
  return found.map((binding) => `${binding.destination_type} ${binding.destination} '${binding.routing_key}'`).sort();
}

/** Everything a refused call must have left alone. */
async function state() {
  return {
    hidden: await depth(HIDDEN),
    queues: await names('queues'),
    exchanges: await names('exchanges'),
    bindings: (await admin<unknown[]>('GET', `/bindings/${v()}`)).length,
    policies: await admin<unknown[]>('GET', `/policies/${v()}`),
    shovels: await admin<unknown[]>('GET', `/parameters/shovel/${v()}`),
    tracing: (await admin<{ tracing?: boolean }>('GET', `/vhosts/${v()}`)).tracing ?? false,
  };
}

function expectRefused(answer: { isError: boolean; text: string }, args: unknown): void {
  expect(answer.isError, answer.text).toBe(true);
  expect(answer.text).toMatch(WOULD_ALLOW);
  // A hidden queue's name shows only where the caller wrote it.
  for (const hidden of [HIDDEN, 'waiting.audit', 'leaky.audit'])
    if (!JSON.stringify(args).includes(hidden)) expect(answer.text).not.toContain(hidden);
}

beforeAll(async () => {
  raw = await connectRaw(vhost.name);
  const put = (kind: string, name: string, body: unknown) => admin('PUT', `/${kind}/${v()}/${encodeURIComponent(name)}`, body);
  const bind = (source: string, type: 'q' | 'e', destination: string, body: unknown) =>
    admin('POST', `/bindings/${v()}/e/${encodeURIComponent(source)}/${type}/${encodeURIComponent(destination)}`, body);
  await put('queues', HIDDEN, { durable: true });
  await put('queues', 'orders', { durable: true });
  await put('queues', 'routed', { durable: true });
  await put('queues', 'outbox', { durable: true });
  await put('exchanges', 'hub', { type: 'fanout', durable: true });
  await put('exchanges', 'to-audit', { type: 'fanout', durable: true });
  await put('exchanges', 'feeds', { type: 'direct', durable: true });
  await put('exchanges', 'dlx-audit', { type: 'fanout', durable: true });
  await put('exchanges', 'mirror', { type: 'fanout', durable: true });
  await put('exchanges', 'with-ae', { type: 'direct', durable: true, arguments: { 'alternate-exchange': 'amq.fanout' } });
  await bind('amq.direct', 'q', HIDDEN, { routing_key: 'payday' });
  await bind('amq.topic', 'q', HIDDEN, { routing_key: 'pay.#' });
  await bind('amq.fanout', 'q', HIDDEN, { routing_key: '' });
  await bind('amq.headers', 'q', HIDDEN, { routing_key: '', arguments: { 'x-match': 'all', dept: 'pay' } });
  await bind('feeds', 'q', HIDDEN, { routing_key: 'salary' });
  await bind('to-audit', 'q', HIDDEN, { routing_key: '' });
  await bind('hub', 'e', 'to-audit', { routing_key: '' });
  await bind('amq.topic', 'e', 'to-audit', { routing_key: 'relay.#' });
  await bind('with-ae', 'q', 'routed', { routing_key: 'routed' });
  await bind('mirror', 'q', 'orders', { routing_key: '' });
  // Hidden queues that dead-letter: to an exchange of their own, and to a queue named 'spy' that does not exist.
  await put('queues', 'waiting.audit', { durable: true, arguments: { 'x-dead-letter-exchange': 'dlx-audit' } });
  await put('queues', 'leaky.audit', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'spy' } });
  // Queues in scope an administrator made, whose dead letters go to the hidden queue.
  await put('queues', 'expiring', {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': HIDDEN },
  });
  await put('queues', 'orders.retry', {
    durable: true,
    arguments: { 'x-dead-letter-exchange': 'amq.direct', 'x-dead-letter-routing-key': 'payday' },
  });
  await bind('amq.direct', 'q', 'orders.retry', { routing_key: 'retry' });
  // A policy an administrator made: exchanges named ae-by-policy-* get amq.fanout as their alternate.
  await admin('PUT', `/policies/${v()}/ae-by-policy`, {
    pattern: '^ae-by-policy',
    definition: { 'alternate-exchange': 'amq.fanout' },
    'apply-to': 'exchanges',
  });
  await publishNumbered(raw, HIDDEN, HIDDEN_MESSAGES, 'secret');
});

afterAll(async () => {
  await raw?.close();
});

describe('scope, data loss: a deletion that would take or cut off hidden queues is refused', () => {
  const doomed: string[] = [];
  afterEach(async () => {
    for (const name of doomed.splice(0)) await admin('DELETE', `/vhosts/${encodeURIComponent(name)}`);
  });

  it.each([
    ['with confirm: true, a hidden classic queue holding messages', { confirm: true }, 'classic'],
    ['as a dry run, whose preview must not count the vhost as holding 1 queue with 0 messages', {}, 'classic'],
    ['with confirm: true, a hidden quorum queue', { confirm: true }, 'quorum'],
  ] as const)('delete_configuration kind vhost, %s', async (_case, extra, type) => {
    const other = await createTestVhost('mcp-hfx-doomed');
    doomed.push(other.name);
    const o = encodeURIComponent(other.name);
    await admin('PUT', `/queues/${o}/visible`, { durable: true });
    await admin('PUT', `/queues/${o}/${HIDDEN}`, { durable: true, arguments: { 'x-queue-type': type } });
    const connection = await connectRaw(other.name);
    await publishNumbered(connection, HIDDEN, 3, 'kept');
    await connection.close();
    const args = { kind: 'vhost', name: other.name, ...extra };
    const answer = await server.mcp.call('delete_configuration', args);
    expectRefused(answer, args);
    expect(answer.text).toContain("it holds 1 queue outside this server's scope (--queues !*.audit)");
    expect(answer.text).not.toMatch(/holding 0 messages/);
    expect(await depth(HIDDEN, other.name)).toBe(3);
  });

  it.each([
    ['an exchange bound to the hidden queue', { name: 'feeds', confirm: true }],
    ['an exchange bound to an exchange bound to it', { name: 'hub', confirm: true }],
    ["the hidden queue's dead-letter exchange", { name: 'dlx-audit', confirm: true }],
    ['a dry run, which must not count "0 outgoing bindings"', { name: 'feeds' }],
  ])('delete_exchange: %s', async (_case, args) => {
    const before = await state();
    const answer = await server.mcp.call('delete_exchange', args);
    expectRefused(answer, args);
    expect(answer.text).toMatch(/outside this server's scope \(--queues !\*\.audit\)/);
    expect(answer.text).not.toMatch(/0 outgoing bindings/);
    expect(await state()).toEqual(before);
  });

  it.each([
    [
      'an exchange binding into an exchange that feeds the hidden queue',
      { source: 'hub', destination: 'to-audit', destination_type: 'exchange' },
    ],
    [
      'a topic exchange binding into it',
      { source: 'amq.topic', destination: 'to-audit', destination_type: 'exchange', routing_key: 'relay.#' },
    ],
    [
      "a binding whose messages would then go to its exchange's alternate, which feeds the hidden queue",
      { source: 'with-ae', destination: 'routed', routing_key: 'routed' },
    ],
  ])('delete_binding: %s', async (_case, args) => {
    const before = await state();
    const answer = await server.mcp.call('delete_binding', { ...args, confirm: true });
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  it("delete_queue: a queue whose messages would then go to its exchange's alternate, which feeds the hidden queue", async () => {
    const before = await state();
    const answer = await server.mcp.call('delete_queue', { name: 'routed', confirm: true });
    expectRefused(answer, { name: 'routed' });
    expect(await state()).toEqual(before);
  });

  afterEach(async () => {
    for (const policy of await admin<{ name: string }[]>('GET', `/policies/${v()}`))
      if (policy.name !== 'ae-by-policy') await admin('DELETE', `/policies/${v()}/${encodeURIComponent(policy.name)}`);
  });

  it.each([
    [
      'a vhost document with max-length 0',
      () => ({
        definitions: { policies: [{ name: 'wipe', pattern: '.*', definition: { 'max-length': 0 }, 'apply-to': 'queues' }] },
        vhost: vhost.name,
      }),
    ],
    [
      'a whole-broker document with expires 1',
      () => ({ definitions: { policies: [{ vhost: vhost.name, name: 'gone', pattern: 'audit', definition: { expires: 1 } }] } }),
    ],
    [
      'a document given as a JSON string, message-ttl 0',
      () => ({
        definitions: JSON.stringify({ policies: [{ name: 'ttl', pattern: '^pay', definition: { 'message-ttl': 0 }, 'apply-to': 'all' }] }),
        vhost: vhost.name,
      }),
    ],
    [
      'a policy that removes nothing but still matches hidden queues',
      () => ({
        definitions: { policies: [{ name: 'dlx', pattern: '.*', definition: { 'dead-letter-exchange': 'hub' } }] },
        vhost: vhost.name,
      }),
    ],
  ])('import_definitions with a policy: %s', async (_case, make) => {
    const before = await state();
    const args = make();
    const answer = await server.mcp.call('import_definitions', { ...args, confirm: true });
    expectRefused(answer, args);
    expect(answer.text).toMatch(/policies match queues by pattern/);
    expect(await state()).toEqual(before);
  });
});

describe('scope, reading: nothing may copy what a hidden queue gets', () => {
  afterEach(async () => {
    // A spelling that got through on a server without these checks must not leave tracing on for the others.
    await admin('PUT', `/vhosts/${v()}`, { tracing: false, description: 'created by rabbitmq-mcp-server tests' });
  });

  it.each([
    [
      'set_configuration kind vhost, under --queues',
      () => server.mcp,
      () => ({ kind: 'vhost', name: vhost.name, settings: { tracing: true } }),
    ],
    [
      'set_configuration kind vhost with a description too, under --queues',
      () => server.mcp,
      () => ({ kind: 'vhost', name: vhost.name, settings: { description: 'ops', tracing: true } }),
    ],
  ])('turning on tracing: %s', async (_case, mcp, make) => {
    const args = make();
    const answer = await mcp().call('set_configuration', args);
    expectRefused(answer, args);
    expect(answer.text).toContain('tracing copies every message');
    expect((await admin<{ tracing?: boolean }>('GET', `/vhosts/${v()}`)).tracing ?? false).toBe(false);
  });

  it.each([true, 'true'])('turning on tracing through the escape hatch (tracing: %j), under --queues', async (tracing) => {
    const answer = await server.mcp.call('management_api', { method: 'PUT', path: `/api/vhosts/${v()}`, body: { tracing } });
    expect(answer.isError, answer.text).toBe(true);
    expect((await admin<{ tracing?: boolean }>('GET', `/vhosts/${v()}`)).tracing ?? false).toBe(false);
  });

  it('turning on tracing through a whole-broker import_definitions', async () => {
    const args = { definitions: { vhosts: [{ name: vhost.name, description: 'ops', tags: [], tracing: true }] }, confirm: true };
    const answer = await server.mcp.call('import_definitions', args);
    expectRefused(answer, args);
    expect((await admin<{ tracing?: boolean }>('GET', `/vhosts/${v()}`)).tracing ?? false).toBe(false);
  });

  it.each([
    [
      "every message published ('publish.#')",
      () => server.mcp,
      { source: 'amq.rabbitmq.trace', destination: 'orders', routing_key: 'publish.#' },
    ],
    ["every delivery ('deliver.#')", () => server.mcp, { source: 'amq.rabbitmq.trace', destination: 'orders', routing_key: 'deliver.#' }],
    [
      'everything, into an exchange',
      () => server.mcp,
      { source: 'amq.rabbitmq.trace', destination: 'mirror', destination_type: 'exchange', routing_key: '#' },
    ],
    [
      "one queue's publishes ('publish.orders')",
      () => server.mcp,
      { source: 'amq.rabbitmq.trace', destination: 'orders', routing_key: 'publish.orders' },
    ],
  ])('create_binding from amq.rabbitmq.trace: %s', async (_case, mcp, args) => {
    const before = await state();
    const answer = await mcp().call('create_binding', args);
    expectRefused(answer, args);
    expect(answer.text).toContain("exchange 'amq.rabbitmq.trace' carries what the broker itself publishes");
    expect(await state()).toEqual(before);
  });

  it.each([
    ['the events (amq.rabbitmq.event, in every vhost)', 'amq.rabbitmq.event'],
    ['the log (amq.rabbitmq.log)', 'amq.rabbitmq.log'],
  ])('under --vhosts, create_binding from %s', async (_case, source) => {
    const before = await state();
    const args = { source, destination: 'orders', routing_key: '#' };
    const answer = await vhostScoped.mcp.call('create_binding', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  it('under --vhosts alone, tracing and a binding from amq.rabbitmq.trace stay allowed: all the trace carries is in scope', async () => {
    const traced = await vhostScoped.mcp.call('set_configuration', { kind: 'vhost', name: vhost.name, settings: { tracing: true } });
    expect(traced.isError, traced.text).toBe(false);
    expect((await admin<{ tracing?: boolean }>('GET', `/vhosts/${v()}`)).tracing).toBe(true);
    const bound = await vhostScoped.mcp.call('create_binding', {
      source: 'amq.rabbitmq.trace',
      destination: 'orders',
      routing_key: 'publish.#',
    });
    expect(bound.isError, bound.text).toBe(false);
    const bindings = await admin<{ source: string; routing_key: string }[]>('GET', `/bindings/${v()}/e/amq.rabbitmq.trace/q/orders`);
    expect(bindings.map((binding) => binding.routing_key)).toEqual(['publish.#']);
    await admin('DELETE', `/bindings/${v()}/e/amq.rabbitmq.trace/q/orders/publish.%23`);
  });

  it('import_definitions with a binding from amq.rabbitmq.trace', async () => {
    const before = await state();
    const binding = { source: 'amq.rabbitmq.trace', destination: 'orders', destination_type: 'queue', routing_key: '#', arguments: {} };
    const args = { definitions: { bindings: [binding] }, vhost: vhost.name, confirm: true };
    const answer = await server.mcp.call('import_definitions', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  it.each([
    ["the hidden queue's direct key", { source: 'amq.direct', destination: 'orders', routing_key: 'payday' }],
    ['a topic pattern overlapping its pattern', { source: 'amq.topic', destination: 'orders', routing_key: '*.day' }],
    ['a topic pattern inside its pattern', { source: 'amq.topic', destination: 'orders', routing_key: 'pay.*' }],
    ['the fanout it is bound to', { source: 'amq.fanout', destination: 'orders' }],
    ['headers it matches', { source: 'amq.headers', destination: 'orders', arguments: { 'x-match': 'all', dept: 'pay' } }],
    [
      'an exchange binding from its key into an exchange bound to a queue in scope',
      { source: 'amq.direct', destination: 'mirror', destination_type: 'exchange', routing_key: 'payday' },
    ],
    ['its dead-letter exchange (its dead letters)', { source: 'dlx-audit', destination: 'orders' }],
    ['an exchange that routes the same key to it', { source: 'to-audit', destination: 'orders', routing_key: '' }],
  ])('create_binding taps the hidden queue by %s', async (_case, args) => {
    const before = await state();
    const answer = await server.mcp.call('create_binding', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  it('create_queue of a name a hidden queue dead-letters to (its dead letters)', async () => {
    const before = await state();
    const answer = await server.mcp.call('create_queue', { name: 'spy' });
    expectRefused(answer, { name: 'spy' });
    expect(await state()).toEqual(before);
  });

  it.each([
    ["the hidden queue's direct key", { 'src-exchange': 'amq.direct', 'src-exchange-key': 'payday', 'dest-queue': 'orders' }],
    ['a topic key it matches', { 'src-exchange': 'amq.topic', 'src-exchange-key': 'pay.day', 'dest-queue': 'orders' }],
    ['the fanout it is bound to', { 'src-exchange': 'amq.fanout', 'dest-queue': 'orders' }],
  ])('a shovel from an exchange taps the hidden queue by %s', async (_case, settings) => {
    const before = await state();
    const args = { kind: 'shovel', name: uniqueName('tap'), settings, confirm: true };
    const answer = await server.mcp.call('set_configuration', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  it('still binds, creates and shovels what stays in scope', async () => {
    expect((await server.mcp.call('create_binding', { source: 'amq.direct', destination: 'orders', routing_key: 'orders' })).isError).toBe(
      false,
    );
    expect((await server.mcp.call('create_binding', { source: 'amq.topic', destination: 'orders', routing_key: 'orders.#' })).isError).toBe(
      false,
    );
    expect((await server.mcp.call('create_queue', { name: 'plain', dead_letter_exchange: 'mirror' })).isError).toBe(false);
    const shovel = {
      kind: 'shovel',
      name: 'fine',
      settings: { 'src-exchange': 'amq.direct', 'src-exchange-key': 'orders', 'dest-queue': 'plain' },
    };
    expect((await server.mcp.call('set_configuration', shovel)).isError).toBe(false);
    expect((await server.mcp.call('delete_configuration', { kind: 'shovel', name: 'fine', confirm: true })).isError).toBe(false);
    expect((await server.mcp.call('delete_queue', { name: 'plain', confirm: true })).isError).toBe(false);
    for (const key of ['orders', 'orders.#'])
      expect(
        (
          await server.mcp.call('delete_binding', {
            source: key === 'orders' ? 'amq.direct' : 'amq.topic',
            destination: 'orders',
            routing_key: key,
            confirm: true,
          })
        ).isError,
      ).toBe(false);
  });
});

describe('scope, writing: nothing may put messages into a hidden queue', () => {
  it.each([
    [
      "the default exchange with the hidden queue's name as dead-letter routing key, and a TTL",
      { dead_letter_exchange: '', dead_letter_routing_key: HIDDEN, message_ttl: 0 },
    ],
    [
      'arguments: amq.direct with its key, and a length limit that dead-letters rejected publishes',
      {
        arguments: {
          'x-dead-letter-exchange': 'amq.direct',
          'x-dead-letter-routing-key': 'payday',
          'x-max-length': 0,
          'x-overflow': 'reject-publish-dlx',
        },
      },
    ],
    ['the fanout it is bound to, and a TTL', { dead_letter_exchange: 'amq.fanout', message_ttl: 0 }],
    [
      'a quorum queue with a delivery limit, through a topic key',
      { type: 'quorum', delivery_limit: 0, dead_letter_exchange: 'amq.topic', dead_letter_routing_key: 'pay.day' },
    ],
    ['the default exchange with the keys messages keep, which may name any queue', { dead_letter_exchange: '', message_ttl: 0 }],
    ['an exchange bound to an exchange bound to it', { dead_letter_exchange: 'hub', message_ttl: 0 }],
  ])('create_queue dead-lettering into it: %s', async (_case, extra) => {
    const before = await state();
    const args = { name: uniqueName('dl'), ...extra };
    const answer = await server.mcp.call('create_queue', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  it.each([
    [
      'per-message expiration into a queue that dead-letters into it',
      { routing_key: 'expiring', messages: [{ body: 'x', properties: { expiration: '0' } }] },
    ],
    [
      'expiration through an exchange into a queue that dead-letters into it with its key',
      { exchange: 'amq.direct', routing_key: 'retry', messages: [{ body: 'x', properties: { expiration: '1' } }] },
    ],
    [
      'a CC copy with expiration into such a queue',
      { routing_key: 'orders', messages: [{ body: 'x', headers: { CC: ['expiring'] }, properties: { expiration: '0' } }] },
    ],
    ['no expiration: a rejection dead-letters it there too', { routing_key: 'expiring', messages: [{ body: 'x' }] }],
  ])('publish_messages with %s', async (_case, args) => {
    const before = await state();
    const answer = await server.mcp.call('publish_messages', args);
    expectRefused(answer, args);
    expect(answer.text).toContain('Nothing was published');
    expect(await depth('expiring')).toBe(0);
    expect(await depth('orders.retry')).toBe(0);
    expect(await state()).toEqual(before);
  });

  it.each([
    ['to a queue that dead-letters into it', { to: 'expiring' }],
    ['to a queue that dead-letters into it through an exchange', { to: 'orders.retry' }],
  ])('move_messages %s', async (_case, extra) => {
    await publishNumbered(raw, 'outbox', 2, 'move');
    const args = { from: 'outbox', count: 2, confirm: true, ...extra };
    const answer = await server.mcp.call('move_messages', args);
    expectRefused(answer, args);
    expect(answer.text).toContain('Nothing was moved');
    expect(await depth('outbox')).toBe(2);
    expect(await depth(extra.to)).toBe(0);
    await raw.createChannel().then(async (channel) => {
      await channel.purgeQueue('outbox');
      await channel.close();
    });
  });

  it('move_messages to_source, where the source a message names dead-letters into it', async () => {
    const channel = await raw.createConfirmChannel();
    const death = { queue: 'expiring', reason: 'rejected', count: 1, exchange: '', 'routing-keys': ['expiring'] };
    channel.sendToQueue('outbox', Buffer.from('replayed'), { headers: { 'x-death': [death] } });
    await channel.waitForConfirms();
    await channel.close();
    const answer = await server.mcp.call('move_messages', { from: 'outbox', to_source: true, count: 1, confirm: true });
    expect(answer.text).toContain("Left in 'outbox': 1 from 'expiring', whose dead letters reach queues outside this server's scope");
    expect(await depth('outbox')).toBe(1);
    expect(await depth('expiring')).toBe(0);
  });

  it.each([
    ['alternate_exchange: the fanout it is bound to', { alternate_exchange: 'amq.fanout' }],
    ['arguments: an exchange bound to an exchange bound to it', { arguments: { 'alternate-exchange': 'hub' } }],
    ['alternate_exchange: a direct exchange with a binding to it', { alternate_exchange: 'amq.direct' }],
  ])('create_exchange with an alternate exchange reaching it, %s', async (_case, extra) => {
    const before = await state();
    const args = { name: uniqueName('ae'), type: 'direct', ...extra };
    const answer = await server.mcp.call('create_exchange', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  it('create_exchange whose name a policy gives an alternate exchange reaching it', async () => {
    const before = await state();
    const args = { name: uniqueName('ae-by-policy'), type: 'topic' };
    const answer = await server.mcp.call('create_exchange', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  it.each([
    ['amq.topic with #', { source: 'amq.topic', destination: 'to-audit', destination_type: 'exchange', routing_key: '#' }],
    [
      'amq.topic with a narrow pattern',
      { source: 'amq.topic', destination: 'to-audit', destination_type: 'exchange', routing_key: 'orders.*' },
    ],
    [
      'amq.direct into a fanout that reaches it',
      { source: 'amq.direct', destination: 'hub', destination_type: 'exchange', routing_key: 'x' },
    ],
    ['amq.fanout into a direct exchange bound to it', { source: 'amq.fanout', destination: 'feeds', destination_type: 'exchange' }],
    ['amq.direct into a queue in scope that dead-letters into it', { source: 'amq.direct', destination: 'expiring', routing_key: 'x' }],
  ])('create_binding that passes messages on into it: from %s', async (_case, args) => {
    const before = await state();
    const answer = await server.mcp.call('create_binding', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });

  afterEach(async () => {
    for (const shovel of await admin<{ name: string }[]>('GET', `/parameters/shovel/${v()}`))
      await admin('DELETE', `/parameters/shovel/${v()}/${encodeURIComponent(shovel.name)}`);
  });

  it.each([
    [
      "the default exchange with the hidden queue's name as key",
      { 'src-queue': 'orders', 'dest-exchange': '', 'dest-exchange-key': HIDDEN },
    ],
    ["amq.direct with the hidden queue's key", { 'src-queue': 'orders', 'dest-exchange': 'amq.direct', 'dest-exchange-key': 'payday' }],
    ['the fanout it is bound to', { 'src-queue': 'orders', 'dest-exchange': 'amq.fanout' }],
    ['amq.topic with the keys the messages keep', { 'src-queue': 'orders', 'dest-exchange': 'amq.topic' }],
    ['a queue in scope that dead-letters into it', { 'src-queue': 'orders', 'dest-queue': 'expiring' }],
  ])('a shovel delivering into it: %s', async (_case, settings) => {
    const before = await state();
    const args = { kind: 'shovel', name: uniqueName('into'), settings, confirm: true };
    const answer = await server.mcp.call('set_configuration', args);
    expectRefused(answer, args);
    expect(await state()).toEqual(before);
  });
});

describe('safety level: federation that moves messages off a queue needs --allow-destructive', () => {
  const writer = useHarness(vhost, { args: ['--allow-write'] });
  afterEach(async () => {
    for (const policy of await admin<{ name: string }[]>('GET', `/policies/${v()}`))
      if (policy.name !== 'ae-by-policy') await admin('DELETE', `/policies/${v()}/${encodeURIComponent(policy.name)}`);
    for (const upstream of await admin<{ name: string }[]>('GET', `/parameters/federation-upstream/${v()}`))
      await admin('DELETE', `/parameters/federation-upstream/${v()}/${encodeURIComponent(upstream.name)}`);
  });

  const policy = (definition: Record<string, unknown>, applyTo?: string) => ({
    kind: 'policy',
    name: 'federate',
    settings: { pattern: '^federated-here$', definition, ...(applyTo ? { 'apply-to': applyTo } : {}) },
  });

  it.each([
    ['a policy naming an upstream, for queues', policy({ 'federation-upstream': 'origin' }, 'queues')],
    ['a policy with the set all, for everything', policy({ 'federation-upstream-set': 'all' })],
    [
      'a policy naming an upstream set, apply_to spelled with an underscore',
      {
        kind: 'policy',
        name: 'federate',
        settings: { pattern: '^federated-here$', definition: { 'federation-upstream-set': 'mine' }, apply_to: 'queues' },
      },
    ],
  ])('set_configuration: %s', async (_case, args) => {
    const answer = await writer.mcp.call('set_configuration', args);
    expect(answer.isError, answer.text).toBe(true);
    expect(answer.text).toContain('counts as destructive: this server runs write. Restart it with --allow-destructive');
    expect(await admin<{ name: string }[]>('GET', `/policies/${v()}`)).toHaveLength(1);
  });

  it('set_configuration: an upstream that a policy for queues already applies (the set all)', async () => {
    await admin('PUT', `/policies/${v()}/federate-all`, {
      pattern: '^federated-here$',
      definition: { 'federation-upstream-set': 'all' },
      'apply-to': 'queues',
    });
    const args = { kind: 'federation_upstream', name: 'origin', settings: { uri: `amqp:///${v()}` } };
    const answer = await writer.mcp.call('set_configuration', args);
    expect(answer.isError, answer.text).toBe(true);
    expect(answer.text).toContain("is used for queues by policy 'federate-all'");
    expect(answer.text).toContain('--allow-destructive');
    expect(await admin<unknown[]>('GET', `/parameters/federation-upstream/${v()}`)).toEqual([]);
  });

  it('an upstream for exchanges only copies: a write', async () => {
    const answer = await writer.mcp.call('set_configuration', policy({ 'federation-upstream': 'origin' }, 'exchanges'));
    expect(answer.isError, answer.text).toBe(false);
  });
});

describe('whether two routing keys can meet, as the tap checks decide it', () => {
  it.each([
    ['pay.#', 'pay.*', true],
    ['pay.#', '*.day', true],
    ['pay.#', 'orders.#', false],
    ['a.*.c', 'a.b.*', true],
    ['#.a.#', '#.b.#', true],
    ['a.#.b', 'a.b', true],
    ['#', '', true],
    ['*', '', false],
    ['a.*', 'a', false],
    ['a', 'b', false],
  ])('topic patterns %s and %s: %s', (left, right, overlap) => {
    expect(keysOverlap([topicPattern(left), topicPattern(right)])).toBe(overlap);
  });

  it.each([
    ['pay.#', 'pay.day', true],
    ['pay.*', 'pay', false],
    ['a.b', 'a.*', false],
    ['*.*', 'a.*', true],
  ])('topic pattern %s and the literal key %s: %s', (pattern, key, overlap) => {
    expect(keysOverlap([topicPattern(pattern), literalKey(key)])).toBe(overlap);
  });
});
