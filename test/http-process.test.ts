import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { type Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRaw } from './support/raw-amqp.js';
import { admin, createTestVhost, eventually, uniqueName } from './support/broker-admin.js';
import { INITIALIZE, rpc } from './support/http-harness.js';
import { startHttpProcess } from './support/http-process.js';
import { SERVER_BIN, SERVER_NODE, ensureBuilt } from './support/built-server.js';
import { brokerEnv } from './support/mcp-harness.js';

const folder = mkdtempSync(join(tmpdir(), 'mcp-http-process-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  url: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string>; agent?: Agent; ca?: Buffer } = {},
): Promise<Answer> {
  const target = new URL(url);
  const requester = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = requester(
      target,
      {
        method: options.method ?? 'POST',
        agent: options.agent,
        ca: options.ca,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...options.headers },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on('error', reject);
    request.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

describe('the HTTP server process', () => {
  it('serves HTTPS with a certificate from --tls-cert/--tls-key', async () => {
    const key = join(folder, 'key.pem');
    const cert = join(folder, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      {
        stdio: 'ignore',
      },
    );
    const server = await startHttpProcess({}, ['--tls-cert', cert, '--tls-key', key]);
    try {
      const answer = await send(server.url, { body: INITIALIZE, ca: readFileSync(cert) });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).result.serverInfo.name).toBe('rabbitmq-mcp-server');
      await expect(send(server.url, { body: INITIALIZE })).rejects.toThrow(/self-signed|certificate/);
    } finally {
      await server.stop();
    }
  });

  it('refuses to listen beyond loopback without a token, saying what to set', async () => {
    await ensureBuilt();
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      const run = spawnSync(SERVER_NODE, [SERVER_BIN, '--transport', 'http', '--host', host, '--port', '8999'], {
        env: { PATH: process.env.PATH ?? '', ...brokerEnv({ LOG_LEVEL: 'info' }) },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toContain(`MCP_HTTP_HOST (--host) ${host} is reachable from other machines and MCP_AUTH_TOKEN is not set`);
      expect(run.stderr).toContain('MCP_ALLOW_UNAUTHENTICATED (--allow-unauthenticated)');
    }
  });

  it('warns loudly when allowed to listen on all interfaces without a token', async () => {
    const server = await startHttpProcess({}, ['--host', '0.0.0.0', '--allow-unauthenticated']);
    try {
      await eventually(async () => (server.stderr().includes('WARNING') ? true : undefined), 'the warning');
      expect(server.stderr()).toContain('WARNING: listening on 0.0.0.0 without MCP_AUTH_TOKEN');
    } finally {
      await server.stop();
    }
  });

  it('on SIGTERM: health turns 503 and new requests are refused at once, the in-flight request finishes, exit 0 within 10 s', async () => {
    const vhost = await createTestVhost('mcp-drain');
    const server = await startHttpProcess({ AMQP_VHOST: vhost.name }, ['--allow-write']);
    try {
      await send(server.url, { body: rpc('tools/call', { name: 'create_queue', arguments: { name: 'drain' } }) });
      // Healthy first (on a loaded machine the first management probe may still be on its way).
      await eventually(
        async () => ((await send(`${server.url}/health`, { method: 'GET' })).status === 200 ? true : undefined),
        'the server to report healthy',
      );
      const messages = Array.from({ length: 10_000 }, (_, i) => ({ body: `m${i}` }));
      const slow = send(server.url, {
        body: rpc('tools/call', { name: 'publish_messages', arguments: { routing_key: 'drain', messages } }),
      }).catch((error: Error) => ({ status: -1, body: error.message, headers: {} }));
      // SIGTERM once the publish is under way: the first messages are in the queue (live count).
      const probe = await connectRaw(vhost.name);
      const channel = await probe.createChannel();
      await eventually(
        async () => ((await channel.checkQueue('drain')).messageCount > 0 ? true : undefined),
        'the publish to begin',
        20_000,
        5,
      );
      await probe.close();
      const started = Date.now();
      server.child.kill('SIGTERM');
      await eventually(
        async () => (server.stderr().includes('shutting down') ? true : undefined),
        'the server to say it shuts down',
        20_000,
        5,
      );
      const health = await send(`${server.url}/health`, { method: 'GET' });
      expect(health.status).toBe(503);
      expect(JSON.parse(health.body)).toMatchObject({ status: 'shutting_down' });
      const refused = await send(server.url, { body: INITIALIZE });
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body).error.message).toContain('shutting down');
      const finished = await slow;
      expect(finished.status, `${finished.body}\n${server.stderr()}`).toBe(200);
      expect(JSON.parse(finished.body).result.content[0].text).toContain('10000 routed and confirmed');
      expect(await server.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      await expect(send(server.url, { body: INITIALIZE })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await server.stop('SIGKILL');
      await vhost.remove();
    }
  });

  it('sets its heap policy at start, and leaves a generation the operator tuned with a node flag to the operator', async () => {
    const policyOf = async (env: Record<string, string>) => {
      const server = await startHttpProcess({ LOG_LEVEL: 'debug', ...env });
      try {
        const line = await eventually(
          async () =>
            server
              .stderr()
              .split('\n')
              .find((text) => text.includes('"v8Flags"')),
          'the heap policy in the debug log',
          10_000,
          50,
        );
        return (JSON.parse(line) as { v8Flags: string[] }).v8Flags;
      } finally {
        await server.stop();
      }
    };
    expect(await policyOf({})).toEqual(['--semi-space-growth-factor=1', '--heap-growing-percent=100']);
    expect(await policyOf({ NODE_OPTIONS: '--max_semi_space_size=8' })).toEqual(['--heap-growing-percent=100']);
  });

  it('logs one JSON line per request and per tool call to stderr and LOG_DIR, with no secret in them', async () => {
    const user = uniqueName('mcp-log-user');
    const password = `Log-Pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    const token = `log-token-${Math.random().toString(36).slice(2)}-abcdefghij`;
    await admin('PUT', `/users/${user}`, { password, tags: 'administrator' });
    await admin('PUT', `/permissions/%2F/${user}`, { configure: '.*', write: '.*', read: '.*' });
    const logDir = join(folder, 'logs');
    const server = await startHttpProcess({
      AMQP_USER: user,
      AMQP_PASSWORD: password,
      MCP_AUTH_TOKEN: token,
      LOG_DIR: logDir,
      LOG_LEVEL: 'debug',
    });
    try {
      const auth = { authorization: `Bearer ${token}` };
      expect((await send(server.url, { body: INITIALIZE, headers: auth })).status).toBe(200);
      await send(server.url, { body: rpc('tools/call', { name: 'list_queues', arguments: { name: 'missing' } }), headers: auth });
      await send(server.url, { body: rpc('tools/call', { name: 'get_overview', arguments: {} }), headers: auth });
      expect((await send(server.url, { body: INITIALIZE, headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    } finally {
      await server.stop();
      await admin('DELETE', `/users/${user}`);
    }
    const files = readdirSync(logDir);
    expect(files).toEqual([`rabbitmq-mcp-server-${new Date().toISOString().slice(0, 10)}.log`]);
    const fileText = readFileSync(join(logDir, files[0] as string), 'utf8');
    for (const text of [fileText, server.stderr()]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(token);
      expect(text).not.toContain(Buffer.from(`${user}:${password}`).toString('base64'));
    }
    const lines = fileText
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const requests = lines.filter((line) => line.msg === 'http request');
    expect(requests.map((line) => line.rpc)).toEqual(['initialize', 'tools/call', 'tools/call']);
    expect(requests.every((line) => line.client === 'token#1' && line.status === 200 && typeof line.ms === 'number')).toBe(true);
    const calls = lines.filter((line) => line.msg === 'tool call');
    expect(calls.map((line) => [line.tool, line.outcome, line.client])).toEqual([
      ['list_queues', 'failed: not_found', 'token#1'],
      ['get_overview', 'ok', 'token#1'],
    ]);
  });
});
