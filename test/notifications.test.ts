import { type Channel, type ChannelModel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagementClient } from '../server/broker/management-client.js';
import { BrokerNotifier, type Notice, type NotificationCause } from '../electron/core/notifications/broker-notifier.js';
import { HealthSampler } from '../electron/core/health/health-sampler.js';
import { admin, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { CountingProxy } from './support/counting-proxy.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * Notifications about the active broker, against the real broker (a vhost of their own): the
 * notifier reads what the app's health sampler reads, through one management client. The chain
 * in front of the management API is the test's: a TCP proxy it cuts to play the broker going
 * down, then a proxy that can rewrite GET /api/nodes to play a memory alarm. A real alarm is
 * never set: the broker is shared, and an alarm would block every publisher on it.
 */
const vhost = useTestVhost('mcp-notify');
let alarm = false;
const alarmProxy = new CountingProxy(BROKER.host, BROKER.httpPort, (incoming, outgoing) => {
  if (!alarm || !incoming.url?.startsWith('/api/nodes')) return false;
  void admin<Record<string, unknown>[]>('GET', '/nodes').then((nodes) => {
    const raised = nodes.map((node) => ({ ...node, mem_alarm: true, mem_used: node.mem_limit }));
    outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(raised));
  });
  return true;
});
let cable: TcpProxy;
let management: ManagementClient;
let connection: ChannelModel;

interface Harness {
  shown: Notice[];
  suppressed: { notice: Notice; why: string }[];
  off: Set<NotificationCause>;
  notifier: BrokerNotifier;
  /** One health sample, handed to the notifier as the host does. */
  tick(): Promise<void>;
  /** Ticks until a notification matches; fails with what was shown. */
  until(match: (notice: Notice) => boolean, what: string): Promise<Notice>;
}

