import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, eventually } from './support/broker-admin.js';
import { useBrokerFixture, useTestVhost } from './support/broker-fixture.js';
import { connectRaw, takeAll } from './support/raw-amqp.js';

/**
 * --vhosts and --queues for read_stream, dead_letter_summary and move_messages. The server may
 * use vhost IN, and there every queue but *.audit; vhost OUT is denied.
 */
const fixture = useBrokerFixture({
  vhostPrefix: 'mcp-opsscope-in',
  args: ['--allow-destructive', '--vhosts', 'mcp-opsscope-in-*', '--queues', '!*.audit'],
});
const inside = fixture.vhost;
const outside = useTestVhost('mcp-opsscope-out');
let raw: ChannelModel;
const DENIED = 'payroll.audit';
const DENIED_STREAM = 'log.audit';
const q = (vhost: string) => encodeURIComponent(vhost);
const REFUSED_QUEUE = (queue: string) =>
  `Queue '${queue}' in vhost '${inside.name}' is outside this server's scope (--queues !*.audit): it cannot be read or changed here.`;

async function declare(vhost: string, name: string, queueArguments: Record<string, unknown> = {}): Promise<void> {
  await admin('PUT', `/queues/${q(vhost)}/${encodeURIComponent(name)}`, { durable: true, arguments: queueArguments });
}

async function bodies(queue: string): Promise<string[]> {
  return (await takeAll(raw, queue)).map((message) => message.content.toString());
}

async function publish(queue: string, ...messages: string[]): Promise<void> {
  const channel = await raw.createConfirmChannel();
  for (const body of messages) channel.sendToQueue(queue, Buffer.from(body));
  await channel.waitForConfirms();
  await channel.close();
}

beforeAll(async () => {
  raw = await connectRaw(inside.name);
  await admin('PUT', `/exchanges/${q(inside.name)}/dlx`, { type: 'fanout', durable: true });
  await declare(inside.name, 'dead');
  await admin('POST', `/bindings/${q(inside.name)}/e/dlx/q/dead`, { routing_key: '' });
  for (const queue of ['orders', DENIED]) await declare(inside.name, queue, { 'x-dead-letter-exchange': 'dlx' });
  await declare(inside.name, 'elsewhere');
  await declare(inside.name, DENIED_STREAM, { 'x-queue-type': 'stream' });
  await declare(outside.name, 'orders');
  // One message dead-lettered from each side of the scope, rejected from outside the server.
  await publish('orders', 'order-1');
  await publish(DENIED, 'secret-1');
  const consumer = await raw.createChannel();
  for (const queue of ['orders', DENIED]) {
    const message = await consumer.get(queue, { noAck: false });
    if (message) consumer.nack(message, false, false);
  }
  await consumer.close();
  await eventually(async () => {
    const channel = await raw.createChannel();
    const { messageCount } = await channel.checkQueue('dead');
    await channel.close();
    return messageCount === 2 ? true : undefined;
  }, 'both messages to be dead-lettered');
});

afterAll(async () => {
  await raw?.close();
});

describe('message operations out of scope', () => {
  it('refuses a vhost out of scope in every one of them', async () => {
    for (const [tool, args] of [
      ['read_stream', { queue: 'orders' }],
      ['dead_letter_summary', { queue: 'orders' }],
      ['move_messages', { from: 'orders', to: 'elsewhere', count: 1, confirm: true }],
    ] as const) {
      const answer = await fixture.mcp.call(tool, { ...args, vhost: outside.name });
      expect(answer.isError, tool).toBe(true);
      expect(answer.text, tool).toMatch(/Vhost '.*' is outside this server's scope \(--vhosts mcp-opsscope-in-\*\)/);
    }
  });

  it('refuses reading a queue out of scope', async () => {
    expect(await fixture.mcp.call('read_stream', { queue: DENIED_STREAM })).toEqual({ isError: true, text: REFUSED_QUEUE(DENIED_STREAM) });
    expect(await fixture.mcp.call('dead_letter_summary', { queue: DENIED })).toEqual({ isError: true, text: REFUSED_QUEUE(DENIED) });
  });

  it('refuses moving into or out of a queue out of scope, and moves nothing', async () => {
    await publish('elsewhere', 'stay-1', 'stay-2');
    for (const args of [
      { from: 'elsewhere', to: DENIED, count: 10, confirm: true },
      { from: DENIED, to: 'elsewhere', count: 10, confirm: true },
      { from: 'elsewhere', to: DENIED, count: 10 },
    ]) {
      const answer = await fixture.mcp.call('move_messages', args);
      expect(answer.isError, JSON.stringify(args)).toBe(true);
      expect(answer.text).toContain(REFUSED_QUEUE(DENIED));
    }
    expect(await bodies('elsewhere')).toEqual(['stay-1', 'stay-2']);
    expect(await bodies(DENIED)).toEqual([]);
  });

  it('replays to sources in scope only, leaving the others in the dead-letter queue', async () => {
    const answer = await fixture.mcp.call('move_messages', { from: 'dead', to_source: true, count: 10, confirm: true });
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain("Moved 1 message from queue 'dead' to their source queues (1 to 'orders')");
    expect(answer.text).toContain(`Left in 'dead': 1 from '${DENIED}', which is outside this server's scope.`);
    expect(await bodies('orders')).toEqual(['order-1']);
    expect(await bodies(DENIED)).toEqual([]);
    expect(await bodies('dead')).toEqual(['secret-1']);
  });
});
