import { randomBytes } from 'node:crypto';
import type { ChannelModel, GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, eventually } from './support/broker-admin.js';
import { useBrokerFixture } from './support/broker-fixture.js';
import { connectRaw, consumeAllBodies, publishNumbered, takeAll } from './support/raw-amqp.js';

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-move', args: ['--allow-destructive'] });
let raw: ChannelModel;

async function declare(name: string, queueArguments: Record<string, unknown> = {}): Promise<void> {
  await admin('PUT', `/queues/${encodeURIComponent(fixture.vhost.name)}/${encodeURIComponent(name)}`, {
    durable: true,
    arguments: queueArguments,
  });
}

const fill = (queue: string, count: number, prefix = queue) => publishNumbered(raw, queue, count, prefix);
const bodiesIn = (queue: string) => consumeAllBodies(raw, queue);

beforeAll(async () => {
  raw = await connectRaw(fixture.vhost.name);
});

afterAll(async () => {
  await raw?.close();
});

describe('moving between queues', () => {
  it('moves 10,000 messages losing none, in order, reporting progress per batch, and leaves the rest', async () => {
    await declare('big-from');
    await declare('big-to', { 'x-queue-type': 'quorum' });
    const published = await fill('big-from', 10_500);
    const progress: { progress: number; total?: number }[] = [];
    const { text, isError } = await fixture.mcp.call(
      'move_messages',
      { from: 'big-from', to: 'big-to', count: 10_000, confirm: true },
      { onprogress: (update) => progress.push(update), timeout: 120_000 },
    );
    expect(isError, text).toBe(false);
    expect(text).toContain("Moved 10000 messages from queue 'big-from' to queue 'big-to'");
    expect(await bodiesIn('big-to')).toEqual(published.slice(0, 10_000));
    expect(await bodiesIn('big-from')).toEqual(published.slice(10_000));
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(progress.at(-1)).toMatchObject({ progress: 10_000, total: 10_000 });
  });

  it('empties a quorum queue into a classic one when count exceeds what is there', async () => {
    await declare('q-from', { 'x-queue-type': 'quorum' });
    await declare('q-to');
    const published = await fill('q-from', 2500);
    const answer = await fixture.mcp.call('move_messages', { from: 'q-from', to: 'q-to', count: 100_000, confirm: true });
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain('Moved 2500 messages');
    expect(await bodiesIn('q-to')).toEqual(published);
    expect(await bodiesIn('q-from')).toEqual([]);
  });

  it('keeps properties and headers', async () => {
    await declare('props-from');
    await declare('props-to');
    const channel = await raw.createConfirmChannel();
    channel.sendToQueue('props-from', Buffer.from('{"id":7}'), {
      persistent: true,
      contentType: 'application/json',
      messageId: 'm-7',
      correlationId: 'c-7',
      priority: 4,
      timestamp: 1_700_000_000,
      type: 'order.created',
      appId: 'shop',
      headers: { tenant: 'acme', attempt: 3, nested: { a: 'b' } },
    });
    await channel.waitForConfirms();
    await channel.close();
    const answer = await fixture.mcp.call('move_messages', { from: 'props-from', to: 'props-to', count: 1, confirm: true });
    expect(answer.isError, answer.text).toBe(false);
    const [message] = (await takeAll(raw, 'props-to')) as [GetMessage];
    expect(message.content.toString()).toBe('{"id":7}');
    expect(message.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/json',
      messageId: 'm-7',
      correlationId: 'c-7',
      priority: 4,
      timestamp: 1_700_000_000,
      type: 'order.created',
      appId: 'shop',
      headers: { tenant: 'acme', attempt: 3, nested: { a: 'b' } },
    });
  });

  it('moves large messages byte for byte', async () => {
    await declare('large-from');
    await declare('large-to');
    const bodies = Array.from({ length: 10 }, () => randomBytes(4 * 1024 * 1024));
    const channel = await raw.createConfirmChannel();
    for (const body of bodies) channel.sendToQueue('large-from', body);
    await channel.waitForConfirms();
    await channel.close();
    const answer = await fixture.mcp.call('move_messages', { from: 'large-from', to: 'large-to', count: 10, confirm: true });
    expect(answer.isError, answer.text).toBe(false);
    const moved = await takeAll(raw, 'large-to');
    expect(moved).toHaveLength(10);
    moved.forEach((message, index) => expect(message.content.equals(bodies[index] as Buffer), `message ${index}`).toBe(true));
  });

  it('previews without confirm and changes nothing', async () => {
    await declare('dry-from');
    await declare('dry-to');
    const published = await fill('dry-from', 7);
    const answer = await fixture.mcp.call('move_messages', { from: 'dry-from', to: 'dry-to', count: 5 });
    expect(answer.isError).toBe(false);
    expect(answer.text).toContain(
      `Dry run: would move 5 messages (the oldest of 7 ready) from queue 'dry-from' to queue 'dry-to' in vhost '${fixture.vhost.name}', in order. Nothing was changed.`,
    );
    expect(await bodiesIn('dry-to')).toEqual([]);
    expect(await bodiesIn('dry-from')).toEqual(published);
  });

  it('stops when the destination refuses messages, and the refused ones stay in the source in order', async () => {
    await declare('full-from');
    await declare('full-to', { 'x-max-length': 5, 'x-overflow': 'reject-publish' });
    const published = await fill('full-from', 20);
    const answer = await fixture.mcp.call('move_messages', { from: 'full-from', to: 'full-to', count: 20, confirm: true });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("Stopped after moving 5 of 20 messages from queue 'full-from'");
    expect(answer.text).toContain("queue 'full-to' refused messages (nack), e.g. because it is full with overflow reject-publish");
    expect(answer.text).toContain("Every message not moved is still in 'full-from', in order.");
    expect(await bodiesIn('full-to')).toEqual(published.slice(0, 5));
    expect(await bodiesIn('full-from')).toEqual(published.slice(5));
  });

  it.each([
    [{ from: 'same', to: 'same', count: 1 }, "from and to are the same queue 'same'"],
    [{ from: 'same', count: 1 }, 'Say where to move the messages: to (a queue name), or to_source: true'],
    [{ from: 'same', to: 'other', to_source: true, count: 1 }, 'Give either to (a queue) or to_source: true, not both.'],
    [{ from: 'same', to: 'nowhere', count: 1, confirm: true }, `queue 'nowhere' not found in vhost`],
    [{ from: 'missing', to: 'same', count: 1, confirm: true }, `queue 'missing' not found in vhost`],
    [
      { from: 'log', to: 'same', count: 1, confirm: true },
      "Queue 'log' is a stream: its messages cannot be taken out of it, only read. read_stream",
    ],
    [{ from: 'same', to: 'other', count: 0 }, 'Invalid arguments for move_messages: count'],
    [{ from: 'same', to: 'other', count: 100_001 }, 'Invalid arguments for move_messages: count'],
  ])('refuses %j: %s', async (args, message) => {
    await declare('same');
    await declare('log', { 'x-queue-type': 'stream' });
    const before = await fill('same', 3, `same-${Math.random().toString(36).slice(2, 6)}`);
    const answer = await fixture.mcp.call('move_messages', args);
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain(message);
    expect(await bodiesIn('same')).toEqual(before);
  });
});

