import { beforeAll, describe, expect, it } from 'vitest';
import { admin } from './support/broker-admin.js';
import { useBrokerFixture } from './support/broker-fixture.js';

const fixture = useBrokerFixture({ args: ['--allow-destructive'] });

/** The queues a trace_route answer says the message reaches, sorted. */
function reached(text: string): string[] {
  return (/reaches \d+ queues?: (.*)/.exec(text)?.[1]?.split(', ') ?? []).sort();
}

async function ok(name: string, args: Record<string, unknown>): Promise<string> {
  const answer = await fixture.mcp.call(name, args);
  expect(answer.isError, answer.text).toBe(false);
  return answer.text;
}

beforeAll(async () => {
  // orders (topic) → billing, audit-all (#); orders → fanout-ex (exchange) → mirror-a, mirror-b;
  // headers-ex → eu (x-match all region=eu, tier=gold), any (x-match any tier=gold); ae-main with
  // alternate exchange ae-catch → unrouted.
  for (const queue of ['billing', 'audit-all', 'mirror-a', 'mirror-b', 'eu', 'any', 'unrouted']) await ok('create_queue', { name: queue });
  await ok('create_exchange', { name: 'orders', type: 'topic' });
  await ok('create_exchange', { name: 'fanout-ex', type: 'fanout', internal: true });
  await ok('create_exchange', { name: 'headers-ex', type: 'headers' });
  await ok('create_exchange', { name: 'ae-catch', type: 'fanout' });
  await ok('create_exchange', { name: 'ae-main', type: 'direct', alternate_exchange: 'ae-catch' });
  await ok('create_binding', { source: 'orders', destination: 'billing', routing_key: 'order.*.paid' });
  await ok('create_binding', { source: 'orders', destination: 'audit-all', routing_key: '#' });
  await ok('create_binding', { source: 'orders', destination: 'fanout-ex', destination_type: 'exchange', routing_key: 'order.#' });
  await ok('create_binding', { source: 'fanout-ex', destination: 'mirror-a' });
  await ok('create_binding', { source: 'fanout-ex', destination: 'mirror-b' });
  await ok('create_binding', { source: 'headers-ex', destination: 'eu', arguments: { 'x-match': 'all', region: 'eu', tier: 'gold' } });
  await ok('create_binding', { source: 'headers-ex', destination: 'any', arguments: { 'x-match': 'any', region: 'us', tier: 'gold' } });
  await ok('create_binding', { source: 'ae-main', destination: 'billing', routing_key: 'known' });
  await ok('create_binding', { source: 'ae-catch', destination: 'unrouted' });
});

