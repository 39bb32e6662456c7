import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { type Harness, startHarness } from './support/mcp-harness.js';
import { TcpProxy } from './support/tcp-proxy.js';

const vhost = useTestVhost('mcp-outage');
let mcp: Harness;
const amqpProxy = new TcpProxy(BROKER.host, BROKER.amqpPort);
const httpProxy = new TcpProxy(BROKER.host, BROKER.httpPort);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

beforeAll(async () => {
  const amqpPort = await amqpProxy.start();
  const httpPort = await httpProxy.start();
  mcp = await startHarness({
    args: ['--allow-write'],
    env: {
      AMQP_HOST: '127.0.0.1',
      AMQP_PORT: String(amqpPort),
      HTTP_PORT: String(httpPort),
      AMQP_VHOST: vhost.name,
      REQUEST_TIMEOUT: '20',
    },
  });
  expect((await mcp.call('create_queue', { name: 'jobs' })).isError).toBe(false);
});

afterAll(async () => {
  await mcp?.close();
  await amqpProxy.close();
  await httpProxy.close();
});

/** Publishes one message to `queue` and says whether the broker confirmed it. */
async function publish(queue: string, body: string): Promise<{ isError: boolean; text: string }> {
  return mcp.call('publish_messages', { routing_key: queue, messages: [{ body }] });
}

// Each case starts with the broker reachable, whatever the case before it cut, and leaves the
// proxies open even when it fails.
beforeEach(async () => {
  await eventually(async () => ((await publish('jobs', 'probe')).isError ? undefined : true), 'publishing through the proxies', 30_000);
});

afterEach(async () => {
  await amqpProxy.restore();
  await httpProxy.restore();
});

describe('when the broker goes away and comes back', () => {
  it('works through the proxies to begin with', async () => {
    expect((await publish('jobs', 'before')).text).toContain('1 routed and confirmed');
  });

  it('answers AMQP tools at once with "broker unreachable at host:port (reason)"', async () => {
    await amqpProxy.cut();
    const { value: answer, ms } = await timed(() => publish('jobs', 'during'));
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(
      new RegExp(
        `^broker unreachable at 127\\.0\\.0\\.1:${amqpProxy.port} \\((connection refused|connection reset|connection closed|connection lost)`,
      ),
    );
    expect(ms, 'a down broker must not hold the call until REQUEST_TIMEOUT').toBeLessThan(5000);
    const again = await timed(() => publish('jobs', 'during'));
    expect(again.value.text).toMatch(
      new RegExp(`^broker unreachable at 127\\.0\\.0\\.1:${amqpProxy.port} \\((connection refused|connection closed unexpectedly)\\)`),
    );
    expect(again.ms).toBeLessThan(5000);
  });

  it('answers management tools with where it tried and what to check', async () => {
    await httpProxy.cut();
    const answer = await mcp.call('list_queues');
    expect(answer.isError).toBe(true);
    expect(answer.text).toBe(
      `management API unreachable at http://127.0.0.1:${httpProxy.port} (connection refused); the broker answers AMQP but not on its management port: is the management plugin enabled (rabbitmq-plugins enable rabbitmq_management) and HTTP_PORT right?`,
    );
  });

  it('recovers by itself once the broker is back, with the same client session', async () => {
    const queue = `recovery-${Date.now()}`;
    expect((await mcp.call('create_queue', { name: queue })).isError).toBe(false);
    expect((await publish(queue, 'before')).text).toContain('1 routed and confirmed');
    await amqpProxy.cut();
    await httpProxy.cut();
    expect((await publish(queue, 'during')).isError).toBe(true);
    await amqpProxy.restore();
    await httpProxy.restore();
    const published = await eventually(
      async () => {
        const answer = await publish(queue, 'after');
        return answer.isError ? undefined : answer.text;
      },
      'publishing to work again',
      30_000,
    );
    expect(published).toContain('1 routed and confirmed');
    const peek = await mcp.call('peek_messages', { queue });
    expect(peek.text).toContain('before');
    expect(peek.text).toContain('after');
    expect(peek.text).not.toContain('during');
    expect(mcp.logs.some((line) => line.includes('AMQP connection lost'))).toBe(true);
  });

  it('gives a broken channel up instead of reusing it', async () => {
    const missing = await mcp.call('purge_queue', { name: 'does-not-exist', confirm: true });
    expect(missing.isError).toBe(true);
    // Every pooled channel is exercised after the failure: none of them is the dead one.
    const results = await Promise.all(Array.from({ length: 12 }, () => publish('jobs', 'x')));
    for (const result of results) expect(result.text).toContain('1 routed and confirmed');
  });
});
