import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionAtLeast } from '../server/broker/broker.js';
import { admin, eventually } from './support/broker-admin.js';
import { useBrokerFixture } from './support/broker-fixture.js';
import { connectRaw, takeAll } from './support/raw-amqp.js';

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-dlq', args: ['--allow-write'] });
let raw: ChannelModel;
const v = () => encodeURIComponent(fixture.vhost.name);

async function ready(queue: string): Promise<number> {
  const channel = await raw.createChannel();
  const { messageCount } = await channel.checkQueue(queue);
  await channel.close();
  return messageCount;
}

async function until(queue: string, count: number): Promise<void> {
  await eventually(async () => ((await ready(queue)) === count ? true : undefined), `${count} messages in ${queue}`);
}

beforeAll(async () => {
  raw = await connectRaw(fixture.vhost.name);
});

afterAll(async () => {
  await raw?.close();
});

/** The rows of the "by source" table: source queue | reason | exchange | routing keys | messages | deaths | first | last. */
function sourceRows(text: string): string[][] {
  const table = text.split('by source')[1]?.split('\n').slice(2) ?? [];
  return table.filter((line) => line.split(' | ').length === 8).map((line) => line.split(' | '));
}

/**
 * A dead-letter queue of the given type holding 13 messages: 5 rejected from an orders queue, 4
 * expired from a payments queue, 3 dropped by a max-length policy, and 1 published to it directly.
 * Each case builds its own (`tag` keeps the names apart), as reading it back empties it.
 */
async function deadLetterQueue(type: 'classic' | 'quorum', tag: string) {
  const dlq = `dead-${type}-${tag}`;
  const dlx = `dlx-${type}-${tag}`;
  const shop = `shop-${type}-${tag}`;
  const orders = `orders-${type}-${tag}`;
  const payments = `payments-${type}-${tag}`;
  const tiny = `tiny-${type}-${tag}`;
  /** Bodies in the order they were dead-lettered, which is the dead-letter queue's order. */
  const expected: string[] = [];
  const startedAt = Math.floor(Date.now() / 1000);
  await admin('PUT', `/exchanges/${v()}/${dlx}`, { type: 'fanout', durable: true });
  await admin('PUT', `/exchanges/${v()}/${shop}`, { type: 'direct', durable: true });
  await admin('PUT', `/queues/${v()}/${dlq}`, { durable: true, arguments: { 'x-queue-type': type } });
  await admin('POST', `/bindings/${v()}/e/${dlx}/q/${dlq}`, { routing_key: '' });
  await admin('PUT', `/queues/${v()}/${orders}`, { durable: true, arguments: { 'x-dead-letter-exchange': dlx } });
  for (const key of ['order.created', 'order.paid']) await admin('POST', `/bindings/${v()}/e/${shop}/q/${orders}`, { routing_key: key });
  await admin('PUT', `/queues/${v()}/${payments}`, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq },
  });
  await admin('PUT', `/policies/${v()}/dl-${tiny}`, {
    pattern: `^${tiny}$`,
    definition: { 'dead-letter-exchange': dlx },
    'apply-to': 'queues',
  });
  await admin('PUT', `/queues/${v()}/${tiny}`, { durable: true, arguments: { 'x-max-length': 2 } });
  await eventually(
    async () => ((await admin<{ policy?: string }>('GET', `/queues/${v()}/${tiny}`)).policy ? true : undefined),
    'the policy to apply',
  );

  const channel = await raw.createConfirmChannel();
  const keys = ['order.created', 'order.paid', 'order.created', 'order.paid', 'order.created'];
  for (const [i, key] of keys.entries()) channel.publish(shop, key, Buffer.from(`order-${i}`));
  await channel.waitForConfirms();
  const consumer = await raw.createChannel();
  for (;;) {
    const message = await consumer.get(orders, { noAck: false });
    if (message === false) break;
    consumer.nack(message, false, false);
    expected.push(message.content.toString());
  }
  await consumer.close();
  await until(dlq, 5);

  for (let i = 0; i < 4; i++) {
    channel.sendToQueue(payments, Buffer.from(`payment-${i}`), { expiration: '1' });
    expected.push(`payment-${i}`);
  }
  await channel.waitForConfirms();
  await until(dlq, 9);

  // A max-length of 2 drops the head three times: those three are dead-lettered as maxlen.
  for (let i = 0; i < 5; i++) channel.sendToQueue(tiny, Buffer.from(`tiny-${i}`));
  await channel.waitForConfirms();
  expected.push('tiny-0', 'tiny-1', 'tiny-2');
  await until(dlq, 12);

  channel.sendToQueue(dlq, Buffer.from('stray'));
  await channel.waitForConfirms();
  expected.push('stray');
  await channel.close();
  await until(dlq, 13);
  return { dlq, dlx, shop, orders, payments, tiny, expected, startedAt, endedAt: Math.ceil(Date.now() / 1000) };
}

