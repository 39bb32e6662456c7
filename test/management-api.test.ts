import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { CountingProxy } from './support/counting-proxy.js';
import { type Harness, startHarness } from './support/mcp-harness.js';
import { jsonBelowSummary } from './support/tool-answer.js';

const vhost = useTestVhost('mcp-escape');
const servers: Harness[] = [];
const v = () => encodeURIComponent(vhost.name);

async function server(args: string[]): Promise<Harness> {
  const mcp = await startHarness({ args, env: { AMQP_VHOST: vhost.name } });
  servers.push(mcp);
  return mcp;
}

beforeAll(async () => {
  await admin('PUT', `/queues/${v()}/hatch`, { durable: true });
});

afterAll(async () => {
  for (const mcp of servers) await mcp.close();
});

describe('management_api', () => {
  it('answers any GET with the status and the JSON, at every level', async () => {
    const mcp = await server([]);
    const answer = await mcp.call('management_api', { path: `/api/queues/${v()}/hatch?columns=name,durable` });
    expect(answer.isError).toBe(false);
    expect(answer.text.split('\n')[0]).toBe(`GET /api/queues/${v()}/hatch?columns=name%2Cdurable → 200`);
    expect(jsonBelowSummary(answer)).toEqual({ name: 'hatch', durable: true });
    expect((await mcp.call('management_api', { path: 'overview' })).text).toMatch(/^GET \/api\/overview → 200\n/);
  });

  it('is read-only on a read-only server and says which flag each method needs', async () => {
    const mcp = await server([]);
    const { tools } = await mcp.client.listTools();
    expect(tools.find((tool) => tool.name === 'management_api')?.annotations).toEqual({ readOnlyHint: true });
    expect(await mcp.call('management_api', { method: 'PUT', path: `/api/queues/${v()}/made`, body: { durable: true } })).toEqual({
      isError: true,
      text: 'PUT needs --allow-write: this server runs read-only. GET works at every level.',
    });
    const writer = await server(['--allow-write']);
    expect((await writer.call('management_api', { method: 'DELETE', path: `/api/queues/${v()}/hatch` })).text).toBe(
      'DELETE needs --allow-destructive: this server runs write. GET works at every level.',
    );
    const made = await writer.call('management_api', { method: 'PUT', path: `/api/queues/${v()}/made`, body: { durable: true } });
    expect(made.text).toBe(`PUT /api/queues/${v()}/made → 201\n(no content)`);
    expect((await admin<{ name: string }[]>('GET', `/queues/${v()}?columns=name`)).map((queue) => queue.name)).toContain('made');
  });

  it('previews a DELETE with what is there, and deletes on confirm', async () => {
    await admin('PUT', `/queues/${v()}/doomed`, { durable: true });
    const mcp = await server(['--allow-destructive']);
    const { tools } = await mcp.client.listTools();
    expect(tools.find((tool) => tool.name === 'management_api')?.annotations).toEqual({ destructiveHint: true });
    const preview = await mcp.call('management_api', { method: 'DELETE', path: `/api/queues/${v()}/doomed` });
    // The message count shows once the broker's statistics have it.
    expect(preview.text).toMatch(
      new RegExp(
        `^Dry run: would send DELETE /api/queues/${v()}/doomed \\(doomed(, 0 messages)?\\); the broker carries it out as is\\. Nothing was changed\\. To do it, call management_api again with the same arguments and confirm: "c-[\\w-]+" `,
      ),
    );
    expect((await mcp.call('management_api', { method: 'DELETE', path: `/api/queues/${v()}/doomed`, confirm: true })).text).toBe(
      `DELETE /api/queues/${v()}/doomed → 204\n(no content)`,
    );
    expect((await admin<{ name: string }[]>('GET', `/queues/${v()}?columns=name`)).map((queue) => queue.name)).not.toContain('doomed');
    expect((await mcp.call('management_api', { method: 'DELETE', path: `/api/queues/${v()}/doomed` })).text).toBe(
      `Nothing to delete: /api/queues/${v()}/doomed does not exist.`,
    );
  });

  it('never shows password hashes, and refuses paths that are not management API paths', async () => {
    const mcp = await server([]);
    const users = await mcp.call('management_api', { path: '/api/users' });
    expect(users.text).toContain('"name"');
    expect(users.text).not.toMatch(/password_hash|hashing_algorithm/);
    for (const [path, problem] of [
      ['http://evil.example/api/overview', 'give a path like /api/queues/%2F, not a URL'],
      ['/api/../../etc/passwd', 'dot segments (..) are not allowed'],
      ['/api/queues/my queue', 'the path has spaces, backslashes or control characters: percent-encode names (%2F for /)'],
      ['/api/', 'give a path under /api, e.g. /api/overview'],
    ]) {
      expect(await mcp.call('management_api', { path })).toEqual({ isError: true, text: `Invalid path: ${problem}.` });
    }
    expect((await mcp.call('management_api', { path: '/api/no-such-thing' })).isError).toBe(true);
  });
});

describe('kept-alive sockets the broker closed while idle', () => {
  it('are retried for a GET until a fresh socket answers, however many the pool holds', async () => {
    // Plays the broker closing every idle socket at once: once armed, a request on a socket that
    // already served one is answered with a TCP reset.
    const served = new WeakSet<object>();
    let armed = false;
    let resets = 0;
    const proxy = new CountingProxy(BROKER.host, BROKER.httpPort, (incoming) => {
      const socket = incoming.socket;
      if (armed && served.has(socket)) {
        resets++;
        socket.resetAndDestroy();
        return true;
      }
      served.add(socket);
      return false;
    });
    const port = await proxy.start();
    try {
      const mcp = await startHarness({ args: [], env: { AMQP_VHOST: vhost.name, HTTP_PORT: String(port) } });
      servers.push(mcp);
      // Several requests at once leave several sockets in the pool.
      const warm = await Promise.all(Array.from({ length: 6 }, () => mcp.call('management_api', { path: '/api/overview' })));
      expect(warm.every((answer) => !answer.isError)).toBe(true);
      armed = true;
      const answer = await mcp.call('management_api', { path: `/api/queues/${v()}/hatch?columns=name` });
      expect(answer.isError, answer.text).toBe(false);
      expect(jsonBelowSummary(answer)).toEqual({ name: 'hatch' });
      expect(resets, 'the pool held more than one stale socket').toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.stop();
    }
  });
});
