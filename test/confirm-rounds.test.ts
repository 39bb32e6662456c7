import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CallToolResult,
  Client,
  type InputRequiredResult,
  StreamableHTTPClientTransport,
  isInputRequiredResult,
} from '@modelcontextprotocol/client';
import { createRequestStateCodec } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { type HttpProcess, freePort, startHttpProcess } from './support/http-process.js';
import { startNginx } from './support/nginx.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { connectRaw } from './support/raw-amqp.js';

/**
 * A 2026-07-28 client confirms a destructive call in the call's own rounds: the server answers
 * input_required with the preview and a signed state, the client's user answers, and the client
 * sends the same call again with the answer and the state. Against the built server over HTTP,
 * with the SDK's own client; then three instances behind nginx doing plain round robin, where
 * every answer lands on another instance than the question.
 */
const vhost = useTestVhost('mcp-rounds');
const KEY = 'rounds-test-key-0123456789abcdef0123456789';
const TOKEN = 'rounds-token-0123456789abcdef';
const folder = mkdtempSync(join(tmpdir(), 'mcp-rounds-'));
let single: HttpProcess;

const queue = (name: string) => `/queues/${encodeURIComponent(vhost.name)}/${encodeURIComponent(name)}`;
const exists = async (name: string) =>
  (await admin<{ name: string }[]>('GET', `/queues/${encodeURIComponent(vhost.name)}?columns=name`)).some((q) => q.name === name);