describe.each(['classic', 'quorum'] as const)('dead_letter_summary on a %s dead-letter queue', (type) => {
  it('groups by reason and source, and says which queues dead-letter into it', async () => {
    const { dlq, dlx, shop, orders, payments, tiny, startedAt, endedAt } = await deadLetterQueue(type, 'grouped');
    const answer = await fixture.mcp.call('dead_letter_summary', { queue: dlq });
    const version = await fixture.mcp.broker.version();
    if (type === 'quorum' && versionAtLeast(version, '4.0') && !versionAtLeast(version, '4.3')) {
      // RabbitMQ 4.0-4.2 give every quorum queue a delivery limit of 20, and dead-lettered arrivals
      // are not in the publish statistics: the counts cannot be bounded, so nothing is taken.
      expect(answer.isError).toBe(true);
      expect(answer.text).toContain('Not peeked, nothing was taken');
      return;
    }
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain(
      `Dead-letter queue '${dlq}' (${type}) in vhost '${fixture.vhost.name}': 13 ready messages; summarized all 13 without removing or reordering any.`,
    );
    expect(answer.text).toMatch(/\nrejected \| 5 \| /);
    expect(answer.text).toMatch(/\nexpired \| 4 \| /);
    expect(answer.text).toMatch(/\nmaxlen \| 3 \| /);
    const rows = sourceRows(answer.text);
    expect(rows.map((row) => row.slice(0, 6))).toEqual(
      expect.arrayContaining([
        [orders, 'rejected', shop, 'order.created', '3', '3'],
        [orders, 'rejected', shop, 'order.paid', '2', '2'],
        [payments, 'expired', '(default)', payments, '4', '4'],
        [tiny, 'maxlen', '(default)', tiny, '3', '3'],
      ]),
    );
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      for (const time of row.slice(6)) {
        const seconds = Date.parse(time) / 1000;
        expect(seconds, time).toBeGreaterThanOrEqual(startedAt);
        expect(seconds, time).toBeLessThanOrEqual(endedAt);
      }
    }
    expect(answer.text).toContain('1 message without an x-death header');
    expect(answer.text).toContain(`configured to dead-letter into it: `);
    expect(answer.text).toContain(`${orders} (via '${dlx}')`);
    expect(answer.text).toContain(`${payments} (via (default) key '${dlq}')`);
    expect(answer.text).toContain(`${tiny} (via '${dlx}')`);
    if (type === 'quorum' && !versionAtLeast(version, '4.3')) expect(answer.text).toContain('handing them back counts as a delivery');
  });

  it('summarizes only the sample when asked', async () => {
    const { dlq, shop, orders } = await deadLetterQueue(type, 'sampled');
    const answer = await fixture.mcp.call('dead_letter_summary', { queue: dlq, sample: 4 });
    const version = await fixture.mcp.broker.version();
    if (type === 'quorum' && versionAtLeast(version, '4.0') && !versionAtLeast(version, '4.3')) {
      // As above: on 4.0-4.2 the counts of dead-lettered arrivals cannot be bounded, so nothing is taken.
      expect(answer.text).toContain('Not peeked, nothing was taken');
      // Unknown because of the dead-lettered arrivals, or because the statistics do not cover the queue yet.
      expect(answer.text).toMatch(/messages arrived by dead-lettering|the queue has no message statistics/);
      return;
    }
    expect(answer.text).toContain('13 ready messages; summarized the first 4');
    expect(sourceRows(answer.text).map((row) => row.slice(0, 5))).toEqual([
      [orders, 'rejected', shop, 'order.created', '2'],
      [orders, 'rejected', shop, 'order.paid', '2'],
    ]);
  });

  it('leaves the dead-letter queue exactly as it was', async () => {
    const { dlq, orders, expected } = await deadLetterQueue(type, 'left');
    await fixture.mcp.call('dead_letter_summary', { queue: dlq, sample: 10_000 });
    const left = await takeAll(raw, dlq);
    expect(left.map((message) => message.content.toString())).toEqual(expected);
    const deaths = left[0]?.properties.headers?.['x-death'];
    expect(deaths).toHaveLength(1);
    expect(deaths?.[0]).toMatchObject({ queue: orders, reason: 'rejected', count: 1 });
  });
});

describe('dead_letter_summary errors', () => {
  it('says when the queue is empty', async () => {
    await admin('PUT', `/queues/${v()}/nothing-dead`, { durable: true });
    const answer = await fixture.mcp.call('dead_letter_summary', { queue: 'nothing-dead' });
    expect(answer.isError).toBe(false);
    expect(answer.text).toBe(`Dead-letter queue 'nothing-dead' (classic) in vhost '${fixture.vhost.name}' has no ready messages.`);
  });

  it('names a missing queue and where to look', async () => {
    const answer = await fixture.mcp.call('dead_letter_summary', { queue: 'no-such-queue' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain(`queue 'no-such-queue' not found in vhost '${fixture.vhost.name}'; list_queues shows what exists`);
  });

  it('refuses a sample above 10000', async () => {
    const answer = await fixture.mcp.call('dead_letter_summary', { queue: 'nothing-dead', sample: 10_001 });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('Invalid arguments for dead_letter_summary: sample');
  });
});
