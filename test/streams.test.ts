import type { ChannelModel, Message } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from './support/broker-admin.js';
import { useBrokerFixture } from './support/broker-fixture.js';
import { connectRaw } from './support/raw-amqp.js';

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-stream' });
let raw: ChannelModel;
const STREAM = 'events';
const early: string[] = [];
const late: string[] = [];
/** An ISO time after the early messages were written and before the late ones. */
let between = '';

async function publish(queue: string, bodies: string[]): Promise<void> {
  const channel = await raw.createConfirmChannel();
  for (const body of bodies) channel.sendToQueue(queue, Buffer.from(body));
  await channel.waitForConfirms();
  await channel.close();
}

/** Every message of a stream from its first offset, read by a plain amqplib consumer. */
async function readWholeStream(queue: string): Promise<{ body: string; offset: unknown }[]> {
  const channel = await raw.createChannel();
  await channel.prefetch(100);
  const messages: Message[] = [];
  // A stream consumer never runs dry: the end is when nothing more has come for a while.
  await new Promise<void>((resolve) => {
    let idle = setTimeout(resolve, 2000);
    void channel.consume(
      queue,
      (message) => {
        if (!message) return resolve();
        messages.push(message);
        channel.ack(message);
        clearTimeout(idle);
        idle = setTimeout(resolve, 500);
      },
      { arguments: { 'x-stream-offset': 'first' } },
    );
  });
  await channel.close();
  return messages.map((message) => ({ body: message.content.toString(), offset: message.properties.headers?.['x-stream-offset'] }));
}

/** The offsets and bodies read_stream answered with, in order. */
function shown(text: string): { offset: number; body: string }[] {
  return [...text.matchAll(/^offset (\d+): .*\nbody \(\d+ bytes, utf-8\): (.*)$/gm)].map((match) => ({
    offset: Number(match[1]),
    body: match[2] as string,
  }));
}

beforeAll(async () => {
  raw = await connectRaw(fixture.vhost.name);
  await admin('PUT', `/queues/${encodeURIComponent(fixture.vhost.name)}/${STREAM}`, {
    durable: true,
    arguments: { 'x-queue-type': 'stream' },
  });
  await admin('PUT', `/queues/${encodeURIComponent(fixture.vhost.name)}/plain`, { durable: true });
  early.push(...Array.from({ length: 30 }, (_, i) => `early-${i}`));
  late.push(...Array.from({ length: 20 }, (_, i) => `late-${i}`));
  await publish(STREAM, early);
  // Stream timestamps are per chunk and the offset argument takes whole seconds: leave a gap.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  between = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await publish(STREAM, late);
});

afterAll(async () => {
  await raw?.close();
});

describe('read_stream', () => {
  it('reads from the first offset and says how to read on', async () => {
    const answer = await fixture.mcp.call('read_stream', { queue: STREAM, count: 5 });
    expect(answer.isError, answer.text).toBe(false);
    expect(shown(answer.text)).toEqual(early.slice(0, 5).map((body, offset) => ({ offset, body })));
    expect(answer.text).toContain(`Read 5 messages of stream '${STREAM}' in vhost '${fixture.vhost.name}' at offsets 0-4 (from first)`);
    expect(answer.text).toContain('Next: read_stream with offset "5".');
  });

  it('reads from a numeric offset given as its digits, and says a bare number must be text', async () => {
    const answer = await fixture.mcp.call('read_stream', { queue: STREAM, offset: '20', count: 3 });
    expect(shown(answer.text)).toEqual([20, 21, 22].map((at) => ({ offset: at, body: early[at] })));
    expect(answer.text).toContain('Next: read_stream with offset "23".');
    const number = await fixture.mcp.call('read_stream', { queue: STREAM, offset: 20, count: 3 });
    expect(number.isError).toBe(true);
    expect(number.text).toContain('offset: Invalid input: expected string, received number');
  });

  it('reads on across the whole stream and says where it ends', async () => {
    const answer = await fixture.mcp.call('read_stream', { queue: STREAM, offset: '45', count: 100 });
    expect(shown(answer.text).map((m) => m.body)).toEqual(late.slice(15));
    expect(answer.text).toContain('That is the end of the stream for now. Next: read_stream with offset "50".');
    const past = await fixture.mcp.call('read_stream', { queue: STREAM, offset: '50' });
    expect(past.isError).toBe(false);
    expect(past.text).toContain(`No message in stream '${STREAM}' in vhost '${fixture.vhost.name}' at offset 50`);
  });

  it('reads from last: the newest chunk, ending with the newest message', async () => {
    const answer = await fixture.mcp.call('read_stream', { queue: STREAM, offset: 'last', count: 100 });
    const messages = shown(answer.text);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.at(-1)).toEqual({ offset: 49, body: 'late-19' });
    const all = [...early, ...late];
    expect(messages).toEqual(messages.map((m) => ({ offset: m.offset, body: all[m.offset] })));
  });

  it('reads from a time: the first message written at or after it', async () => {
    const answer = await fixture.mcp.call('read_stream', { queue: STREAM, offset: between, count: 2 });
    expect(shown(answer.text)).toEqual([
      { offset: 30, body: 'late-0' },
      { offset: 31, body: 'late-1' },
    ]);
  });

  it('says that next only waits for new messages', async () => {
    const answer = await fixture.mcp.call('read_stream', { queue: STREAM, offset: 'next' });
    expect(answer.isError).toBe(false);
    expect(answer.text).toContain('next waits for new messages only');
  });

  it('leaves the stream as it was', async () => {
    await fixture.mcp.call('read_stream', { queue: STREAM, count: 100 });
    const all = await readWholeStream(STREAM);
    expect(all.map((m) => m.body)).toEqual([...early, ...late]);
    expect(all.map((m) => m.offset)).toEqual(all.map((_, index) => index));
  });

  it('points to peek_messages for a queue that is not a stream', async () => {
    const answer = await fixture.mcp.call('read_stream', { queue: 'plain' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toBe(
      `Queue 'plain' in vhost '${fixture.vhost.name}' is a classic queue, not a stream: peek_messages reads it without removing messages.`,
    );
  });

  it.each([
    ['yesterday', "offset 'yesterday' is not first, last, next, a whole number from 0 or an ISO 8601 time with a zone"],
    ['2024-05-01T12:00:00', 'is not first, last, next, a whole number from 0 or an ISO 8601 time with a zone'],
    ['-1', "offset '-1' is not first, last, next"],
    ['1.5', "offset '1.5' is not first, last, next"],
    ['x'.repeat(100), `offset '${'x'.repeat(40)}…' is not first`],
  ])('refuses offset %j with what to give instead', async (offset, message) => {
    const answer = await fixture.mcp.call('read_stream', { queue: STREAM, offset });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('Invalid arguments for read_stream: offset:');
    expect(answer.text).toContain(message);
  });

  it('refuses a count above 100', async () => {
    const answer = await fixture.mcp.call('read_stream', { queue: STREAM, count: 101 });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('Invalid arguments for read_stream: count');
  });
});
