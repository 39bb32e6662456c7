import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { returnRulesOf } from '../server/broker/delivery-limit.js';
import { admin, createTestVhost, type TestVhost } from './support/broker-admin.js';
import { connectRaw, takeAll } from './support/raw-amqp.js';
import { runningVersion } from './support/test-brokers.js';
import { BROKER } from './support/broker-env.js';

/**
 * What the broker does when a reader hands a quorum queue's messages back, measured on the broker
 * itself, against the rules the server reads from its version (server/broker/delivery-limit.ts):
 * which ways of handing back count toward the delivery limit, and which keeps a batch in order.
 * Run on every broker version the suite covers, so that a rule the server relies on is one the
 * real broker keeps.
 */
let vhost: TestVhost;
let raw: ChannelModel;
let version = '';
let queues = 0;

beforeAll(async () => {
  vhost = await createTestVhost('mcp-return-rules');
  raw = await connectRaw(vhost.name);
  version = (await runningVersion(BROKER.httpPort, BROKER.host)) ?? '';
  expect(version).toMatch(/^\d+\.\d+\.\d+/);
});

afterAll(async () => {
  await raw?.close();
  await vhost?.remove();
});

/** A quorum queue whose dropped messages are dead-lettered to `${name}-dead`, so a drop shows at once. */
async function quorumQueue(limit: number): Promise<string> {
  const name = `rules-${++queues}`;
  const vh = encodeURIComponent(vhost.name);
  await admin('PUT', `/queues/${vh}/${name}-dead`, { durable: true });
  await admin('PUT', `/queues/${vh}/${name}`, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': limit,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': `${name}-dead`,
    },
  });
  return name;
}

async function publish(queue: string, count: number): Promise<string[]> {
  const channel = await raw.createConfirmChannel();
  const bodies = Array.from({ length: count }, (_, i) => `m-${String(i).padStart(4, '0')}`);
  for (const body of bodies) channel.sendToQueue(queue, Buffer.from(body));
  await channel.waitForConfirms();
  await channel.close();
  return bodies;
}

async function readyCount(queue: string): Promise<number> {
  const channel = await raw.createChannel();
  const { messageCount } = await channel.checkQueue(queue);
  await channel.close();
  return messageCount;
}

/** Waits until the queue holds `expected` ready messages again, or gives up after 5 s (then the count is what it is). */
async function settledAt(queue: string, expected: number): Promise<number> {
  const deadline = Date.now() + 5000;
  let ready = await readyCount(queue);
  while (ready < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    ready = await readyCount(queue);
  }
  return ready;
}

type Way = 'nack' | 'reject' | 'recover' | 'close';

/** Takes the one message and hands it back the given way; false when the queue had none left. */
async function takeAndReturn(queue: string, way: Way): Promise<boolean> {
  const channel = await raw.createChannel();
  const message = await channel.get(queue, { noAck: false });
  if (message === false) {
    await channel.close();
    return false;
  }
  if (way === 'nack') channel.nack(message, false, true);
  if (way === 'reject') channel.reject(message, true);
  if (way === 'recover') await channel.recover();
  await channel.close();
  return true;
}

/** Whether the one message is back in the queue (true) or was dead-lettered for its delivery count (false). */
async function backOrDead(queue: string): Promise<boolean> {
  for (;;) {
    if ((await readyCount(queue)) === 1) return true;
    if ((await readyCount(`${queue}-dead`)) === 1) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How many times a message survives being handed back the given way, with the delivery limit at 1 (at most 4 tried). */
async function survivedReturns(way: Way): Promise<number> {
  const queue = await quorumQueue(1);
  await publish(queue, 1);
  let survived = 0;
  while (survived < 4 && (await takeAndReturn(queue, way)) && (await backOrDead(queue))) survived++;
  return survived;
}

describe('handing a quorum queue message back, on this broker', () => {
  it.each<Way>(['nack', 'reject', 'recover', 'close'])('counts toward the delivery limit by %s as the server expects', async (way) => {
    const rules = returnRulesOf(version);
    const survived = await survivedReturns(way);
    console.log(`RabbitMQ ${version}: a message with delivery limit 1 survived ${survived} hand-back(s) by ${way}`);
    // Counted: the second return is over the limit of 1, so the message survives exactly one.
    const counts = survived === 1;
    if (way === 'nack' || way === 'recover') expect(counts).toBe(rules.nackCounts);
    // A failed delivery counts on every version: a peek cut off mid-way costs the message one.
    else expect(counts).toBe(true);
    if (!counts) expect(survived).toBe(4);
  });

  it('keeps the order of a batch handed back the way the server hands back, round after round', async () => {
    const rules = returnRulesOf(version);
    const queue = await quorumQueue(1000);
    const bodies = await publish(queue, 60);
    for (let round = 0; round < 5; round++) {
      const channel = await raw.createChannel();
      await channel.prefetch(60);
      const got = await consumeBatch(channel, queue, 60);
      expect(got).toHaveLength(60);
      if (rules.handBack === 'nack') channel.nackAll(true);
      else await channel.close();
      expect(await settledAt(queue, 60)).toBe(60);
      if (rules.handBack === 'nack') await channel.close();
    }
    const left = (await takeAll(raw, queue)).map((message: GetMessage) => message.content.toString());
    expect(left).toEqual(bodies);
  });
});

/** `count` messages by a consumer that is cancelled once it has them (as a peek takes them), left unacked. */
async function consumeBatch(channel: Channel, queue: string, count: number): Promise<string[]> {
  const got: string[] = [];
  let consumerTag = '';
  await new Promise<void>((resolve) => {
    void channel
      .consume(queue, (message) => {
        if (!message) return;
        got.push(message.content.toString());
        if (got.length === count) resolve();
      })
      .then((reply) => {
        consumerTag = reply.consumerTag;
      });
  });
  await channel.cancel(consumerTag);
  return got;
}
