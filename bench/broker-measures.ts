/**
 * What the bench measures on every broker version: peek, move and publish through the server
 * against the same work done with raw amqplib on the same broker in the same run.
 */
import type { ChannelModel, GetMessage } from 'amqplib';
import type { BrokerTarget } from './broker-target.js';
import { type Row, median } from './report.js';
import type { StdioServer } from './stdio-process.js';

const PEEK = {
  /** Messages in each queue peeked. */
  held: 300,
  /** Messages each peek reads (and shows: max_body is small enough for all of them). */
  read: 100,
  bodyBytes: 1024,
  maxBody: 20,
  /** Timed peeks of each kind per queue type, after one untimed warm-up of each. */
  runs: 5,
  targetMs: 1000,
  /** How long the management statistics may take to show the filled queues (two collection intervals and then some). */
  restTimeoutMs: 30_000,
} as const;

type QueueType = 'classic' | 'quorum';
type Reader = 'mcp' | 'raw';
const READERS = { mcp: 'peek_messages', raw: 'raw get×100+nack' } as const satisfies Record<Reader, string>;

/** One peek: how long it took, the numbers of the messages it read, in order, and why it failed if it did. */
interface PeekRead {
  ms: number;
  indexes: number[];
  failed?: string;
}

const textOf = (result: object) => (result as { content?: { text?: string }[] }).content?.[0]?.text ?? '';

/** The body of message `index`: its number first, so that a 20-character excerpt names it; 1 kB in all. */
function peekBody(index: number): Buffer {
  return Buffer.from(`message ${String(index).padStart(6, '0')} `.padEnd(PEEK.bodyBytes, 'x'));
}

const indexOf = (body: Buffer | string) => Number(/^message (\d{6}) /.exec(body.toString())?.[1] ?? Number.NaN);

/** Where a list of message numbers departs from 0, 1, 2… up to `expected`; undefined when it does not. */
function departure(indexes: number[], expected: number): string | undefined {
  const at = indexes.findIndex((index, position) => index !== position);
  if (at >= 0) return `position ${at + 1} holds message ${indexes[at]}, not ${at}`;
  if (indexes.length !== expected) return `${indexes.length} of ${expected}`;
  return undefined;
}

async function fillNumbered(connection: ChannelModel, queue: string): Promise<void> {
  const channel = await connection.createConfirmChannel();
  for (let i = 0; i < PEEK.held; i++) {
    if (!channel.sendToQueue(queue, peekBody(i), { persistent: true })) await new Promise((resolve) => channel.once('drain', resolve));
  }
  await channel.waitForConfirms();
  await channel.close();
}

/**
 * Waits until the management API shows every queue full and its publishes counted, as a queue at
 * rest would: a peek of a quorum queue on 4.0 waits for those statistics (its delivery-limit
 * proof), which would time the statistics interval rather than the peek. False on timeout.
 */