describe('exchanges', () => {
  it('created the exchanges with the requested type and flags', async () => {
    const exchange = await admin<{ type: string; internal: boolean; arguments: Record<string, unknown> }>(
      'GET',
      `/exchanges/${encodeURIComponent(fixture.vhost.name)}/fanout-ex`,
    );
    expect(exchange.type).toBe('fanout');
    expect(exchange.internal).toBe(true);
    const withAlternate = await admin<{ arguments: Record<string, unknown> }>(
      'GET',
      `/exchanges/${encodeURIComponent(fixture.vhost.name)}/ae-main`,
    );
    expect(withAlternate.arguments).toEqual({ 'alternate-exchange': 'ae-catch' });
  });

  it('lists exchanges with their flags, including the default exchange', async () => {
    const text = await ok('list_exchanges', {});
    expect(text).toContain('(default) | direct | D');
    expect(text).toContain('fanout-ex | fanout | D,I');
    expect(text).toMatch(/orders \| topic \| D/);
  });

  it('filters exchanges by a name pattern', async () => {
    const text = await ok('list_exchanges', { filter: '^ae-' });
    expect(text.split('\n').filter((line) => line.startsWith('ae-'))).toHaveLength(2);
    expect(text).not.toContain('orders');
  });

  it('shows one exchange with its bindings in and out', async () => {
    const text = await ok('list_exchanges', { name: 'fanout-ex' });
    expect(text).toContain('exchange: fanout-ex (fanout)');
    expect(text).toContain("bindings_out: 2\n  'fanout-ex' → queue 'mirror-a'");
    expect(text).toContain("bindings_in: 1\n  'orders' → exchange 'fanout-ex' key 'order.#'");
  });

  it('refuses reserved names with a reason', async () => {
    const answer = await fixture.mcp.call('create_exchange', { name: 'amq.custom', type: 'direct' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("names starting with 'amq.' are reserved");
  });

  it('refuses an exchange type the broker does not have, listing the ones it has', async () => {
    const answer = await fixture.mcp.call('create_exchange', { name: 'delayed', type: 'x-delayed-message' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("type 'x-delayed-message' is not enabled");
    expect(answer.text).toContain('topic');
  });

  it('previews and deletes an exchange', async () => {
    await ok('create_exchange', { name: 'temp-ex', type: 'direct' });
    await ok('create_binding', { source: 'temp-ex', destination: 'billing', routing_key: 'x' });
    const preview = await ok('delete_exchange', { name: 'temp-ex' });
    expect(preview).toContain("Dry run: would delete direct exchange 'temp-ex'");
    expect(preview).toContain('1 outgoing binding (to billing)');
    const refused = await fixture.mcp.call('delete_exchange', { name: 'temp-ex', if_unused: true, confirm: true });
    expect(refused.isError).toBe(true);
    await ok('delete_exchange', { name: 'temp-ex', confirm: true });
    const gone = await fixture.mcp.call('list_exchanges', { name: 'temp-ex' });
    expect(gone.isError).toBe(true);
    expect(gone.text).toContain("exchange 'temp-ex' not found");
  });
});

describe('bindings', () => {
  it('lists the bindings of a queue and of a vhost', async () => {
    const ofQueue = await ok('list_bindings', { queue: 'billing' });
    expect(ofQueue).toContain('orders | queue billing | order.*.paid');
    expect(ofQueue).toContain('ae-main | queue billing | known');
    expect(ofQueue).toContain('(default) | queue billing | billing');
    const all = await ok('list_bindings', { page_size: 3 });
    expect(all).toContain('Next: list_bindings with page=2');
  });

  it('deletes one binding by key, after a preview', async () => {
    await ok('create_binding', { source: 'orders', destination: 'billing', routing_key: 'temporary' });
    const preview = await ok('delete_binding', { source: 'orders', destination: 'billing', routing_key: 'temporary' });
    expect(preview).toContain("would remove binding 'orders' → queue 'billing' key 'temporary'");
    await ok('delete_binding', { source: 'orders', destination: 'billing', routing_key: 'temporary', confirm: true });
    const left = await ok('list_bindings', { queue: 'billing' });
    expect(left).not.toContain('temporary');
  });

  it('says which keys exist when the binding to delete is not there', async () => {
    const answer = await fixture.mcp.call('delete_binding', {
      source: 'orders',
      destination: 'billing',
      routing_key: 'nope',
      confirm: true,
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("Existing keys between them: 'order.*.paid'");
  });
});

describe('trace_route', () => {
  it('follows topic patterns and exchange-to-exchange bindings', async () => {
    const text = await ok('trace_route', { exchange: 'orders', routing_key: 'order.eu.paid' });
    expect(reached(text)).toEqual(['audit-all', 'billing', 'mirror-a', 'mirror-b']);
    expect(text).toContain('orders --[order.#]--> exchange fanout-ex --[]--> queue mirror-a');
    expect(text).toContain('orders --[order.*.paid]--> queue billing');
  });

  it('notes that an internal exchange takes no messages from clients', async () => {
    const text = await ok('trace_route', { exchange: 'fanout-ex', routing_key: 'x' });
    expect(reached(text)).toEqual(['mirror-a', 'mirror-b']);
    expect(text).toContain("'fanout-ex' is internal: clients cannot publish to it directly");
  });

  it('does not match a key that a pattern word does not cover', async () => {
    const text = await ok('trace_route', { exchange: 'orders', routing_key: 'invoice.sent' });
    expect(text).toContain('reaches 1 queue: audit-all');
  });

  it('matches headers with x-match all and any', async () => {
    expect(reached(await ok('trace_route', { exchange: 'headers-ex', routing_key: '', headers: { region: 'eu', tier: 'gold' } }))).toEqual([
      'any',
      'eu',
    ]);
    expect(await ok('trace_route', { exchange: 'headers-ex', routing_key: '', headers: { region: 'eu' } })).toContain('reaches no queue');
    expect(await ok('trace_route', { exchange: 'headers-ex', routing_key: '', headers: { region: 'us' } })).toContain(
      'reaches 1 queue: any',
    );
  });

  it('falls back to the alternate exchange when nothing matches', async () => {
    const text = await ok('trace_route', { exchange: 'ae-main', routing_key: 'unknown' });
    expect(text).toContain('reaches 1 queue: unrouted');
    expect(text).toContain("goes to its alternate exchange 'ae-catch'");
    expect(await ok('trace_route', { exchange: 'ae-main', routing_key: 'known' })).toContain('reaches 1 queue: billing');
  });

  it('routes through the default exchange by queue name', async () => {
    expect(await ok('trace_route', { exchange: '', routing_key: 'billing' })).toContain('reaches 1 queue: billing');
    expect(await ok('trace_route', { exchange: '', routing_key: 'no-such-queue' })).toContain('reaches no queue');
  });

  it('agrees with the broker: what trace_route predicts is where published messages land', async () => {
    const predicted = await ok('trace_route', { exchange: 'orders', routing_key: 'order.us.paid' });
    const queues = reached(predicted);
    await ok('publish_messages', { exchange: 'orders', routing_key: 'order.us.paid', messages: [{ body: 'probe' }] });
    for (const queue of ['billing', 'audit-all', 'mirror-a', 'mirror-b', 'eu', 'any', 'unrouted']) {
      const peek = await ok('peek_messages', { queue });
      expect(peek.includes('probe'), `queue ${queue}`).toBe(queues.includes(queue));
    }
  });

  it('says when the exchange does not exist', async () => {
    const answer = await fixture.mcp.call('trace_route', { exchange: 'ghost', routing_key: 'x' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("exchange 'ghost' not found");
  });
});
