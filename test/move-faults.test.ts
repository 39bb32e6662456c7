import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { brokerEnv } from './support/mcp-harness.js';
import { connectRaw, consumeAllBodies, publishNumbered } from './support/raw-amqp.js';
import { type StdioSession, launchStdio } from './support/stdio-client.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * Faults in the middle of a 10,000-message move_messages: the broker connection is cut (a TCP
 * proxy between server and broker) or the server process is killed, at a random moment, 20 runs.
 * Afterwards every message must be in the source or the destination, in order in each; copies
 * in both (the design is at-least-once: a batch confirmed at the destination goes back to the
 * source when its acks never reach the broker) are counted, and for a cut, reported by the tool.
 */
const RUNS = 20;
const MESSAGES = 10_000;

const vhost = useTestVhost('mcp-move-faults');
let raw: ChannelModel;
const proxy = new TcpProxy(BROKER.host, BROKER.amqpPort);
let proxyPort = 0;

/** A small deterministic generator, so a failing run can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function readyCount(queue: string): Promise<number> {
  const channel = await raw.createChannel();
  const { messageCount } = await channel.checkQueue(queue);
  await channel.close();
  return messageCount;
}

async function consumerCount(queue: string): Promise<number> {
  const channel = await raw.createChannel();
  const { consumerCount: count } = await channel.checkQueue(queue);
  await channel.close();
  return count;
}

const sorted = (bodies: string[]) => bodies.every((body, index) => index === 0 || (bodies[index - 1] as string) < body);

beforeAll(async () => {
  raw = await connectRaw(vhost.name);
  proxyPort = await proxy.start();
});

afterAll(async () => {
  await raw?.close();
  await proxy.close();
});

describe('move_messages when the connection is cut or the server is killed mid-move', () => {
  it(`loses no message and keeps the order in both queues, over ${RUNS} runs`, async () => {
    const seed = Number(process.env.FAULT_SEED ?? Date.now() % 100_000);
    const next = random(seed);
    const rows: string[] = [];
    let totalDuplicates = 0;
    for (let run = 0; run < RUNS; run++) {
      const fault = run % 2 === 0 ? 'cut' : 'kill';
      const type = run % 4 < 2 ? 'classic' : 'quorum';
      const from = `faults-${run}-from`;
      const to = `faults-${run}-to`;
      const vh = encodeURIComponent(vhost.name);
      for (const queue of [from, to]) await admin('PUT', `/queues/${vh}/${queue}`, { durable: true, arguments: { 'x-queue-type': type } });
      const published = await publishNumbered(raw, from, MESSAGES, `run${String(run).padStart(2, '0')}`);
      let session: StdioSession | null = await launchStdio(
        brokerEnv({ AMQP_HOST: '127.0.0.1', AMQP_PORT: String(proxyPort), AMQP_VHOST: vhost.name }),
        ['--allow-destructive'],
      );
      const delay = Math.floor(next() * 700);
      let answer = '';
      try {
        const move = session.call('move_messages', { from, to, count: MESSAGES, confirm: true });
        // The fault lands at a random moment of the move: the wait is the point.
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (fault === 'cut') await proxy.cut();
        else if (session.pid) process.kill(session.pid, 'SIGKILL');
        answer = await move.then(
          (result) => result.text,
          (error: Error) => `(no answer: ${error.message})`,
        );
      } finally {
        if (fault === 'cut') await proxy.restore();
        await session.close().catch(() => undefined);
        session = null;
      }
      // The broker puts back what the dead channel held: wait until both queues account for every
      // message, nothing consumes the source any more, and the counts hold still for half a second
      // (a copy in the destination can make the sum whole before the original is back).
      let counts = '';
      await eventually(
        async () => {
          const first = [await readyCount(from), await readyCount(to), await consumerCount(from)];
          await new Promise((resolve) => setTimeout(resolve, 500));
          const second = [await readyCount(from), await readyCount(to), await consumerCount(from)];
          counts = `ready ${second[0]} + ${second[1]}, ${second[2]} consumers on the source`;
          const settled = JSON.stringify(first) === JSON.stringify(second);
          return settled && (second[0] as number) + (second[1] as number) >= MESSAGES && second[2] === 0 ? true : undefined;
        },
        `run ${run}: every message back in one of the queues`,
        30_000,
      );
      const left = await consumeAllBodies(raw, from);
      const moved = await consumeAllBodies(raw, to);
      const everywhere = new Set([...left, ...moved]);
      const missing = published.filter((body) => !everywhere.has(body));
      const duplicates = left.length + moved.length - everywhere.size;
      totalDuplicates += duplicates;
      const reported = /(\d+) messages? of the last batch reached/.exec(answer)?.[1];
      const possible = /up to (\d+) more messages? may be in both/.exec(answer)?.[1];
      rows.push(
        `run ${String(run).padStart(2)} ${type.padEnd(7)} ${fault.padEnd(4)} at ${String(delay).padStart(3)} ms: moved ${String(moved.length).padStart(5)}, left ${String(left.length).padStart(5)}, missing ${missing.length}, in both ${duplicates}${fault === 'cut' ? ` (reported ${reported ?? 0}${possible ? ` + up to ${possible}` : ''})` : ''}`,
      );
      expect(missing, `run ${run} (seed ${seed}): ${rows.at(-1)}; ${counts}; answer: ${answer.slice(0, 300)}`).toEqual([]);
      expect(sorted(left), `run ${run} (seed ${seed}): source order`).toBe(true);
      expect(sorted(moved), `run ${run} (seed ${seed}): destination order`).toBe(true);
      if (fault === 'cut' && duplicates > 0) {
        expect(
          Number(reported ?? 0) + Number(possible ?? 0),
          `run ${run} (seed ${seed}): reported duplicates; ${rows.at(-1)}; answer: ${answer}`,
        ).toBeGreaterThanOrEqual(duplicates);
      }
      for (const queue of [from, to]) await admin('DELETE', `/queues/${vh}/${queue}`);
    }
    console.log(`move faults (seed ${seed}):\n${rows.join('\n')}\ntotal in both: ${totalDuplicates}`);
  }, 300_000);
});
