import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBrokerFixture } from './support/broker-fixture.js';
import { connectRaw, takeAll } from './support/raw-amqp.js';

const fixture = useBrokerFixture({ args: ['--allow-destructive'] });
let raw: ChannelModel;

/** Takes every message off a queue with a plain amqplib client, outside the server. */
async function drain(queue: string): Promise<{ body: string; headers: Record<string, unknown>; properties: Record<string, unknown> }[]> {
  return (await takeAll(raw, queue)).map((message) => ({
    body: message.content.toString(),
    headers: message.properties.headers ?? {},
    properties: message.properties as unknown as Record<string, unknown>,
  }));
}

beforeAll(async () => {
  raw = await connectRaw(fixture.vhost.name);
  await fixture.mcp.call('create_queue', { name: 'inbox', type: 'classic' });
  await fixture.mcp.call('create_exchange', { name: 'events', type: 'topic' });
  await fixture.mcp.call('create_binding', { source: 'events', destination: 'inbox', routing_key: 'order.*' });
});

afterAll(async () => {
  await raw?.close();
});

describe('publish_messages', () => {
  it('publishes with properties and headers, and the consumer sees them', async () => {
    const answer = await fixture.mcp.call('publish_messages', {
      exchange: 'events',
      routing_key: 'order.created',
      messages: [
        {
          body: '{"id":1}',
          headers: { tenant: 'acme', attempt: 2 },
          properties: { content_type: 'application/json', message_id: 'm-1', correlation_id: 'c-1', priority: 3, timestamp: 1700000000 },
        },
      ],
    });
    expect(answer.isError).toBe(false);
    expect(answer.text).toContain('Published 1 message');
    expect(answer.text).toContain('1 routed and confirmed, 0 unroutable, 0 rejected');
    const [message] = await drain('inbox');
    expect(message?.body).toBe('{"id":1}');
    expect(message?.headers).toEqual({ tenant: 'acme', attempt: 2 });
    expect(message?.properties).toMatchObject({
      contentType: 'application/json',
      messageId: 'm-1',
      correlationId: 'c-1',
      priority: 3,
      timestamp: 1700000000,
      deliveryMode: 2,
    });
  });

  it('reports which messages were unroutable when mandatory', async () => {
    const answer = await fixture.mcp.call('publish_messages', {
      exchange: 'events',
      messages: [
        { body: 'a', routing_key: 'order.paid' },
        { body: 'b', routing_key: 'invoice.sent' },
        { body: 'c', routing_key: 'order.shipped' },
        { body: 'd', routing_key: 'nobody.listens' },
      ],
    });
    expect(answer.text).toContain('2 routed and confirmed, 2 unroutable');
    expect(answer.text).toContain("#1 key 'invoice.sent', #3 key 'nobody.listens'");
    expect((await drain('inbox')).map((m) => m.body)).toEqual(['a', 'c']);
  });

  it('publishes a batch of 5000 with confirms, all in order', async () => {
    const messages = Array.from({ length: 5000 }, (_, i) => ({ body: `n${i}` }));
    const answer = await fixture.mcp.call('publish_messages', { routing_key: 'inbox', messages });
    expect(answer.text).toContain('5000 routed and confirmed, 0 unroutable, 0 rejected');
    const bodies = (await drain('inbox')).map((m) => m.body);
    expect(bodies).toEqual(messages.map((m) => m.body));
  });

  it('reports messages the broker rejected because the queue is full', async () => {
    await fixture.mcp.call('create_queue', { name: 'tiny', type: 'classic', max_length: 2, overflow: 'reject-publish' });
    const answer = await fixture.mcp.call('publish_messages', {
      routing_key: 'tiny',
      messages: [{ body: '1' }, { body: '2' }, { body: '3' }],
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('1 rejected');
    expect(answer.text).toContain('not stored: #2');
  });

  it('publishes base64 bodies byte for byte', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await fixture.mcp.call('publish_messages', {
      routing_key: 'inbox',
      encoding: 'base64',
      messages: [{ body: bytes.toString('base64') }],
    });
    const channel = await raw.createChannel();
    const message = await channel.get('inbox', { noAck: true });
    await channel.close();
    expect(message && message.content.equals(bytes)).toBe(true);
  });

  it('refuses headers and properties that do not fit AMQP, naming the message', async () => {
    const huge = await fixture.mcp.call('publish_messages', {
      routing_key: 'inbox',
      messages: [{ body: 'x' }, { body: 'y', headers: { blob: 'z'.repeat(70_000) } }],
    });
    expect(huge.isError).toBe(true);
    expect(huge.text).toContain('messages.1.headers: too large: AMQP field tables hold at most 64 KiB');
    const long = await fixture.mcp.call('publish_messages', {
      routing_key: 'inbox',
      messages: [{ body: 'x', properties: { message_id: 'm'.repeat(300) } }],
    });
    expect(long.isError).toBe(true);
    expect(long.text).toContain('messages.0.properties.message_id: longer than 255 bytes');
    expect(await drain('inbox')).toEqual([]);
  });

  it('says the exchange is missing and keeps working afterwards', async () => {
    const answer = await fixture.mcp.call('publish_messages', { exchange: 'nope', messages: [{ body: 'x' }] });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain(`exchange 'nope' not found in vhost '${fixture.vhost.name}'`);
    const after = await fixture.mcp.call('publish_messages', { routing_key: 'inbox', messages: [{ body: 'still works' }] });
    expect(after.text).toContain('1 routed and confirmed');
    await drain('inbox');
  });
});

describe('peek_messages and consume_messages', () => {
  /** A queue of the case's own holding three messages, the first with a message id. */
  async function queueOfThree(name: string): Promise<string> {
    await fixture.mcp.call('create_queue', { name, type: 'classic' });
    await fixture.mcp.call('publish_messages', {
      routing_key: name,
      messages: [{ body: 'first', properties: { message_id: 'id-1' } }, { body: 'second' }, { body: 'a longer third body' }],
    });
    return name;
  }

  it('shows messages without removing them', async () => {
    const queue = await queueOfThree('peeked');
    const answer = await fixture.mcp.call('peek_messages', { queue });
    expect(answer.text).toContain('Peeked 3 message(s) at positions 1-3');
    expect(answer.text).toContain('nothing was removed');
    expect(answer.text).toMatch(/#1 .*"message_id":"id-1".*\nbody \(5 bytes, utf-8\): first/);
    const again = await fixture.mcp.call('peek_messages', { queue, offset: 1, count: 1 });
    expect(again.text).toContain('positions 2-2');
    expect(again.text).toContain('body (6 bytes, utf-8): second');
    expect(again.text).toContain('Next: peek_messages with offset=2');
  });

  it('shows binary bodies as base64 and cuts long ones', async () => {
    const queue = await queueOfThree('peeked-bodies');
    const answer = await fixture.mcp.call('peek_messages', { queue, offset: 2, count: 1, max_body: 2 });
    expect(answer.text).toContain('body (19 bytes, utf-8): a … (17 more chars)');
    await fixture.mcp.call('publish_messages', {
      routing_key: queue,
      encoding: 'base64',
      messages: [{ body: Buffer.from([0xff, 0x00, 0x01]).toString('base64') }],
    });
    const binary = await fixture.mcp.call('peek_messages', { queue, offset: 3, count: 1 });
    expect(binary.text).toContain('body (3 bytes, base64): /wAB');
  });

  it('previews consume_messages without taking anything', async () => {
    const queue = await queueOfThree('consume-previewed');
    const answer = await fixture.mcp.call('consume_messages', { queue, count: 2 });
    expect(answer.text).toContain(`Dry run: would remove 2 messages of 3 ready from queue '${queue}'`);
    expect(answer.text).toContain('return each whole');
    const peek = await fixture.mcp.call('peek_messages', { queue });
    expect(peek.text).toContain('Peeked 3 message(s)');
  });

  it('consumes messages from the head with confirm, and they are gone', async () => {
    const queue = await queueOfThree('consumed');
    const answer = await fixture.mcp.call('consume_messages', { queue, count: 2, confirm: true });
    expect(answer.text).toContain('Removed 2 messages');
    expect(answer.text).toContain('first');
    expect(answer.text).toContain('second');
    expect((await drain(queue)).map((message) => message.body)).toEqual(['a longer third body']);
  });

  it.each(['classic', 'quorum'] as const)(
    'returns every message it removes whole from a %s queue: 50 of 50 kB, and a binary one',
    async (type) => {
      const queue = `whole-${type}`;
      await fixture.mcp.call('create_queue', { name: queue, type });
      const channel = await raw.createConfirmChannel();
      const bodies = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(2, '0')}:${'x'.repeat(50_000)}`);
      for (const body of bodies) channel.sendToQueue(queue, Buffer.from(body), { contentType: 'text/plain' });
      const binary = Buffer.from([0, 255, 1, 254, 2, 253]);
      channel.sendToQueue(queue, binary);
      await channel.waitForConfirms();
      await channel.close();
      const dryRun = await fixture.mcp.call('consume_messages', { queue, count: 51 });
      expect(dryRun.text).toContain('return each whole');
      const answer = await fixture.mcp.call('consume_messages', { queue, count: 51, confirm: true });
      expect(answer.isError).toBe(false);
      expect(answer.text).toContain('Removed 51 messages');
      expect(answer.resources ?? []).toHaveLength(51);
      expect((answer.resources ?? []).slice(0, 50).map((resource) => resource.text)).toEqual(bodies);
      expect(answer.resources?.[0]?.mimeType).toBe('text/plain');
      expect(Buffer.from(answer.resources?.[50]?.blob ?? '', 'base64')).toEqual(binary);
      expect(await drain(queue)).toEqual([]);
    },
  );

  it('removes only what one answer can carry whole, and says what stayed', async () => {
    const queue = 'whole-big';
    await fixture.mcp.call('create_queue', { name: queue, type: 'classic' });
    const channel = await raw.createConfirmChannel();
    const bodies = ['a', 'b', 'c'].map((letter) => letter.repeat(3 * 1024 * 1024));
    for (const body of bodies) channel.sendToQueue(queue, Buffer.from(body));
    await channel.waitForConfirms();
    await channel.close();
    const answer = await fixture.mcp.call('consume_messages', { queue, count: 3, confirm: true });
    expect(answer.text).toContain('Removed 1 message');
    expect(answer.text).toContain('message 2 and those after it stay in the queue');
    expect((answer.resources ?? []).map((resource) => resource.text)).toEqual([bodies[0]]);
    expect((await drain(queue)).map((message) => message.body)).toEqual(bodies.slice(1));
  });

  it('reads a stream from the start without consuming it', async () => {
    await fixture.mcp.call('create_queue', { name: 'log', type: 'stream' });
    await fixture.mcp.call('publish_messages', { routing_key: 'log', messages: [{ body: 's0' }, { body: 's1' }, { body: 's2' }] });
    const answer = await fixture.mcp.call('peek_messages', { queue: 'log', offset: 1, count: 2 });
    expect(answer.text).toContain('positions 2-3');
    expect(answer.text).toMatch(/stream_offset: 1.*\nbody \(2 bytes, utf-8\): s1/);
    expect(answer.text).toContain('s2');
    const refused = await fixture.mcp.call('consume_messages', { queue: 'log', confirm: true });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('is a stream');
  });

  it('tells when a queue is empty', async () => {
    await fixture.mcp.call('create_queue', { name: 'empty', type: 'classic' });
    const answer = await fixture.mcp.call('peek_messages', { queue: 'empty' });
    expect(answer.text).toContain("Queue 'empty'");
    expect(answer.text).toContain('has no ready messages');
  });
});