function harness(options: { quietMs?: number } = {}): Harness {
  const shown: Notice[] = [];
  const suppressed: { notice: Notice; why: string }[] = [];
  const off = new Set<NotificationCause>();
  const sampler = new HealthSampler({ management: () => management, vhost: () => vhost.name, server: () => 'healthy' });
  const notifier = new BrokerNotifier({
    show: (notice) => shown.push(notice),
    suppressed: (notice, why) => suppressed.push({ notice, why }),
    enabled: (cause) => !off.has(cause),
    quietMs: options.quietMs,
    management: () => management,
    vhost: () => vhost.name,
    profileName: () => 'Local test broker',
    bindingsEveryMs: 0,
  });
  // As the host wires them: every sample, and the queue list each one read.
  let compared: Promise<void> = Promise.resolve();
  sampler.on('sample', (sample) => notifier.onSample(sample));
  sampler.on('queues', (queues) => {
    compared = notifier.onQueues(queues);
  });
  const tick = async () => {
    await sampler.sample();
    await compared;
  };
  const until = async (match: (notice: Notice) => boolean, what: string) => {
    // The broker's queue statistics lag by up to its collection interval (5 s).
    const deadline = Date.now() + 30_000;
    for (;;) {
      await tick();
      const found = shown.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no notification ${what}; shown: ${JSON.stringify(shown)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  return { shown, suppressed, off, notifier, tick, until };
}

async function channel(): Promise<Channel> {
  const created = await connection.createChannel();
  created.on('error', () => undefined);
  return created;
}

async function queueMessages(name: string): Promise<{ messages: number; consumers: number }> {
  return admin('GET', `/queues/${encodeURIComponent(vhost.name)}/${encodeURIComponent(name)}`);
}

/** Waits until the broker's statistics show what the test just did. */
async function statsShow(name: string, check: (queue: { messages: number; consumers: number }) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check(await queueMessages(name))) {
    if (Date.now() > deadline) throw new Error(`the statistics of ${name} never showed it: ${JSON.stringify(await queueMessages(name))}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Takes one message off the queue and rejects it without requeueing (a consumer refusing it). */
async function rejectOne(ch: Channel, queue: string): Promise<void> {
  const message = await eventuallyGet(ch, queue);
  ch.nack(message, false, false);
}

async function eventuallyGet(ch: Channel, queue: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const message = await ch.get(queue);
    if (message) return message;
    if (Date.now() > deadline) throw new Error(`no message arrived in ${queue}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  const alarmPort = await alarmProxy.start();
  cable = new TcpProxy('127.0.0.1', alarmPort);
  const port = await cable.start();
  management = new ManagementClient({
    endpoint: { host: '127.0.0.1', port, basePath: '', user: BROKER.user, password: BROKER.password, tls: null },
    timeoutMs: 3000,
  });
  connection = await connect({
    hostname: BROKER.host,
    port: BROKER.amqpPort,
    username: BROKER.user,
    password: BROKER.password,
    vhost: vhost.name,
  });
  connection.on('error', () => undefined);
});

afterAll(async () => {
  await connection?.close().catch(() => undefined);
  await management?.close();
  await cable?.close();
  await alarmProxy.stop();
});

describe('notifications about the active broker (real broker, the sampler’s management client)', () => {
  it('a dead-letter queue gaining messages, by rejection (queue argument) and by expiry (a policy), once per queue per quiet period', async () => {
    const h = harness();
    const v = encodeURIComponent(vhost.name);
    const [dlx, dead, work, dlxTtl, deadTtl, ttlSource, plain] = [
      uniqueName('dlx'),
      uniqueName('dead'),
      uniqueName('work'),
      uniqueName('dlx-ttl'),
      uniqueName('dead-ttl'),
      uniqueName('ttl-src'),
      uniqueName('plain'),
    ];
    await admin('PUT', `/exchanges/${v}/${dlx}`, { type: 'fanout', durable: true });
    await admin('PUT', `/queues/${v}/${dead}`, { durable: true });
    await admin('POST', `/bindings/${v}/e/${dlx}/q/${dead}`, { routing_key: '' });
    await admin('PUT', `/queues/${v}/${work}`, { durable: true, arguments: { 'x-dead-letter-exchange': dlx } });
    await admin('PUT', `/exchanges/${v}/${dlxTtl}`, { type: 'direct', durable: true });
    await admin('PUT', `/queues/${v}/${deadTtl}`, { durable: true });
    await admin('POST', `/bindings/${v}/e/${dlxTtl}/q/${deadTtl}`, { routing_key: ttlSource });
    await admin('PUT', `/policies/${v}/${uniqueName('expire')}`, {
      pattern: `^${ttlSource}$`,
      definition: { 'dead-letter-exchange': dlxTtl, 'message-ttl': 100 },
      'apply-to': 'queues',
    });
    await admin('PUT', `/queues/${v}/${ttlSource}`, { durable: true });
    await admin('PUT', `/queues/${v}/${plain}`, { durable: true });
    await h.tick(); // what there is now: no notification for it

    // Rejected without requeue: RabbitMQ dead-letters it through the queue's x-dead-letter-exchange.
    const ch = await channel();
    ch.sendToQueue(work, Buffer.from('bad order'));
    ch.sendToQueue(plain, Buffer.from('an ordinary message'));
    await rejectOne(ch, work);
    const byRejection = await h.until((notice) => notice.title === `Dead letters in ${dead}`, 'for the rejected message');
    expect(byRejection).toEqual({
      cause: 'dead-letters',
      title: `Dead letters in ${dead}`,
      body: `1 message went to the dead-letter queue ${dead} (vhost ${vhost.name}, Local test broker): rejected, expired or over a limit. It holds 1.`,
    });

    // Expired (message-ttl from a policy): dead-lettered through the policy's exchange.
    ch.sendToQueue(ttlSource, Buffer.from('too late'));
    await h.until((notice) => notice.title === `Dead letters in ${deadTtl}`, 'for the expired message');

    // A second dead letter in the same queue within the quiet period: held back.
    ch.sendToQueue(work, Buffer.from('bad again'));
    await rejectOne(ch, work);
    await statsShow(dead, (queue) => queue.messages === 2);
    await h.tick();
    expect(h.shown.filter((notice) => notice.title === `Dead letters in ${dead}`)).toHaveLength(1);
    expect(h.suppressed).toContainEqual({ notice: expect.objectContaining({ title: `Dead letters in ${dead}` }), why: 'quiet' });
    // An ordinary queue that grows is not a dead-letter queue.
    await statsShow(plain, (queue) => queue.messages === 1);
    expect(h.shown.map((notice) => notice.title)).not.toContain(`Dead letters in ${plain}`);
    await ch.close();
  });

  it('a queue whose last consumer leaves while messages wait, once per quiet period; not while it has one', async () => {
    const h = harness();
    const jobs = uniqueName('jobs');
    await admin('PUT', `/queues/${encodeURIComponent(vhost.name)}/${jobs}`, { durable: true });
    const publisher = await channel();
    const consume = async () => {
      const reader = await channel();
      await reader.prefetch(1);
      await reader.consume(jobs, () => undefined); // takes one, never acknowledges it
      return reader;
    };
    let reader = await consume();
    for (let index = 0; index < 5; index++) publisher.sendToQueue(jobs, Buffer.from(`job ${index}`));
    await statsShow(jobs, (queue) => queue.consumers === 1 && queue.messages === 5);
    await h.tick();
    expect(h.shown).toEqual([]);

    await reader.close();
    const notice = await h.until((shown) => shown.cause === 'idle-queue', 'for the queue without consumer');
    expect(notice).toMatchObject({ cause: 'idle-queue', title: `No consumer on ${jobs}` });
    // The count is the broker's statistics of that moment: the unacked one may not be counted back yet.
    expect(notice.body).toMatch(
      new RegExp(
        `^The last app reading queue ${jobs} \\(vhost ${vhost.name}, Local test broker\\) went away while [45] messages wait in it\\.$`,
      ),
    );

    // Back and gone again within the quiet period: held back.
    reader = await consume();
    await statsShow(jobs, (queue) => queue.consumers === 1);
    await h.tick();
    await reader.close();
    await statsShow(jobs, (queue) => queue.consumers === 0);
    await h.tick();
    await h.tick();
    expect(h.shown.filter((shown) => shown.cause === 'idle-queue')).toHaveLength(1);
    expect(h.suppressed.map(({ notice: held, why }) => [held.cause, why])).toContainEqual(['idle-queue', 'quiet']);
    await publisher.close();
  });

  it('a memory alarm raised (played by a proxy rewriting /api/nodes), switched off, then on; once per quiet period', async () => {
    const h = harness();
    h.off.add('alarm');
    await h.tick();
    alarm = true;
    await h.tick();
    expect(h.shown).toEqual([]);
    expect(h.suppressed.map(({ notice, why }) => [notice.cause, why])).toEqual([['alarm', 'off']]);
    alarm = false;
    await h.tick();

    h.off.delete('alarm');
    alarm = true;
    await h.tick();
    expect(h.shown).toHaveLength(1);
    expect(h.shown[0]).toMatchObject({ cause: 'alarm', title: 'Broker alarm on Local test broker' });
    expect(h.shown[0]?.body).toMatch(
      /^Memory alarm on \S+@\S+ \(.+ used, limit .+\): publishers are blocked: apps that send messages wait until it clears\.$/,
    );

    // Cleared and raised again within the quiet period: held back. With a short quiet period: shown.
    alarm = false;
    await h.tick();
    alarm = true;
    await h.tick();
    expect(h.shown).toHaveLength(1);
    alarm = false;
    const quick = harness({ quietMs: 0 });
    await quick.tick();
    alarm = true;
    await quick.tick();
    alarm = false;
    await quick.tick();
    alarm = true;
    await quick.tick();
    alarm = false;
    expect(quick.shown.map((notice) => notice.cause)).toEqual(['alarm', 'alarm']);
  });

  it('the broker down (its connection cut) and back: one episode, then held back within the quiet period', async () => {
    const h = harness();
    await h.tick();
    await cable.cut();
    await h.tick();
    expect(h.shown).toEqual([]); // one failed sample is not an outage yet
    await h.tick();
    expect(h.shown).toEqual([
      {
        cause: 'broker-down',
        title: 'The broker is down',
        body: 'Local test broker does not answer: AI apps cannot reach it. You will be told when it is back.',
      },
    ]);
    await h.tick();
    expect(h.shown).toHaveLength(1);
    await cable.restore();
    await h.tick();
    expect(h.shown.at(-1)).toEqual({ cause: 'broker-down', title: 'The broker is back', body: 'Local test broker answers again.' });

    // Down again at once: held back, and so is its "back".
    await cable.cut();
    await h.tick();
    await h.tick();
    await cable.restore();
    await h.tick();
    expect(h.shown).toHaveLength(2);
    expect(h.suppressed.map(({ notice, why }) => [notice.title, why])).toEqual([['The broker is down', 'quiet']]);

    // Switched off: nothing, not even "back".
    const silent = harness({ quietMs: 0 });
    silent.off.add('broker-down');
    await cable.cut();
    await silent.tick();
    await silent.tick();
    await cable.restore();
    await silent.tick();
    expect(silent.shown).toEqual([]);
  });
});
