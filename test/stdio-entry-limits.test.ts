import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, ProtocolError } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileTarget, supervisorIn } from './support/app-server.js';
import { admin, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { ensureBuilt } from './support/built-server.js';
import { callToolAsIs } from './support/tool-answer.js';

/**
 * How much one message may carry through the built stdio entry: what the app's server takes
 * (a publish_messages body at its 16 MiB limit) passes, a message over the entry's 32 MiB is
 * answered with an error for that very request, and the session goes on.
 */
const ENTRY = fileURLToPath(new URL('../dist/app/stdio-entry.mjs', import.meta.url));
const MiB = 1024 * 1024;
const vhost = useTestVhost('mcp-entry-limits');
const home = mkdtempSync(join(tmpdir(), 'mcp-entry-limits-'));
const supervisor = supervisorIn(home);
const client = new Client({ name: 'entry-limits', version: '1.0.0' });

beforeAll(async () => {
  await ensureBuilt();
  await supervisor.start(profileTarget(vhost.name, 'Big', 'write'));
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [ENTRY], env: { PATH: process.env.PATH ?? '', RABBITMQ_MCP_HOME: home } }),
  );
});

afterAll(async () => {
  await client.close();
  await supervisor.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('the stdio entry with large messages', () => {
  it("carries a publish_messages call with a 16 MiB body to the app's server and onto the queue", async () => {
    const queue = uniqueName('entry-16mib');
    await admin('PUT', `/queues/${encodeURIComponent(vhost.name)}/${queue}`, { durable: false });
    const body = 'x'.repeat(16 * MiB);
    const answer = await callToolAsIs(client, 'publish_messages', { vhost: vhost.name, routing_key: queue, messages: [{ body }] });
    expect(answer).toMatchObject({ isError: false });
    expect(answer.text).toContain('Published 1 message');
    const [message] = await admin<{ payload_bytes: number }[]>('POST', `/queues/${encodeURIComponent(vhost.name)}/${queue}/get`, {
      count: 1,
      ackmode: 'ack_requeue_false',
      encoding: 'auto',
      truncate: 16,
    });
    expect(message?.payload_bytes).toBe(16 * MiB);
  });

  it('refuses a message over 32 MiB with the id of its request, which the SDK client writes last, and goes on serving', async () => {
    // Answered with another id (or none), the call would wait for its time-out instead.
    const call = client.callTool(
      { name: 'publish_messages', arguments: { vhost: vhost.name, routing_key: 'nowhere', messages: [{ body: 'x'.repeat(33 * MiB) }] } },
      { timeout: 30_000 },
    );
    const refusal = await call.then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ProtocolError);
    expect((refusal as ProtocolError).code).toBe(-32600);
    expect((refusal as ProtocolError).message).toContain(
      'Request too large: over 32 MiB, the most one stdio message may carry; nothing was done.',
    );
    expect((await callToolAsIs(client, 'get_overview')).text).toContain(`on vhost ${vhost.name}`);
  });
});
