import { beforeAll, describe, expect, it } from 'vitest';
import { connectRaw } from './support/raw-amqp.js';
import { admin, eventually } from './support/broker-admin.js';
import { useBrokerFixture } from './support/broker-fixture.js';

const fixture = useBrokerFixture({ args: ['--allow-destructive'] });

async function publishRaw(queue: string, count: number, vhost = fixture.vhost.name): Promise<void> {
  const connection = await connectRaw(vhost);
  const channel = await connection.createConfirmChannel();
  for (let i = 0; i < count; i++) channel.sendToQueue(queue, Buffer.from(`m${i}`));
  await channel.waitForConfirms();
  await connection.close();
}

async function queueJson(name: string): Promise<Record<string, unknown> | undefined> {
  return admin<Record<string, unknown>>('GET', `/queues/${encodeURIComponent(fixture.vhost.name)}/${encodeURIComponent(name)}`).catch(
    () => undefined,
  );
}

describe('creating queues', () => {
  it('creates a quorum queue with dead-lettering, delivery limit and length limit', async () => {
    const answer = await fixture.mcp.call('create_queue', {
      name: 'orders',
      type: 'quorum',
      dead_letter_exchange: 'dlx',
      delivery_limit: 5,
      max_length: 1000,
      overflow: 'reject-publish',
    });
    expect(answer.isError).toBe(false);
    expect(answer.text).toContain("Created durable queue 'orders'");
    const queue = await queueJson('orders');
    expect(queue?.type).toBe('quorum');
    expect(queue?.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': 'dlx',
      'x-delivery-limit': 5,
      'x-max-length': 1000,
      'x-overflow': 'reject-publish',
    });
  });

  it('creates a classic queue with a message TTL and a stream with a retention age', async () => {
    expect((await fixture.mcp.call('create_queue', { name: 'cache', type: 'classic', message_ttl: 60000 })).isError).toBe(false);
    expect((await fixture.mcp.call('create_queue', { name: 'events', type: 'stream', max_age: '7D' })).isError).toBe(false);
    expect((await queueJson('cache'))?.arguments).toEqual({ 'x-queue-type': 'classic', 'x-message-ttl': 60000 });
    expect((await queueJson('events'))?.type).toBe('stream');
  });

  it('says the queue already existed when declared again with the same settings', async () => {
    const settings = { name: 'declared-twice', type: 'classic', message_ttl: 60000 };
    expect((await fixture.mcp.call('create_queue', settings)).isError).toBe(false);
    const answer = await fixture.mcp.call('create_queue', settings);
    expect(answer.text).toContain('already existed');
  });

  it('explains a conflict with an existing queue of other settings', async () => {
    expect((await fixture.mcp.call('create_queue', { name: 'conflicting', type: 'classic', message_ttl: 60000 })).isError).toBe(false);
    const answer = await fixture.mcp.call('create_queue', { name: 'conflicting', type: 'quorum' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("Queue 'conflicting' already exists");
    expect(answer.text).toMatch(/different settings \(inequivalent arg 'x-(queue-type|message-ttl)'/);
  });

  it('refuses options that do not fit the queue type, naming them', async () => {
    const answer = await fixture.mcp.call('create_queue', { name: 'bad-stream', type: 'stream', message_ttl: 10, delivery_limit: 2 });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('streams do not support message_ttl');
    expect(answer.text).toContain('delivery_limit');
    expect(await queueJson('bad-stream')).toBeUndefined();
  });
});

describe('listing and inspecting queues', () => {
  // A vhost of its own: the problem counts below are exact, so no other case's queue may be in it.
  const listing = useBrokerFixture({ vhostPrefix: 'mcp-queues-listing', args: ['--allow-write'] });

  beforeAll(async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await listing.mcp.call('create_queue', { name, type: 'classic' });
    await listing.mcp.call('create_queue', { name: 'detailed', type: 'quorum', delivery_limit: 5 });
    await publishRaw('page-b', 7, listing.vhost.name);
    await publishRaw('page-c', 3, listing.vhost.name);
  });

  it('lists queues page by page with a next-page hint', async () => {
    const first = await listing.mcp.call('list_queues', { filter: '^page-', page_size: 2 });
    expect(first.text).toContain('page-a');
    expect(first.text).toContain('page-b');
    expect(first.text).not.toContain('page-c');
    expect(first.text).toContain('Page 1 of 2, 3 matching');
    expect(first.text).toContain('Next: list_queues with page=2');
    const second = await listing.mcp.call('list_queues', { filter: '^page-', page_size: 2, page: 2 });
    expect(second.text).toContain('page-c');
    expect(second.text).not.toContain('Next:');
  });

  it('sorts by message count, deepest first', async () => {
    const answer = await eventually(async () => {
      const listed = await listing.mcp.call('list_queues', { filter: '^page-', sort: 'messages' });
      const rows = listed.text.split('\n').filter((line) => line.startsWith('page-'));
      return rows[0]?.startsWith('page-b | classic | running | 7') ? rows : undefined;
    }, 'message counts in the statistics');
    expect(answer.map((row) => row.split(' | ')[0])).toEqual(['page-b', 'page-c', 'page-a']);
  });

  it('shows one queue in detail with its arguments and bindings', async () => {
    const answer = await listing.mcp.call('list_queues', { name: 'detailed' });
    expect(answer.text).toContain('queue: detailed (quorum)');
    expect(answer.text).toContain('"x-delivery-limit":5');
    expect(answer.text).toContain('delivery_limit: 5');
    expect(answer.text).toContain("(default) key 'detailed'");
  });

  it('says which queue is missing and how to find the right one', async () => {
    const answer = await listing.mcp.call('list_queues', { name: 'no-such-queue' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toBe(`queue 'no-such-queue' not found in vhost '${listing.vhost.name}'; list_queues shows what exists`);
  });

  it('rejects an invalid filter before asking the broker', async () => {
    const answer = await listing.mcp.call('list_queues', { filter: '(' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('not a valid regular expression');
  });

  it('finds queues with messages and no consumers, and deep ones', async () => {
    const answer = await eventually(async () => {
      const found = await listing.mcp.call('find_problem_queues', { deep: 5 });
      return found.text.includes('page-b') && found.text.includes('deep') ? found : undefined;
    }, 'problem queues in the statistics');
    expect(answer.text).toMatch(/deep \(≥ 5 messages\): 1\n {2}page-b \(classic\): 7 messages/);
    expect(answer.text).toMatch(/messages but no consumers: 2\n {2}page-b \(classic\): 7 messages, 0 consumers\n {2}page-c/);
  });
});

describe('deleting and purging', () => {
  /** A classic queue of the case's own, holding `messages` ready messages. */
  async function queueHolding(name: string, messages: number): Promise<string> {
    expect((await fixture.mcp.call('create_queue', { name, type: 'classic' })).isError).toBe(false);
    await publishRaw(name, messages);
    return name;
  }

  it('previews a purge with the exact count and changes nothing', async () => {
    const queue = await queueHolding('purge-previewed', 4);
    const answer = await fixture.mcp.call('purge_queue', { name: queue });
    expect(answer.text).toContain(`Dry run: would purge 4 ready messages from queue '${queue}'`);
    expect(answer.text).toMatch(/call purge_queue again with the same arguments and confirm: "c-[\w-]+"/);
    const check = await fixture.mcp.broker.amqp.forVhost(fixture.vhost.name).withChannel('check', (ch) => ch.checkQueue(queue));
    expect(check.messageCount).toBe(4);
  });

  it('refuses to delete a non-empty queue with if_empty', async () => {
    const queue = await queueHolding('kept-if-not-empty', 4);
    const answer = await fixture.mcp.call('delete_queue', { name: queue, if_empty: true, confirm: true });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('it has 4 messages (if_empty)');
    expect(await queueJson(queue)).toBeDefined();
  });

  it('is found by a model looking for "purge": its own tool, and delete_queue no longer takes purge', async () => {
    const queue = await queueHolding('purge-argument', 4);
    const { tools } = await fixture.mcp.client.listTools();
    expect(tools.find((tool) => tool.name === 'purge_queue')?.annotations).toMatchObject({ destructiveHint: true });
    const old = await fixture.mcp.call('delete_queue', { name: queue, purge: true, confirm: true });
    expect(old.isError).toBe(true);
    expect(old.text).toContain('purge');
    expect(await queueJson(queue)).toBeDefined();
  });

  it('purges with confirm and reports how many were removed', async () => {
    const queue = await queueHolding('purged', 4);
    const answer = await fixture.mcp.call('purge_queue', { name: queue, confirm: true });
    expect(answer.text).toBe(`Purged 4 messages from queue '${queue}' in vhost '${fixture.vhost.name}'.`);
  });

  it('previews then deletes a queue', async () => {
    const queue = await queueHolding('deleted', 0);
    const preview = await fixture.mcp.call('delete_queue', { name: queue });
    expect(preview.text).toContain(`would delete queue '${queue}'`);
    expect(await queueJson(queue)).toBeDefined();
    const done = await fixture.mcp.call('delete_queue', { name: queue, confirm: true, if_empty: true });
    expect(done.isError).toBe(false);
    expect(await queueJson(queue)).toBeUndefined();
  });

  it('reports a missing queue on delete', async () => {
    const answer = await fixture.mcp.call('delete_queue', { name: 'never-created', confirm: true });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("queue 'never-created' not found");
  });
});
