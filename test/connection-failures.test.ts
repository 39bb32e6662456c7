import { afterEach, describe, expect, it } from 'vitest';
import { BROKER } from './support/broker-env.js';
import { type Harness, startHarness } from './support/mcp-harness.js';

let mcp: Harness | undefined;

afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
});

async function answers(env: Record<string, string>, args: string[] = ['--allow-write']): Promise<{ amqp: string; management: string }> {
  mcp = await startHarness({ args, env: { LOG_LEVEL: 'silent', REQUEST_TIMEOUT: '5', ...env } });
  const amqp = await mcp.call('publish_messages', { routing_key: 'nowhere', messages: [{ body: 'x' }] });
  const management = await mcp.call('list_queues');
  expect(amqp.isError).toBe(true);
  return { amqp: amqp.text, management: management.text };
}

describe('a misconfigured broker connection is explained', () => {
  it('a port where nothing listens', async () => {
    const { amqp, management } = await answers({ AMQP_PORT: '1', HTTP_PORT: '2' });
    expect(amqp).toMatch(/^broker unreachable at 127\.0\.0\.1:1 \(connection refused\); retrying in \d+s$/);
    // AMQP refused too: the broker is down, not its management plugin.
    expect(management).toContain(
      'management API unreachable at http://127.0.0.1:2 (connection refused); the broker itself is not reachable (its AMQP port refuses too)',
    );
    expect(management).not.toContain('management plugin');
  });

  it('TLS against the plain AMQP and HTTP ports', async () => {
    const { amqp, management } = await answers({ AMQP_USE_TLS: 'true', HTTP_USE_TLS: 'true' });
    expect(amqp).toMatch(
      new RegExp(
        `^broker unreachable at ${BROKER.host}:${BROKER.amqpPort} \\((TLS handshake failed: the port does not speak TLS|connection closed during the handshake)`,
      ),
    );
    expect(management).toContain(
      `management API unreachable at https://${BROKER.host}:${BROKER.httpPort} (TLS handshake failed: the port does not speak TLS`,
    );
  });

  it('a vhost that does not exist', async () => {
    const { amqp } = await answers({ AMQP_VHOST: 'no-such-vhost-for-sure' });
    expect(amqp).toContain("no access to vhost 'no-such-vhost-for-sure': it does not exist or user 'guest' has no permissions on it");
  });
});
