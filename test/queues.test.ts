import { beforeAll, describe, expect, it } from 'vitest';
import { connectRaw } from './support/raw-amqp.js';
import { admin, eventually } from './support/broker-admin.js';
import { useBrokerFixture } from './support/broker-fixture.js';

const fixture = useBrokerFixture({ args: ['--allow-destructive'] });

async function publishRaw(queue: string, count: number): Promise<void> {
  const connection = await connectRaw(fixture.vhost.name);
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
    const answer = await fixture.mcp.call('create_queue', { name: 'cache', type: 'classic', message_ttl: 60000 });
    expect(answer.text).toContain('already existed');
  });

  it('explains a conflict with an existing queue of other settings', async () => {
    const answer = await fixture.mcp.call('create_queue', { name: 'cache', type: 'quorum' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("Queue 'cache' already exists");
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
  beforeAll(async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await fixture.mcp.call('create_queue', { name, type: 'classic' });
    await publishRaw('page-b', 7);
    await publishRaw('page-c', 3);
  });

  it('lists queues page by page with a next-page hint', async () => {
    const first = await fixture.mcp.call('list_queues', { filter: '^page-', page_size: 2 });
    expect(first.text).toContain('page-a');
    expect(first.text).toContain('page-b');
    expect(first.text).not.toContain('page-c');
    expect(first.text).toContain('Page 1 of 2, 3 matching');
    expect(first.text).toContain('Next: list_queues with page=2');
    const second = await fixture.mcp.call('list_queues', { filter: '^page-', page_size: 2, page: 2 });
    expect(second.text).toContain('page-c');
    expect(second.text).not.toContain('Next:');
  });

  it('sorts by message count, deepest first', async () => {
    const answer = await eventually(async () => {
      const listed = await fixture.mcp.call('list_queues', { filter: '^page-', sort: 'messages' });
      const rows = listed.text.split('\n').filter((line) => line.startsWith('page-'));
      return rows[0]?.startsWith('page-b | classic | running | 7') ? rows : undefined;
    }, 'message counts in the statistics');
    expect(answer.map((row) => row.split(' | ')[0])).toEqual(['page-b', 'page-c', 'page-a']);
  });

  it('shows one queue in detail with its arguments and bindings', async () => {
    const answer = await fixture.mcp.call('list_queues', { name: 'orders' });
    expect(answer.text).toContain('queue: orders (quorum)');
    expect(answer.text).toContain('"x-delivery-limit":5');
    expect(answer.text).toContain('delivery_limit: 5');
    expect(answer.text).toContain("(default) key 'orders'");
  });

  it('says which queue is missing and how to find the right one', async () => {
    const answer = await fixture.mcp.call('list_queues', { name: 'no-such-queue' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toBe(`queue 'no-such-queue' not found in vhost '${fixture.vhost.name}'; list_queues shows what exists`);
  });

  it('rejects an invalid filter before asking the broker', async () => {
    const answer = await fixture.mcp.call('list_queues', { filter: '(' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('not a valid regular expression');
  });

  it('finds queues with messages and no consumers, and deep ones', async () => {
    const answer = await eventually(async () => {
      const found = await fixture.mcp.call('find_problem_queues', { deep: 5 });
      return found.text.includes('page-b') && found.text.includes('deep') ? found : undefined;
    }, 'problem queues in the statistics');
    expect(answer.text).toMatch(/deep \(≥ 5 messages\): 1\n {2}page-b \(classic\): 7 messages/);
    expect(answer.text).toMatch(/messages but no consumers: 2\n {2}page-b \(classic\): 7 messages, 0 consumers\n {2}page-c/);
  });
});

describe('deleting and purging', () => {
  beforeAll(async () => {
    await fixture.mcp.call('create_queue', { name: 'doomed', type: 'classic' });
    await publishRaw('doomed', 4);
  });

  it('previews a purge with the exact count and changes nothing', async () => {
    const answer = await fixture.mcp.call('purge_queue', { name: 'doomed' });
    expect(answer.text).toContain("Dry run: would purge 4 ready messages from queue 'doomed'");
    expect(answer.text).toContain('confirm: true');
    const check = await fixture.mcp.broker.amqp.forVhost(fixture.vhost.name).withChannel('check', (ch) => ch.checkQueue('doomed'));
    expect(check.messageCount).toBe(4);
  });

  it('refuses to delete a non-empty queue with if_empty', async () => {
    const answer = await fixture.mcp.call('delete_queue', { name: 'doomed', if_empty: true, confirm: true });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('it has 4 messages (if_empty)');
    expect(await queueJson('doomed')).toBeDefined();
  });

  it('is found by a model looking for "purge": its own tool, and delete_queue no longer takes purge', async () => {
    const { tools } = await fixture.mcp.client.listTools();
    expect(tools.find((tool) => tool.name === 'purge_queue')?.annotations).toMatchObject({ destructiveHint: true });
    const old = await fixture.mcp.call('delete_queue', { name: 'doomed', purge: true, confirm: true });
    expect(old.isError).toBe(true);
    expect(old.text).toContain('purge');
    expect(await queueJson('doomed')).toBeDefined();
  });

  it('purges with confirm and reports how many were removed', async () => {
    const answer = await fixture.mcp.call('purge_queue', { name: 'doomed', confirm: true });
    expect(answer.text).toBe(`Purged 4 messages from queue 'doomed' in vhost '${fixture.vhost.name}'.`);
  });

  it('previews then deletes a queue', async () => {
    const preview = await fixture.mcp.call('delete_queue', { name: 'doomed' });
    expect(preview.text).toContain("would delete queue 'doomed'");
    expect(await queueJson('doomed')).toBeDefined();
    const done = await fixture.mcp.call('delete_queue', { name: 'doomed', confirm: true, if_empty: true });
    expect(done.isError).toBe(false);
    expect(await queueJson('doomed')).toBeUndefined();
  });

  it('reports a missing queue on delete', async () => {
    const answer = await fixture.mcp.call('delete_queue', { name: 'doomed', confirm: true });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("queue 'doomed' not found");
  });
});
