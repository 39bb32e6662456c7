/**
 * What the bench measures on every broker version: move and publish through the server against
 * the same work done with raw amqplib on the same broker in the same run.
 */
import type { BrokerTarget } from './broker-target.js';
import { type Row, median } from './report.js';
import type { StdioServer } from './stdio-process.js';

const textOf = (result: object) => (result as { content?: { text?: string }[] }).content?.[0]?.text ?? '';

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
    const started = performance.now();
    const result = await server.client.callTool(
      { name: 'move_messages', arguments: { from: 'move-from', to: 'move-to', count, confirm: true } },
      undefined,
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
      undefined,
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