async function statisticsAtRest(target: BrokerTarget, queues: string[]): Promise<boolean> {
  const deadline = Date.now() + PEEK.restTimeoutMs;
  for (;;) {
    const listed = (await target.management('GET', `${target.queuePath()}?columns=name,messages,message_stats.publish`)) as {
      name: string;
      messages?: number;
      message_stats?: { publish?: number };
    }[];
    const atRest = queues.every((name) => {
      const queue = listed.find((candidate) => candidate.name === name);
      return queue?.messages === PEEK.held && (queue.message_stats?.publish ?? 0) >= PEEK.held;
    });
    if (atRest) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The raw read: basic.get ×100 without ack, then one basic.nack(multiple, requeue). Returns the message numbers read. */
async function rawPeek(connection: ChannelModel, queue: string): Promise<PeekRead> {
  const channel = await connection.createChannel();
  const started = performance.now();
  const taken: GetMessage[] = [];
  while (taken.length < PEEK.read) {
    const message = await channel.get(queue, { noAck: false });
    if (message === false) break;
    taken.push(message);
  }
  const last = taken.at(-1);
  if (last) channel.nack(last, true, true);
  // One round trip on the same channel: the broker has taken the nack before the clock stops.
  await channel.checkQueue(queue);
  const ms = performance.now() - started;
  await channel.close();
  return { ms, indexes: taken.map((message) => indexOf(message.content)) };
}

/** peek_messages through the server; the message numbers its answer shows, in the order shown, or why it failed. */
async function mcpPeek(server: StdioServer, queue: string): Promise<PeekRead> {
  const started = performance.now();
  const result = await server.client.callTool(
    { name: 'peek_messages', arguments: { queue, count: PEEK.read, max_body: PEEK.maxBody } },
    { timeout: 120_000 },
  );
  const ms = performance.now() - started;
  const text = textOf(result);
  const indexes = [...text.matchAll(/: message (\d{6}) /g)].map((match) => Number(match[1]));
  const failed = result.isError || !text.startsWith(`Peeked ${PEEK.read} message(s)`) ? (text.split('\n')[0] ?? '') : undefined;
  return { ms, indexes, failed };
}

/** Every message of the queue, taken off it (auto-ack): what a peek left behind, checked for count and order. */
async function leftBehind(connection: ChannelModel, queue: string): Promise<string | undefined> {
  const channel = await connection.createChannel();
  const { messageCount } = await channel.checkQueue(queue);
  const indexes: number[] = [];
  await new Promise<void>((resolve) => {
    let idle = setTimeout(resolve, 2000);
    void channel.consume(
      queue,
      (message) => {
        if (!message) return resolve();
        indexes.push(indexOf(message.content));
        clearTimeout(idle);
        idle = setTimeout(resolve, indexes.length >= messageCount ? 200 : 2000);
      },
      { noAck: true },
    );
  });
  await channel.close();
  const problem = departure(indexes, PEEK.held);
  return problem && `${messageCount} ready, ${problem}`;
}

/**
 * peek_messages of 100 messages of 1 kB from a queue holding 300, on a classic and a quorum queue,
 * against the same read with raw amqplib. Each peek reads a queue of its own, filled beforehand,
 * so no peek counts toward another's delivery limit; afterwards each queue is taken off and
 * checked to hold all 300 in order, and any that does not is a MISS.
 */
export async function peekMessages(target: BrokerTarget, server: StdioServer): Promise<Row[]> {
  const runs = Array.from({ length: PEEK.runs + 1 }, (_, run) => run);
  const plan = (['classic', 'quorum'] as const).flatMap((type: QueueType) =>
    runs.flatMap((run) =>
      (['raw', 'mcp'] as const).map((reader: Reader) => ({ type, run, reader, queue: `peek-${type}-${run}-${reader}` })),
    ),
  );
  const connection = await target.connect();
  try {
    const setup = await connection.createChannel();
    for (const { type, queue } of plan) await setup.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': type } });
    await setup.close();
    for (const { queue } of plan) await fillNumbered(connection, queue);
    const atRest = await statisticsAtRest(
      target,
      plan.map((step) => step.queue),
    );
    const measured: ((typeof plan)[number] & { ms: number; wrong?: string })[] = [];
    for (const step of plan) {
      const read = step.reader === 'raw' ? await rawPeek(connection, step.queue) : await mcpPeek(server, step.queue);
      const wrong = read.failed ?? departure(read.indexes, PEEK.read);
      measured.push({ ...step, ms: read.ms, wrong });
    }
    const checked: ((typeof measured)[number] & { left?: string })[] = [];
    for (const step of measured) checked.push({ ...step, left: await leftBehind(connection, step.queue) });
    for (const { queue } of plan) await target.management('DELETE', target.queuePath(queue));
    return (['classic', 'quorum'] as const).flatMap((type) => {
      const ofType = checked.filter((step) => step.type === type);
      const timed = (reader: Reader) => ofType.filter((step) => step.reader === reader && step.run > 0).map((step) => step.ms);
      const ours = median(timed('mcp'));
      const baseline = median(timed('raw'));
      const problems = (reader: Reader, of: 'wrong' | 'left') => {
        const found = ofType.filter((step) => step.reader === reader && step[of]).map((step) => `run ${step.run}: ${step[of]}`);
        const examples = found.slice(0, 2).join('; ');
        return found.length === 0 ? undefined : `${found.length} of ${runs.length}, ${examples}${found.length > 2 ? '; …' : ''}`;
      };
      const misread = (['mcp', 'raw'] as const).flatMap((reader) => {
        const found = problems(reader, 'wrong');
        return found ? [`${READERS[reader]} read wrong in ${found}`] : [];
      });
      const intactRow = (reader: Reader): Row => {
        const damaged = problems(reader, 'left');
        return {
          metric: `${type}: all 300 in order after each ${READERS[reader]} (queues intact)`,
          ours: ofType.filter((step) => step.reader === reader && !step.left).length,
          baseline: Number.NaN,
          unit: 'queues',
          ratio: Number.NaN,
          target: `all ${runs.length}`,
          pass: !damaged,
          note: damaged && `MESSAGES LOST OR OUT OF ORDER in ${damaged}`,
        };
      };
      return [
        {
          metric: `${type}: peek_messages 100 of 300 × 1 kB vs ${READERS.raw} (median of ${PEEK.runs})`,
          ours,
          baseline,
          unit: 'ms',
          ratio: ours / baseline,
          target: `< ${PEEK.targetMs} ms`,
          pass: ours < PEEK.targetMs && misread.length === 0,
          note: [
            ...misread,
            ...(atRest ? [] : [`the statistics did not show every queue full within ${PEEK.restTimeoutMs / 1000} s`]),
          ].join('; '),
        },
        intactRow('mcp'),
        intactRow('raw'),
      ];
    });
  } finally {
    await connection.close();
  }
}

/**
 * move_messages against the same move done by hand with amqplib: get a batch (manual ack),
 * publish it with confirms, ack up to the last one. Both lose nothing and keep the order.
 */
export async function moveBetweenQueues(target: BrokerTarget, server: StdioServer): Promise<Row> {
  const count = 10_000;
  const batch = 1000;
  await target.management('PUT', target.queuePath('move-from'), { durable: true });
  await target.management('PUT', target.queuePath('move-to'), { durable: true });
  const connection = await target.connect();
  const purge = () =>
    Promise.all(['move-from', 'move-to'].map((queue) => target.management('DELETE', `${target.queuePath(queue)}/contents`)));
  const fill = async () => {
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < count; i++) {
      if (!channel.sendToQueue('move-from', Buffer.from(`message ${i}`), { persistent: true }))
        await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
    await channel.close();
  };
  const arrived = async () => {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue('move-to');
    await channel.close();
    if (messageCount !== count) throw new Error(`move lost messages: ${messageCount} of ${count} arrived`);
  };
  const raw = async () => {
    const channel = await connection.createConfirmChannel();
    const started = performance.now();
    for (;;) {
      const taken = [];
      while (taken.length < batch) {
        const message = await channel.get('move-from', { noAck: false });
        if (message === false) break;
        taken.push(message);
      }
      const last = taken.at(-1);
      if (!last) break;
      for (const message of taken) {
        if (!channel.sendToQueue('move-to', message.content, message.properties))
          await new Promise((resolve) => channel.once('drain', resolve));
      }
      await channel.waitForConfirms();
      channel.ack(last, true);
    }
    const ms = performance.now() - started;
    await channel.close();
    return ms;
  };
  const viaMcp = async () => {
    // The dry run a model calls first, untimed: its handle confirms the move that is measured.
    const preview = textOf(await server.client.callTool({ name: 'move_messages', arguments: { from: 'move-from', to: 'move-to', count } }));
    const handle = /confirm: "(c-[\w-]+)"/.exec(preview)?.[1];
    if (!handle) throw new Error(`move preview failed: ${preview}`);
    const started = performance.now();
    const result = await server.client.callTool(
      { name: 'move_messages', arguments: { from: 'move-from', to: 'move-to', count, confirm: handle } },
      { timeout: 120_000 },
    );
    const ms = performance.now() - started;
    const text = textOf(result);
    if (!text.startsWith(`Moved ${count} messages`)) throw new Error(`move failed: ${text}`);
    return ms;
  };
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let run = 0; run < 3; run++) {
      await fill();
      baseline.push(await raw());
      await arrived();
      await purge();
      await fill();
      ours.push(await viaMcp());
      await arrived();
      await purge();
    }
  } finally {
    await connection.close();
  }
  const oursRate = count / (median(ours) / 1000);
  const rawRate = count / (median(baseline) / 1000);
  const ratio = oursRate / rawRate;
  return {
    metric: 'move 10,000 between queues: one tool call vs amqplib get/publish/confirm/ack',
    ours: oursRate,
    baseline: rawRate,
    unit: 'msg/s',
    ratio,
    target: '≥ 1.0×',
    pass: ratio >= 1,
  };
}

