import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionAtLeast } from '../server/broker/broker.js';
import { type ReturnRules, returnRulesOf } from '../server/broker/delivery-limit.js';
import { admin, eventually } from './support/broker-admin.js';
import { useBrokerFixture } from './support/broker-fixture.js';
import { connectRaw, consumeAllBodies, takeAll } from './support/raw-amqp.js';

/*
 * peek_messages never loses or reorders a message, on every broker version the suite runs on: at
 * every delivery limit from 1 to 20 and the default, on classic and quorum queues (streams:
 * streams.test.ts), while consumers and publishers use the queue, and however often it is peeked.
 */

const MESSAGES = 1000;
const PAGE = 100;

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-peek', args: ['--allow-write'] });
let raw: ChannelModel;
let version = '';
let rules: ReturnRules;

async function fill(queue: string, count: number, prefix = queue, options: { statistics?: boolean } = {}): Promise<string[]> {
  const channel = await raw.createConfirmChannel();
  const bodies = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
  for (const body of bodies) channel.sendToQueue(queue, Buffer.from(body), { messageId: body });
  await channel.waitForConfirms();
  // A channel that closes before the statistics collector read its counters takes its last
  // publishes out of the statistics for good: stay open until they show (the peek proof reads them).
  if (options.statistics) await statisticsCaughtUp(queue, count);
  await channel.close();
  return bodies;
}

/** Waits until the management statistics show the messages published (the peek's proof reads them). */
async function statisticsCaughtUp(queue: string, published: number): Promise<void> {
  await eventually(
    async () => {
      const info = await admin<{ messages?: number; message_stats?: { publish?: number } }>(
        'GET',
        `/queues/${encodeURIComponent(fixture.vhost.name)}/${encodeURIComponent(queue)}`,
      );
      return info.messages !== undefined && (info.message_stats?.publish ?? 0) >= published ? true : undefined;
    },
    `statistics of ${queue}`,
    60_000,
  );
}

async function bodiesLeft(queue: string): Promise<string[]> {
  return (await takeAll(raw, queue)).map((message) => message.content.toString());
}

function bodiesIn(text: string): string[] {
  return [...text.matchAll(/^body \(\d+ bytes, utf-8\): (.+)$/gm)].map((match) => match[1] as string);
}

/** A quorum queue with a dead-letter queue beside it, so a message the broker drops would show up there. */
async function limitedQueue(name: string, via: 'argument' | 'policy' | 'operator policy' | 'default', limit: number): Promise<string> {
  const vh = encodeURIComponent(fixture.vhost.name);
  const dead = `${name}-dead`;
  await admin('PUT', `/queues/${vh}/${dead}`, { durable: true });
  const args: Record<string, unknown> = { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead };
  if (via === 'argument') args['x-delivery-limit'] = limit;
  await admin('PUT', `/queues/${vh}/${name}`, { durable: true, arguments: args });
  const definition = { pattern: `^${name}$`, definition: { 'delivery-limit': limit }, 'apply-to': 'queues' };
  if (via === 'policy') await admin('PUT', `/policies/${vh}/${name}`, definition);
  if (via === 'operator policy') await admin('PUT', `/operator-policies/${vh}/${name}`, definition);
  return dead;
}

beforeAll(async () => {
  raw = await connectRaw(fixture.vhost.name);
  version = await fixture.mcp.broker.version();
  rules = returnRulesOf(version);
});

afterAll(async () => {
  await raw?.close();
});

describe.each(['classic', 'quorum'] as const)('peeking a %s queue of 1,000 messages in pages of 100', (type) => {
  const queue = `peek-${type}`;
  let published: string[];

  beforeAll(async () => {
    await fixture.mcp.call('create_queue', { name: queue, type });
    published = await fill(queue, MESSAGES);
  });

  it('shows every message once, in order, and leaves the queue exactly as it was', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < MESSAGES; offset += PAGE) {
      const answer = await fixture.mcp.call('peek_messages', { queue, offset, count: PAGE, max_body: 100 });
      expect(answer.isError, answer.text).toBe(false);
      expect(answer.text).toContain(`positions ${offset + 1}-${offset + PAGE}`);
      seen.push(...bodiesIn(answer.text));
    }
    expect(seen).toEqual(published);
    // Going back to an earlier, smaller page after the big ones must not shuffle anything either.
    const again = await fixture.mcp.call('peek_messages', { queue, offset: 0, count: 5, max_body: 100 });
    expect(bodiesIn(again.text)).toEqual(published.slice(0, 5));
    if (type === 'classic') expect(again.text).toContain('marked redelivered now');
    expect(await bodiesLeft(queue)).toEqual(published);
  });
});

/** Every limit from 1 to 20 as a queue argument, a few by policy and operator policy, and none set (3.x: none; 4.x: 20). */
const LIMITS = [
  ...Array.from({ length: 20 }, (_, i) => ({ limit: i + 1, via: 'argument' as const })),
  { limit: 2, via: 'policy' as const },
  { limit: 20, via: 'policy' as const },
  { limit: 5, via: 'operator policy' as const },
  { limit: 20, via: 'default' as const },
];

