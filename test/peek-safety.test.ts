import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionAtLeast } from '../server/broker/broker.js';
import { createTestVhost } from './support/broker-admin.js';
import { type Harness, startHarness } from './support/mcp-harness.js';
import { connectRaw, takeAll } from './support/raw-amqp.js';

const MESSAGES = 1000;
const PAGE = 100;

let vhost: { name: string; remove: () => Promise<void> };
let mcp: Harness;
let raw: ChannelModel;

async function fill(queue: string, count: number): Promise<string[]> {
  const channel = await raw.createConfirmChannel();
  const bodies = Array.from(
    { length: count },
    (_, i) => `${queue}-${String(i).padStart(4, '0')}-${Math.random().toString(36).slice(2, 8)}`,
  );
  for (const body of bodies) channel.sendToQueue(queue, Buffer.from(body), { messageId: body });
  await channel.waitForConfirms();
  await channel.close();
  return bodies;
}

async function bodiesLeft(queue: string): Promise<string[]> {
  return (await takeAll(raw, queue)).map((message) => message.content.toString());
}

beforeAll(async () => {
  vhost = await createTestVhost('mcp-peek');
  mcp = await startHarness({ args: ['--allow-write'], env: { AMQP_VHOST: vhost.name } });
  raw = await connectRaw(vhost.name);
});

afterAll(async () => {
  await raw?.close();
  await mcp?.close();
  await vhost?.remove();
});

describe.each(['classic', 'quorum'] as const)('peeking a %s queue of 1,000 messages in pages of 100', (type) => {
  const queue = `peek-${type}`;
  let published: string[];

  beforeAll(async () => {
    await mcp.call('create_queue', { name: queue, type });
    published = await fill(queue, MESSAGES);
  });

  it('shows every message once, in order, and leaves the queue exactly as it was', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < MESSAGES; offset += PAGE) {
      const answer = await mcp.call('peek_messages', { queue, offset, count: PAGE, max_body: 100 });
      expect(answer.isError).toBe(false);
      expect(answer.text).toContain(`positions ${offset + 1}-${offset + PAGE}`);
      seen.push(...[...answer.text.matchAll(/^body \(\d+ bytes, utf-8\): (.+)$/gm)].map((match) => match[1] as string));
    }
    expect(seen).toEqual(published);
    // Going back to an earlier, smaller page after the big ones must not shuffle anything either.
    const again = await mcp.call('peek_messages', { queue, offset: 0, count: 5, max_body: 100 });
    expect([...again.text.matchAll(/^body \(\d+ bytes, utf-8\): (.+)$/gm)].map((match) => match[1])).toEqual(published.slice(0, 5));
    expect(await bodiesLeft(queue)).toEqual(published);
  });
});

describe('quorum delivery limit', () => {
  it('says when peeking counts toward the delivery limit, before a message is at risk', async () => {
    const version = await mcp.broker.version();
    await mcp.call('create_queue', { name: 'limited', type: 'quorum', delivery_limit: 2 });
    await fill('limited', 3);
    const first = await mcp.call('peek_messages', { queue: 'limited' });
    if (versionAtLeast(version, '4.3')) {
      expect(first.text).not.toContain('counted as a delivery');
      return;
    }
    expect(first.text).toContain('peeking counted as a delivery');
    expect(first.text).toContain('(delivery-limit 2)');
    expect(first.text).toContain('delivery_count: 0');
    const second = await mcp.call('peek_messages', { queue: 'limited' });
    expect(second.text).toContain('delivery_count: 1');
    expect(second.text).toContain(
      'WARNING: 3 messages reached the delivery limit: peeking them again makes RabbitMQ dead-letter or drop them',
    );
    expect(await bodiesLeft('limited')).toHaveLength(3);
  });
});