export async function batchPublish(target: BrokerTarget, server: StdioServer): Promise<Row> {
  const count = 10_000;
  const messages = Array.from({ length: count }, (_, i) => ({ body: `message ${i}` }));
  await target.management('PUT', target.queuePath('publish-target'), { durable: true });
  const connection = await target.connect();
  const purge = () => target.management('DELETE', `${target.queuePath('publish-target')}/contents`);
  const raw = async () => {
    const channel = await connection.createConfirmChannel();
    const started = performance.now();
    for (const message of messages) {
      if (!channel.sendToQueue('publish-target', Buffer.from(message.body), { persistent: true }))
        await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
    const ms = performance.now() - started;
    await channel.close();
    return ms;
  };
  const viaMcp = async () => {
    const started = performance.now();
    const result = await server.client.callTool(
      { name: 'publish_messages', arguments: { routing_key: 'publish-target', messages } },
      { timeout: 120_000 },
    );
    const text = textOf(result);
    if (!text.includes(`${count} routed and confirmed`)) throw new Error(`publish failed: ${text}`);
    return performance.now() - started;
  };
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let run = 0; run < 3; run++) {
      baseline.push(await raw());
      await purge();
      ours.push(await viaMcp());
      await purge();
    }
  } finally {
    await connection.close();
  }
  const oursRate = count / (median(ours) / 1000);
  const rawRate = count / (median(baseline) / 1000);
  const ratio = oursRate / rawRate;
  return {
    metric: 'publish 10,000 with confirms: one tool call vs raw amqplib',
    ours: oursRate,
    baseline: rawRate,
    unit: 'msg/s',
    ratio,
    target: '≥ 0.5×',
    pass: ratio >= 0.5,
  };
}

