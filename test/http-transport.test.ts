import { request as httpRequest } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { useTestVhost } from './support/broker-fixture.js';
import { type HttpHarness, INITIALIZE, JSON_HEADERS, SECOND_TOKEN, TOKEN, rpc, startHttpHarness } from './support/http-harness.js';
import { connectRaw } from './support/raw-amqp.js';
import { callTool } from './support/tool-answer.js';

let http: HttpHarness;

beforeAll(async () => {
  http = await startHttpHarness({ MCP_CORS_ORIGINS: 'https://app.example.com', RATE_LIMIT_RPM: '10000' });
});

afterAll(async () => {
  await http?.close();
});

/** Health answers 503 until the AMQP connection, opened in the background, is up. */
function healthyAnswer(harness: HttpHarness): Promise<Response> {
  return eventually(async () => {
    const response = await fetch(`${harness.url}/health`);
    return response.status === 200 ? response : undefined;
  }, 'a healthy answer from /health');
}

async function healthy(): Promise<void> {
  await healthyAnswer(http);
  const { tools } = await (await http.client()).listTools();
  expect(tools.length).toBeGreaterThan(5);
}

describe('MCP over stateless Streamable HTTP', () => {
  it('serves initialize, tools/list and a tool call to an SDK client', async () => {
    const client = await http.client();
    expect(client.getServerVersion()?.name).toBe('rabbitmq-mcp-server');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('list_queues');
    expect((await callTool(client, 'get_overview')).text).toContain('broker: RabbitMQ');
  });

  it('answers any request without a session: a tools/list POST needs no initialize first', async () => {
    const response = await http.post(rpc('tools/list'));
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(((await response.json()) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(5);
  });

  it('accepts every configured token', async () => {
    const client = await http.client(SECOND_TOKEN);
    expect((await client.listTools()).tools.length).toBeGreaterThan(5);
  });
});

describe('HTTP error paths answer clearly and leave the server healthy', () => {
  it.each([
    ['GET', 405],
    ['DELETE', 405],
    ['PUT', 405],
  ])('%s /mcp is %i with an explanation and an Allow header', async (method, status) => {
    const response = await fetch(http.url, { method, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(status);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('stateless');
  });

  it('401 without a token, with a WWW-Authenticate challenge', async () => {
    const response = await fetch(http.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="rabbitmq-mcp"');
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe('Authorization: Bearer <token> is required');
  });

  it('401 with a wrong token, saying it is invalid', async () => {
    const response = await http.post(INITIALIZE, { authorization: `Bearer ${TOKEN}x` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="rabbitmq-mcp", error="invalid_token"');
  });

  it('403 for a Host that is not allowed (DNS rebinding)', async () => {
    // fetch() will not send a forged Host header; a plain request can, as a rebinding attack does.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        http.url,
        { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${TOKEN}`, host: 'attacker.example:8000' } },
        (response) => {
          let text = '';
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify(INITIALIZE));
    });
    expect(status).toBe(403);
    expect(body).toContain("Host 'attacker.example:8000' is not allowed (DNS rebinding protection); add it to MCP_ALLOWED_HOSTS");
  });

  it('403 for a browser Origin that is not allowed', async () => {
    const response = await http.post(INITIALIZE, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CORS: an allowed origin gets its preflight and the allow header', async () => {
    const preflight = await fetch(http.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const response = await http.post(INITIALIZE, { origin: 'https://app.example.com' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const denied = await fetch(http.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(denied.status).toBe(403);
  });

  it('415 for a body that is not JSON by its content type', async () => {
    const response = await http.post('{}', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      "Content-Type must be application/json (got 'text/plain')",
    );
    await healthy();
  });

  it('400 with a JSON-RPC parse error for malformed JSON', async () => {
    const response = await http.post('{"jsonrpc": "2.0", "method": ');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: number; message: string }; id: null };
    expect(body.error.code).toBe(-32700);
    expect(body.error.message).toMatch(/^Parse error: /);
    expect(body.id).toBeNull();
    await healthy();
  });

  it('413 for a body over the limit', async () => {
    const limited = await startHttpHarness({ MCP_MAX_BODY_BYTES: '2048' });
    try {
      const big = { ...INITIALIZE, params: { ...INITIALIZE.params, padding: 'x'.repeat(5000) } };
      const response = await limited.post(big);
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('larger than 2048 bytes');
      expect((await limited.post(INITIALIZE)).status).toBe(200);
    } finally {
      await limited.close();
    }
    await healthy();
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a client spends its minute, and only that client', async () => {
    const limited = await startHttpHarness({ RATE_LIMIT_RPM: '5' });
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await limited.post(rpc('tools/list'))).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const refused = await limited.post(rpc('tools/list'));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('Rate limit of 5 requests per minute');
      expect((await limited.post(rpc('tools/list'), { authorization: `Bearer ${SECOND_TOKEN}` })).status).toBe(200);
      // Health is never rate limited; it answers 503 only until the AMQP connection is up.
      expect((await healthyAnswer(limited)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('ignores X-Forwarded-For from untrusted peers and honours it from trusted proxies', async () => {
    const untrusted = await startHttpHarness({ RATE_LIMIT_RPM: '2', MCP_AUTH_TOKEN: '' });
    const trusted = await startHttpHarness({ RATE_LIMIT_RPM: '2', MCP_AUTH_TOKEN: '', TRUSTED_PROXIES: '127.0.0.1,::1' });
    try {
      const statuses = async (harness: HttpHarness) => {
        const out = [];
        for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) {
          out.push((await harness.post(rpc('tools/list'), { 'x-forwarded-for': address, authorization: '' })).status);
        }
        return out;
      };
      expect(await statuses(untrusted)).toEqual([200, 200, 429, 429]);
      expect(await statuses(trusted)).toEqual([200, 200, 200, 200]);
    } finally {
      await untrusted.close();
      await trusted.close();
    }
  });
});

describe('a graceful stop', () => {
  const vhost = useTestVhost('mcp-http-drain');

  it('turns health to 503 and refuses new MCP requests at once, while the in-flight one finishes', async () => {
    const stopping = await startHttpHarness({ AMQP_VHOST: vhost.name }, ['--allow-write']);
    const probe = await connectRaw(vhost.name);
    try {
      await stopping.post(rpc('tools/call', { name: 'create_queue', arguments: { name: 'drain' } }));
      const messages = Array.from({ length: 10_000 }, (_, i) => ({ body: `m${i}` }));
      const slow = stopping.post(rpc('tools/call', { name: 'publish_messages', arguments: { routing_key: 'drain', messages } }));
      // Stop once the publish is under way: the first messages are in the queue (live count).
      const channel = await probe.createChannel();
      await eventually(
        async () => ((await channel.checkQueue('drain')).messageCount > 0 ? true : undefined),
        'the publish to begin',
        20_000,
        5,
      );
      const closed = stopping.mcp.close();
      const health = await fetch(`${stopping.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'shutting_down' });
      const refused = await stopping.post(rpc('tools/list'));
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('shutting down');
      const finished = await slow;
      expect(finished.status).toBe(200);
      expect(JSON.stringify(await finished.json())).toContain('Published 10000 messages');
      await closed;
    } finally {
      await probe.close();
      await new Promise<void>((resolve) => stopping.server.close(() => resolve()));
    }
  });
});

describe('GET /mcp/health', () => {
  it('reports the seed fields without authentication and without secrets', async () => {
    const response = await healthyAnswer(http);
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['amqp_connected', 'http_connected', 'status', 'timestamp']);
    expect(body).toMatchObject({ status: 'healthy', amqp_connected: true, http_connected: true });
    expect(Number.isNaN(Date.parse(body.timestamp as string))).toBe(false);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(BROKER.password === 'guest' ? TOKEN : BROKER.password);
  });

  it('says why with a code, never a name: a refused login on AMQP and on the management API', async () => {
    const refused = await startHttpHarness({ AMQP_USER: 'health-probe-user', AMQP_PASSWORD: 'not-the-password-0123' });
    try {
      let body: Record<string, unknown> = {};
      for (let tries = 0; tries < 50 && body.amqp_problem === undefined; tries++) {
        body = (await (await fetch(`${refused.url}/health`)).json()) as Record<string, unknown>;
        if (body.amqp_problem === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(body).toMatchObject({ status: 'unhealthy', amqp_problem: 'login_refused', http_problem: 'login_refused' });
      expect(JSON.stringify(body)).not.toContain('health-probe-user');
    } finally {
      await refused.close();
    }
  });

  it('answers 503 within 2 s when the broker hangs', async () => {
    const hung: NetServer = createNetServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', () => resolve()));
    const port = String((hung.address() as AddressInfo).port);
    const stuck = await startHttpHarness({ AMQP_PORT: port, HTTP_PORT: port, REQUEST_TIMEOUT: '30' });
    try {
      const started = Date.now();
      const response = await fetch(`${stuck.url}/health`);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'unhealthy', amqp_connected: false, http_connected: false });
      const liveness = await fetch(`${stuck.url}/health?probe=liveness`);
      expect(liveness.status, 'a broker outage must not fail the liveness probe').toBe(200);
      expect(await liveness.json()).toMatchObject({ status: 'unhealthy' });
    } finally {
      await stuck.close();
      hung.close();
    }
  });
});
