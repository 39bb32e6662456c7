import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serverEnvironment } from '../electron/core/profiles/server-environment.js';
import { readRuntimeInfo } from '../electron/core/supervisor/runtime-file.js';
import { Supervisor } from '../electron/core/supervisor/supervisor.js';
import { defaultProfileInput } from '../electron/shared/profile.js';
import { eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { type Harness, startHarness } from './support/mcp-harness.js';

/**
 * What the AI client is told when a management request is refused: the broker is down when its
 * AMQP port refuses too; the management plugin or port only when AMQP answers; the server's
 * variables only when a person set them (not under the desktop app, which sets them itself).
 */
const vhost = useTestVhost('mcp-down-advice');
const folder = mkdtempSync(join(tmpdir(), 'mcp-down-advice-'));
let closedPort = 0;
let harness: Harness | undefined;
let supervisor: Supervisor | undefined;

/** A loopback port nothing listens on: one the system just gave out and took back. */
function closedLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  await ensureBuilt();
  closedPort = await closedLoopbackPort();
});

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await supervisor?.stop();
  supervisor = undefined;
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** list_queues through a harness, once its AMQP session has tried (and failed or connected). */
async function listQueuesWhenAmqp(status: 'failed' | 'connected'): Promise<string> {
  const session = harness?.broker.amqp.default;
  await eventually(
    async () => (status === 'connected' ? session?.state.status === 'connected' : (session?.state.failures ?? 0) > 0) || undefined,
    `AMQP ${status}`,
  );
  const answer = await harness?.call('list_queues');
  expect(answer?.isError).toBe(true);
  return answer?.text ?? '';
}

/** list_queues through the built server as the desktop app runs it (the supervisor), over its HTTP endpoint. */
async function listQueuesUnderTheApp(ports: { amqp: number; management: number }): Promise<string> {
  const profile = {
    ...defaultProfileInput('Down'),
    amqp: { host: '127.0.0.1', port: ports.amqp, tls: { enabled: false, verify: true } },
    management: { host: '127.0.0.1', port: ports.management, basePath: '', tls: { enabled: false, verify: true } },
    user: BROKER.user,
    vhost: vhost.name,
  };
  supervisor = new Supervisor({
    command: process.execPath,
    serverEntry: SERVER_BIN,
    runtimeFile: join(folder, 'runtime.json'),
    logDir: join(folder, 'logs'),
    healthIntervalMs: 200,
  });
  await supervisor.start({
    profileId: 'down',
    profileName: 'Down',
    safety: 'read-only',
    approval: 'destructive',
    env: serverEnvironment(profile, BROKER.password),
  });
  const runtime = await eventually(() => readRuntimeInfo(join(folder, 'runtime.json')).then((info) => info ?? undefined), 'the server');
  // Once its AMQP connection has failed (the state says so) or worked.
  await eventually(async () => supervisor?.state.status === 'degraded' || supervisor?.state.status === 'healthy' || undefined, 'a verdict');
  const response = await fetch(runtime.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${runtime.token}`,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_queues', arguments: {} } }),
  });
  const body = (await response.json()) as { result: { isError?: boolean; content: { text: string }[] } };
  expect(body.result.isError).toBe(true);
  return body.result.content[0]?.text ?? '';
}

describe('a refused management request, as the AI client reads it', () => {
  it('says the broker itself is not reachable when its AMQP port refuses too (environment variables)', async () => {
    harness = await startHarness({ env: { AMQP_HOST: '127.0.0.1', AMQP_PORT: String(closedPort), HTTP_PORT: String(closedPort) } });
    const text = await listQueuesWhenAmqp('failed');
    expect(text).toContain('the broker itself is not reachable (its AMQP port refuses too)');
    expect(text).toContain('AMQP_HOST is wrong');
    expect(text).not.toMatch(/management plugin|HTTP_PORT/);
  });

  it('asks about the management plugin and HTTP_PORT when the broker answers AMQP (environment variables)', async () => {
    harness = await startHarness({ env: { AMQP_VHOST: vhost.name, HTTP_PORT: String(closedPort) } });
    const text = await listQueuesWhenAmqp('connected');
    expect(text).toBe(
      `management API unreachable at http://${BROKER.host}:${closedPort} (connection refused); the broker answers AMQP but not on its management port: is the management plugin enabled (rabbitmq-plugins enable rabbitmq_management) and HTTP_PORT right?`,
    );
  });

  it('under the app, says the broker is not reachable and names no variable', async () => {
    const text = await listQueuesUnderTheApp({ amqp: closedPort, management: closedPort });
    expect(text).toContain('the broker itself is not reachable (its AMQP port refuses too)');
    expect(text).toContain('check the broker profile in the RabbitMQ MCP app');
    expect(text).not.toMatch(/management plugin|HTTP_PORT|AMQP_HOST/);
  });

  it("under the app, a wrong management port is the profile's, not HTTP_PORT", async () => {
    const text = await listQueuesUnderTheApp({ amqp: BROKER.amqpPort, management: closedPort });
    expect(text).toContain(
      "the broker answers AMQP but not on its management port: is the management plugin enabled (rabbitmq-plugins enable rabbitmq_management) and the broker profile's management port right (in the RabbitMQ MCP app)?",
    );
    expect(text).not.toContain('HTTP_PORT');
  });
});