// Concurrent: each case mostly waits for its queue's statistics (quorum queues report every 5 s).
describe.concurrent.each(LIMITS)('a quorum queue with delivery limit $limit set by $via', ({ limit, via }) => {
  const queue = `limited-${limit}-${via.replace(' ', '-')}`;

  it('is peeked while every message provably survives it, then refused: nothing is dropped or dead-lettered', async ({ expect }) => {
    const dead = await limitedQueue(queue, via, limit);
    const published = await fill(queue, 30, queue, { statistics: true });
    // Where none is set, 3.x applies no limit: peeks go on as long as where returns do not count.
    const effective = via === 'default' && !versionAtLeast(version, '4.0') ? null : limit;
    const answers: { ok: boolean; text: string }[] = [];
    for (let call = 0; call < limit + 3; call++) {
      const answer = await fixture.mcp.call('peek_messages', { queue, count: 10 });
      answers.push({ ok: !answer.isError, text: answer.text });
      if (answer.isError) {
        expect(answer.text).toContain('Not peeked, nothing was taken');
        expect(answer.text).toContain(`delivery limit of ${limit}`);
        expect(answer.text).toMatch(/raise the limit with a policy .*consume_messages/s);
        expect(answer.text).not.toContain('nothing was removed');
      } else {
        expect(answer.text).toContain('nothing was removed');
        expect(bodiesIn(answer.text)).toEqual(published.slice(0, 10));
      }
    }
    const peeks = answers.filter((answer) => answer.ok).length;
    console.log(`RabbitMQ ${version}, delivery limit ${limit} (${via}): ${peeks} of ${answers.length} peeks allowed`);
    if (!rules.nackCounts || effective === null) expect(peeks).toBe(answers.length);
    else {
      expect(peeks).toBeLessThanOrEqual(limit);
      if (limit >= 2) expect(peeks).toBeGreaterThanOrEqual(limit - 1);
      expect(answers.at(-1)?.ok).toBe(false);
    }
    expect(await bodiesLeft(queue)).toEqual(published);
    expect(await bodiesLeft(dead)).toEqual([]);
  });
});