/**
 * One message with a 16 MiB body (publish_messages' limit) over stdio, answered: against what no
 * server can avoid, measured in the same run: JSON.parse of the same JSON-RPC line plus a raw
 * amqplib publish of the body with a confirm. Target: under 0.5 s on the bench machine.
 */
export async function bigMessage(target: BrokerTarget, server: StdioServer): Promise<Row> {
  const body = 'x'.repeat(16 * 1024 * 1024 - 256);
  const call = { routing_key: 'big-message-target', messages: [{ body }] };
  const line = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'publish_messages', arguments: call } });
  await target.management('PUT', target.queuePath('big-message-target'), { durable: false });
  const connection = await target.connect();
  const purge = () => target.management('DELETE', `${target.queuePath('big-message-target')}/contents`);
  const raw = async () => {
    const channel = await connection.createConfirmChannel();
    const started = performance.now();
    const parsed = JSON.parse(line) as { params: { arguments: typeof call } };
    channel.sendToQueue('big-message-target', Buffer.from(parsed.params.arguments.messages[0]?.body ?? ''));
    await channel.waitForConfirms();
    const ms = performance.now() - started;
    await channel.close();
    return ms;
  };
  const viaMcp = async () => {
    const started = performance.now();
    const result = await server.client.callTool({ name: 'publish_messages', arguments: call }, { timeout: 120_000 });
    const text = textOf(result);
    if (!text.includes('1 routed and confirmed')) throw new Error(`publish failed: ${text.slice(0, 300)}`);
    return performance.now() - started;
  };
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let run = 0; run < 5; run++) {
      baseline.push(await raw());
      await purge();
      ours.push(await viaMcp());
      await purge();
    }
  } finally {
    await target.management('DELETE', target.queuePath('big-message-target')).catch(() => undefined);
    await connection.close();
  }
  const oursMs = median(ours);
  return {
    metric: 'publish one 16 MiB message over stdio: tool call vs JSON.parse of the line + raw amqplib (median of 5)',
    ours: oursMs,
    baseline: median(baseline),
    unit: 'ms',
    ratio: oursMs / median(baseline),
    target: '< 500 ms',
    pass: oursMs < 500,
  };
}