/**
 * A quorum dead-letter queue holding, behind one stray message without x-death, 300 orders rejected
 * and 100 payments expired from their own queues, interleaved. `tag` keeps each case's names apart.
 */
async function replayableDeadLetters(tag: string) {
  const dlx = `dlx-${tag}`;
  const dead = `dead-${tag}`;
  const sources = { orders: `orders-${tag}`, payments: `payments-${tag}` };
  const orders: string[] = [];
  const payments: string[] = [];
  await admin('PUT', `/exchanges/${encodeURIComponent(fixture.vhost.name)}/${dlx}`, { type: 'fanout', durable: true });
  await declare(dead, { 'x-queue-type': 'quorum' });
  await admin('POST', `/bindings/${encodeURIComponent(fixture.vhost.name)}/e/${dlx}/q/${dead}`, { routing_key: '' });
  await declare(sources.orders, { 'x-dead-letter-exchange': dlx });
  await declare(sources.payments, { 'x-dead-letter-exchange': dlx });
  const channel = await raw.createConfirmChannel();
  // Published straight into the dead-letter queue, it has no x-death and must stay, ahead of
  // everything else: then no ack can cover the moved ones together, each is acked on its own.
  channel.sendToQueue(dead, Buffer.from('stray'));
  // Interleaved, so the dead-letter queue mixes both sources.
  for (let i = 0; i < 300; i++) {
    const body = `order-${i}`;
    orders.push(body);
    channel.sendToQueue(sources.orders, Buffer.from(body), { headers: { tenant: 'acme' } });
    if (i % 3 === 0) {
      const payment = `payment-${i}`;
      payments.push(payment);
      channel.sendToQueue(sources.payments, Buffer.from(payment), { expiration: '1' });
    }
  }
  await channel.waitForConfirms();
  await channel.close();
  // Rejected without requeue: dead-lettered with reason 'rejected', in order.
  const consumer = await raw.createChannel();
  await consumer.prefetch(100);
  let rejected = 0;
  await new Promise<void>((resolve) => {
    void consumer.consume(sources.orders, (message) => {
      if (!message) return resolve();
      consumer.nack(message, false, false);
      if (++rejected === orders.length) resolve();
    });
  });
  await consumer.close();
  await eventually(async () => {
    const check = await raw.createChannel();
    const { messageCount } = await check.checkQueue(dead);
    await check.close();
    return messageCount === orders.length + payments.length + 1 ? true : undefined;
  }, 'every message to be dead-lettered');
  return { dead, sources, orders, payments };
}

describe('replaying a dead-letter queue to where each message came from', () => {
  it('previews where they would go', async () => {
    const { dead } = await replayableDeadLetters('previewed');
    const answer = await fixture.mcp.call('move_messages', { from: dead, to_source: true, count: 1000 });
    expect(answer.text).toContain(
      `Dry run: would move up to 401 messages (the oldest of 401 ready) from queue '${dead}' each to the queue it was dead-lettered from`,
    );
  });

  it('puts each message back in its own source queue, in order, with its headers, and leaves the rest', async () => {
    const { dead, sources, orders, payments } = await replayableDeadLetters('replayed');
    const answer = await fixture.mcp.call('move_messages', { from: dead, to_source: true, count: 1000, confirm: true });
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain(
      `Moved 400 messages from queue '${dead}' to their source queues (300 to '${sources.orders}', 100 to '${sources.payments}')`,
    );
    expect(answer.text).toContain(`Left in '${dead}': 1 without an x-death header.`);
    const back = await takeAll(raw, sources.orders);
    expect(back.map((message) => message.content.toString())).toEqual(orders);
    expect(back[0]?.properties.headers).toMatchObject({ tenant: 'acme', 'x-death': [{ queue: sources.orders, reason: 'rejected' }] });
    expect(await bodiesIn(sources.payments)).toEqual(payments);
    expect(await bodiesIn(dead)).toEqual(['stray']);
  });
});