describe('a quorum queue with a delivery limit, while others use it', () => {
  it('with a consumer attached: refused where handing back counts, read with a warning where not, and nothing is lost', async () => {
    const queue = 'limited-consumed';
    const dead = await limitedQueue(queue, 'argument', 5);
    const published = await fill(queue, 20);
    const channel = await raw.createChannel();
    await channel.prefetch(1);
    const held: string[] = [];
    await channel.consume(queue, (message) => {
      if (message) held.push(message.content.toString());
    });
    await eventually(async () => (held.length === 1 ? true : undefined), 'the consumer to hold its one prefetched message');
    const answer = await fixture.mcp.call('peek_messages', { queue, count: 5 });
    await channel.close();
    expect(held).toEqual(published.slice(0, 1));
    const left = await bodiesLeft(queue);
    if (rules.nackCounts) {
      expect(answer.isError).toBe(true);
      expect(answer.text).toContain('1 consumer is attached');
      expect(answer.text).toContain('stop its consumers and try again');
      expect(left).toEqual(published);
    } else {
      expect(answer.isError, answer.text).toBe(false);
      expect(bodiesIn(answer.text)).toEqual(published.slice(1, 6));
      expect(answer.text).toContain(
        '1 consumer competes for messages, so this view can skip some, consumers may receive these next, and a message a consumer holds now and hands back comes after the ones read',
      );
      // The one the consumer held came back when its channel closed, somewhere behind the ones the
      // peek handed back (where depends on when); the others kept their order.
      expect([...left].sort()).toEqual([...published].sort());
      expect(left.filter((body) => body !== published[0])).toEqual(published.slice(1));
      expect(left.indexOf(published[0] as string)).toBeGreaterThanOrEqual(5);
    }
    expect(await bodiesLeft(dead)).toEqual([]);
  });

  it('peeks while a publisher keeps adding messages, and every message is there after, in order', async () => {
    const queue = 'limited-published';
    const dead = await limitedQueue(queue, 'argument', 5);
    const published = await fill(queue, 20, 'first', { statistics: true });
    const channel = await raw.createConfirmChannel();
    let running = true;
    let sent = 0;
    const publisher = (async () => {
      while (running) {
        const body = `later-${String(sent++).padStart(5, '0')}`;
        channel.sendToQueue(queue, Buffer.from(body));
        published.push(body);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await channel.waitForConfirms();
    })();
    const answers: boolean[] = [];
    // A refusal may first give the statistics two intervals to catch up: a few calls are enough.
    for (let call = 0; call < 4; call++) answers.push(!(await fixture.mcp.call('peek_messages', { queue, count: 10 })).isError);
    running = false;
    await publisher;
    await channel.close();
    console.log(
      `delivery limit 5 with a publisher running (${sent} messages during the peeks): ${answers.filter(Boolean).length} of ${answers.length} peeks allowed`,
    );
    // How many go ahead depends on how far the statistics trail the publisher; what must hold is below.
    expect(await bodiesLeft(queue)).toEqual(published);
    expect(await bodiesLeft(dead)).toEqual([]);
  }, 120_000);
});

describe('how many messages a peek of 10 touches on a quorum queue of 5,000', () => {
  it('the window, plus the returned head up to its first never-delivered message: at most one more per earlier peek', async () => {
    const queue = 'touch-5k';
    await fixture.mcp.call('create_queue', { name: queue, type: 'quorum' });
    // Where returns count, the peek's proof reads the statistics: wait until they show the queue.
    const published = await fill(queue, 5000, queue, { statistics: rules.nackCounts });
    const touched: Record<number, number> = {};
    // Where every return counts, RabbitMQ 4's default limit of 20 ends the peeks first: the refusal is tested above.
    const peeks = rules.nackCounts && versionAtLeast(version, '4.0') ? 18 : 40;
    for (let peek = 1; peek <= peeks; peek++) {
      const answer = await fixture.mcp.call('peek_messages', { queue, count: 10, max_body: 50 });
      expect(answer.isError, answer.text).toBe(false);
      expect(bodiesIn(answer.text)).toEqual(published.slice(0, 10));
      const more = /(\d+) messages were taken and handed back to keep the order/.exec(answer.text);
      touched[peek] = more ? Number(more[1]) : 10;
    }
    console.log(
      `RabbitMQ ${version}: a peek of 10 touched ${touched[1]} messages after 1 peek, ${touched[10]} after 10, ${touched[peeks]} after ${peeks}`,
    );
    expect(touched[1]).toBe(10);
    expect(touched[10]).toBeLessThanOrEqual(10 + 9);
    expect(touched[peeks]).toBeLessThanOrEqual(10 + peeks - 1);
    expect(await consumeAllBodies(raw, queue)).toEqual(published);
  }, 120_000);
});

describe('a peek of 100 on a queue holding 100 or more ready messages', () => {
  it.each(['classic', 'quorum'] as const)('shows 100 of a %s queue, or says exactly why it shows fewer', async (type) => {
    const queue = `hundred-${type}`;
    await fixture.mcp.call('create_queue', { name: queue, type });
    // Filled by a connection that closes at once, as a short-lived publisher does.
    const connection = await connectRaw(fixture.vhost.name);
    const channel = await connection.createConfirmChannel();
    const published = Array.from({ length: 300 }, (_, i) => `${String(i).padStart(4, '0')}-${'x'.repeat(1000)}`);
    for (const body of published) channel.sendToQueue(queue, Buffer.from(body));
    await channel.waitForConfirms();
    await connection.close();

    const small = await fixture.mcp.call('peek_messages', { queue, count: 100, max_body: 20 });
    expect(small.isError, small.text).toBe(false);
    expect(small.text).toMatch(/^Peeked 100 message\(s\) at positions 1-100 /);
    expect(bodiesIn(small.text)).toHaveLength(100);

    // Whole 1 kB bodies do not fit in one answer: it shows what fits and says so.
    const whole = await fixture.mcp.call('peek_messages', { queue, count: 100 });
    expect(whole.isError, whole.text).toBe(false);
    const shown = Number(/^Peeked (\d+) message/.exec(whole.text)?.[1]);
    expect(shown).toBeLessThan(100);
    expect(whole.text).toContain(`Shown ${shown} of the 100 asked for: the 100 read do not fit in one answer`);
    expect(whole.text).toContain(`Next: peek_messages with offset=${shown}.`);

    // Fewer ready than asked: it says how many the queue held.
    const bodies = await consumeAllBodies(raw, queue);
    expect(bodies).toEqual(published);
    const refill = await raw.createConfirmChannel();
    for (const body of bodies.slice(0, 40)) refill.sendToQueue(queue, Buffer.from(body));
    await refill.waitForConfirms();
    await refill.close();
    const few = await fixture.mcp.call('peek_messages', { queue, count: 100, max_body: 20 });
    expect(few.text).toContain('Shown 40 of the 100 asked for: the queue held 40 ready messages when the peek began.');
    expect(await consumeAllBodies(raw, queue)).toEqual(published.slice(0, 40));
  });
});

describe('a quorum queue that delays what is handed back (RabbitMQ 4.3 delayed retry)', () => {
  it('is not peeked: handing messages back would take them out of the queue for the delay', async ({ skip }) => {
    if (!versionAtLeast(version, '4.3')) skip(`RabbitMQ ${version} has no delayed retry`);
    const queue = 'delayed-retry';
    await admin('PUT', `/queues/${encodeURIComponent(fixture.vhost.name)}/${queue}`, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delayed-retry-type': 'returned',
        'x-delayed-retry-min': 60_000,
        'x-delayed-retry-max': 60_000,
      },
    });
    const published = await fill(queue, 10);
    const answer = await fixture.mcp.call('peek_messages', { queue, count: 5 });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain(
      "Not peeked, nothing was taken: queue 'delayed-retry' delays messages handed back to it (queue argument x-delayed-retry-type = returned)",
    );
    expect(await bodiesLeft(queue)).toEqual(published);
  });
});