/** A 2026-07-28 client whose user answers `answer` to every question, recording them. */
async function modernClient(url: string, answer: 'accept' | 'decline', manual = false) {
  const questions: string[] = [];
  const client = new Client(
    { name: 'rounds-client', version: '2.0.0' },
    {
      versionNegotiation: { mode: { pin: '2026-07-28' } },
      capabilities: { elicitation: { form: {} } },
      ...(manual ? { inputRequired: { autoFulfill: false } } : {}),
    },
  );
  client.setRequestHandler('elicitation/create', async (request) => {
    questions.push((request.params as { message: string }).message);
    return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  return { client, questions };
}

const textOf = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');

/** One round by hand: the call, with what the last round said to send. */
async function round(client: Client, args: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return (await client.request(
    { method: 'tools/call', params: { name: 'purge_queue', arguments: args, ...extra } },
    { allowInputRequired: true },
  )) as CallToolResult | InputRequiredResult;
}

const ACCEPT = { confirm: { action: 'accept', content: { confirm: true } } };

beforeAll(async () => {
  single = await startHttpProcess({ AMQP_VHOST: vhost.name, MCP_AUTH_TOKEN: TOKEN, MCP_REQUEST_STATE_KEY: KEY, LOG_LEVEL: 'warn' }, [
    '--allow-destructive',
  ]);
});

afterAll(async () => {
  await single?.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe('a 2026-07-28 client confirms in the rounds of the call', () => {
  it('asks the user with the preview, does it when they accept, and says who decided', async () => {
    await admin('PUT', queue('round-accept'), { durable: true });
    const { client, questions } = await modernClient(single.url, 'accept');
    try {
      expect(client.getProtocolEra()).toBe('modern');
      const result = await client.callTool({ name: 'delete_queue', arguments: { name: 'round-accept' } });
      expect(questions).toEqual([
        `delete_queue would delete queue 'round-accept' in vhost '${vhost.name}' with 0 ready messages and 0 consumers. Go ahead?`,
      ]);
      expect(textOf(result as CallToolResult)).toBe(
        `Deleted queue 'round-accept' in vhost '${vhost.name}' with 0 ready messages and 0 consumers.\nConfirmed by the user in rounds-client 2.0.0.`,
      );
      expect(await exists('round-accept')).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('changes nothing when the user declines', async () => {
    await admin('PUT', queue('round-decline'), { durable: true });
    const { client } = await modernClient(single.url, 'decline');
    try {
      const result = (await client.callTool({ name: 'delete_queue', arguments: { name: 'round-decline' } })) as CallToolResult;
      expect(textOf(result)).toMatch(/^Not done: the user declined the confirmation \(would delete queue 'round-decline'/);
      expect(await exists('round-decline')).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('refuses a tampered state, an expired one and one used already; nothing is purged by them', async () => {
    await admin('PUT', queue('round-state'), { durable: true });
    const { client } = await modernClient(single.url, 'accept', true);
    const args = { name: 'round-state' };
    const publish = () =>
      admin('POST', `/exchanges/${encodeURIComponent(vhost.name)}/amq.default/publish`, {
        routing_key: 'round-state',
        payload: 'x',
        payload_encoding: 'string',
        properties: {},
      });
    try {
      await publish();
      const asked = await round(client, args);
      expect(isInputRequiredResult(asked)).toBe(true);
      const state = (asked as InputRequiredResult).requestState as string;

      // One character changed in the signed state: refused before the tool runs.
      const flipped = `${state.slice(0, -2)}${state.at(-2) === 'A' ? 'B' : 'A'}${state.at(-1)}`;
      await expect(round(client, args, { inputResponses: ACCEPT, requestState: flipped })).rejects.toThrow(/-32602|Invalid/i);
      // Signed with the right key, but past its time.
      const stale = createRequestStateCodec({ key: KEY, ttlSeconds: 1, bind: (ctx) => ctx.mcpReq.method });
      const asCall = { mcpReq: { method: 'tools/call' } } as Parameters<typeof stale.mint>[1];
      const expired = await stale.mint(
        { tool: 'purge_queue', args: '{"name":"round-state"}', broker: 'x', preview: 'x', nonce: 'n' },
        asCall,
      );
      // The state's time is whole seconds: wait past it (the expiry is what this checks).
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await expect(round(client, args, { inputResponses: ACCEPT, requestState: expired })).rejects.toThrow(/-32602|Invalid/i);

      // The real state and the user's yes: purged, once (the one message: the refused rounds took none).
      const done = (await round(client, args, { inputResponses: ACCEPT, requestState: state })) as CallToolResult;
      expect(textOf(done)).toMatch(/^Purged 1 message from queue 'round-state'/);
      await publish();
      const replayed = (await round(client, args, { inputResponses: ACCEPT, requestState: state })) as CallToolResult;
      expect(textOf(replayed)).toMatch(/^Not done: that confirmation was used already/);
    } finally {
      await client.close();
    }
  });

  it('asks again, with the preview as it is now, when the queue grew past what the user was shown', async () => {
    await admin('PUT', queue('round-grew'), { durable: true });
    const { client } = await modernClient(single.url, 'accept', true);
    try {
      const asked = (await round(client, { name: 'round-grew' })) as InputRequiredResult;
      await admin('POST', `/exchanges/${encodeURIComponent(vhost.name)}/amq.default/publish`, {
        routing_key: 'round-grew',
        payload: 'x',
        payload_encoding: 'string',
        properties: {},
      });
      const again = await round(client, { name: 'round-grew' }, { inputResponses: ACCEPT, requestState: asked.requestState });
      expect(isInputRequiredResult(again)).toBe(true);
      const message = JSON.stringify((again as InputRequiredResult).inputRequests);
      expect(message).toContain('The broker changed since the user was asked (would purge 0 ready messages');
      expect(message).toContain('purge_queue would purge 1 ready message from');
    } finally {
      await client.close();
    }
  });
});

describe('three instances behind nginx, round robin: the answer lands on another instance', () => {
  const COUNT = 50;
  let nginx: ChildProcess | undefined;
  const instances: HttpProcess[] = [];

  afterAll(async () => {
    nginx?.kill('SIGTERM');
    await Promise.all(instances.map((instance) => instance.stop()));
  });

  async function fleet(env: Record<string, string>): Promise<string> {
    for (const instance of instances.splice(0)) await instance.stop();
    nginx?.kill('SIGTERM');
    const ports = await Promise.all([1, 2, 3].map(() => freePort()));
    for (const port of ports)
      instances.push(
        await startHttpProcess(
          { AMQP_VHOST: vhost.name, MCP_AUTH_TOKEN: TOKEN, RATE_LIMIT_RPM: '0', LOG_LEVEL: 'info', ...env },
          ['--allow-destructive'],
          port,
        ),
      );
    const lbPort = await freePort();
    const prefix = mkdtempSync(join(folder, 'nginx-'));
    // Plain round robin: nginx's default, no affinity of any kind.
    nginx = await startNginx(
      prefix,
      `upstream mcp { ${ports.map((port) => `server 127.0.0.1:${port};`).join(' ')} }
  server {
    listen 127.0.0.1:${lbPort};
    location / { proxy_pass http://mcp; proxy_http_version 1.1; proxy_buffering off; proxy_set_header Host $host; }
  }`,
      lbPort,
    );
    return `http://127.0.0.1:${lbPort}/mcp`;
  }

  const redisConnected = async (instance: HttpProcess) =>
    ((await (await fetch(`http://127.0.0.1:${instance.port}/mcp/health`)).json()) as { redis_connected?: boolean }).redis_connected ===
    true;
  const publishTo = (name: string) =>
    admin('POST', `/exchanges/${encodeURIComponent(vhost.name)}/amq.default/publish`, {
      routing_key: name,
      payload: 'x',
      payload_encoding: 'string',
      properties: {},
    });
  /** The queue's ready count as the broker holds it now (queue.declare passive, not the statistics). */
  const readyIn = async (name: string) => {
    const connection = await connectRaw(vhost.name);
    try {
      const channel = await connection.createChannel();
      return (await channel.checkQueue(name)).messageCount;
    } finally {
      await connection.close();
    }
  };

  const toolCalls = (instance: HttpProcess) =>
    instance
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"rpc":"tools/call"')).length;

  it(`finishes ${COUNT} confirmations in a row with a key the instances share`, async () => {
    const url = await fleet({ MCP_REQUEST_STATE_KEY: KEY });
    const names = Array.from({ length: COUNT }, (_, index) => `fleet-${index}`);
    for (const name of names) await admin('PUT', queue(name), { durable: true });
    const { client, questions } = await modernClient(url, 'accept');
    try {
      for (const name of names) {
        const result = (await client.callTool({ name: 'delete_queue', arguments: { name } })) as CallToolResult;
        expect(textOf(result), name).toMatch(
          new RegExp(`^Deleted queue '${name}'.*\\nConfirmed by the user in rounds-client 2\\.0\\.0\\.$`, 's'),
        );
      }
      expect(questions).toHaveLength(COUNT);
      for (const name of names) expect(await exists(name)).toBe(false);
      // Each instance served a third of the 100 rounds: the question and its answer never met on one.
      for (const instance of instances) expect(toolCalls(instance)).toBeGreaterThanOrEqual(30);
    } finally {
      await client.close();
    }
  });

  it('with Redis shared (MCP_REDIS_URL), a used state is refused on every instance, not only the one that used it', async () => {
    const url = await fleet({ MCP_REQUEST_STATE_KEY: KEY, MCP_REDIS_URL: 'redis://127.0.0.1:6379' });
    await eventually(
      async () => ((await Promise.all(instances.map(redisConnected))).every(Boolean) ? true : undefined),
      'every instance connected to Redis',
    );
    await admin('PUT', queue('fleet-replay'), { durable: true });
    const { client } = await modernClient(url, 'accept', true);
    const args = { name: 'fleet-replay' };
    try {
      await publishTo('fleet-replay');
      const asked = (await round(client, args)) as InputRequiredResult;
      const state = asked.requestState as string;
      const done = (await round(client, args, { inputResponses: ACCEPT, requestState: state })) as CallToolResult;
      expect(textOf(done)).toMatch(/^Purged 1 message from queue 'fleet-replay'/);
      await publishTo('fleet-replay');
      // The used state sent to each instance itself, the one that purged among them.
      for (const instance of instances) {
        const direct = await modernClient(`http://127.0.0.1:${instance.port}/mcp`, 'accept', true);
        try {
          const again = (await round(direct.client, args, { inputResponses: ACCEPT, requestState: state })) as CallToolResult;
          expect(textOf(again), `instance on ${instance.port}`).toMatch(/^Not done: that confirmation was used already/);
        } finally {
          await direct.client.close();
        }
      }
      expect(await readyIn('fleet-replay')).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('while Redis is unreachable a confirmation is refused at once, saying why; it works again when Redis is back', async () => {
    const proxy = new TcpProxy('127.0.0.1', 6379);
    const port = await proxy.start();
    try {
      const url = await fleet({ MCP_REQUEST_STATE_KEY: KEY, MCP_REDIS_URL: `redis://127.0.0.1:${port}` });
      await eventually(
        async () => ((await Promise.all(instances.map(redisConnected))).every(Boolean) ? true : undefined),
        'every instance connected to Redis',
      );
      await admin('PUT', queue('fleet-outage'), { durable: true });
      await publishTo('fleet-outage');
      const { client } = await modernClient(url, 'accept', true);
      const args = { name: 'fleet-outage' };
      try {
        const asked = (await round(client, args)) as InputRequiredResult;
        await proxy.cut();
        await eventually(
          async () => ((await Promise.all(instances.map(redisConnected))).every((up) => !up) ? true : undefined),
          'every instance seeing Redis gone',
        );
        const refused = (await round(client, args, { inputResponses: ACCEPT, requestState: asked.requestState })) as CallToolResult;
        expect(textOf(refused)).toMatch(
          new RegExp(
            `^Not done: Redis at redis://127\\.0\\.0\\.1:${port}/? is not reachable, so this server cannot tell whether that confirmation was used`,
          ),
        );
        expect(await readyIn('fleet-outage')).toBe(1);
        // Health stays 200 (reads need no Redis) and says Redis is down.
        const health = await fetch(`http://127.0.0.1:${(instances[0] as HttpProcess).port}/mcp/health`);
        expect(health.status).toBe(200);

        await proxy.restore();
        await eventually(
          async () => ((await Promise.all(instances.map(redisConnected))).every(Boolean) ? true : undefined),
          'every instance reconnected to Redis by itself',
        );
        const done = (await round(client, args, { inputResponses: ACCEPT, requestState: asked.requestState })) as CallToolResult;
        expect(textOf(done)).toMatch(/^Purged 1 message from queue 'fleet-outage'/);
      } finally {
        await client.close();
      }
    } finally {
      await proxy.cut();
    }
  });

  it('without a shared key, an answer that lands on another instance is refused and nothing is deleted', async () => {
    const url = await fleet({});
    await admin('PUT', queue('fleet-unkeyed'), { durable: true });
    const { client } = await modernClient(url, 'accept');
    try {
      await expect(client.callTool({ name: 'delete_queue', arguments: { name: 'fleet-unkeyed' } })).rejects.toThrow(/-32602|Invalid/i);
      expect(await exists('fleet-unkeyed')).toBe(true);
    } finally {
      await client.close();
    }
  });
});
