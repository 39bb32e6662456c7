import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { useBrokerFixture, useHarness, useTestVhost } from './support/broker-fixture.js';

const fixture = useBrokerFixture();

beforeAll(async () => {
  await admin('PUT', `/vhost-limits/${encodeURIComponent(fixture.vhost.name)}/max-queues`, { value: 42 });
});

describe('get_overview', () => {
  it('names the broker version, the user and the totals', async () => {
    const overview = await admin<{ rabbitmq_version: string }>('GET', '/overview');
    const answer = await fixture.mcp.call('get_overview');
    expect(answer.isError).toBe(false);
    expect(answer.text).toContain(`broker: RabbitMQ ${overview.rabbitmq_version}`);
    expect(answer.text).toContain(`connected_as: guest (administrator) on vhost ${fixture.vhost.name}; management API `);
    expect(answer.text).toMatch(/management API \d+ ms, AMQP (connected|connecting)/);
    expect(answer.text).toMatch(/objects: \d+ queues?, \d+ exchanges?, \d+ connections?/);
    expect(answer.text).toContain('alarms: none');
    expect(answer.text).toMatch(new RegExp(`listeners: .*amqp .*:${BROKER.amqpPort}\\b`));
  });

  it('adds node detail with a memory breakdown', async () => {
    const nodes = await admin<{ name: string }[]>('GET', '/nodes');
    const answer = await fixture.mcp.call('get_overview', { include: ['nodes'] });
    expect(answer.text).toContain(`${nodes[0]?.name} (disc, running, up`);
    expect(answer.text).toMatch(/memory: [\d.]+ MiB of [\d.]+ GiB limit \(\d+%\)/);
    expect(answer.text).toMatch(/memory_top: \w+ [\d.]+ (MiB|KiB)/);
    expect(answer.text).toMatch(/file_descriptors: \d+\/\d+/);
  });

  it('runs the management health checks', async () => {
    const answer = await fixture.mcp.call('get_overview', { include: ['checks'] });
    expect(answer.text).toMatch(/All \d+ checks passed on node/);
    expect(answer.text).toContain('ok     alarms');
    expect(answer.text).toContain('ok     amqp listener');
    expect(answer.text).toContain('ok     no certificate expires within 30 days');
  });
});

describe('list_vhosts', () => {
  it('lists vhosts with the test vhost among them', async () => {
    const answer = await fixture.mcp.call('list_vhosts');
    expect(answer.text).toContain(`default for tools: ${fixture.vhost.name}`);
    expect(answer.text).toMatch(new RegExp(`^${fixture.vhost.name} \\| running \\| \\d+`, 'm'));
  });

  it('describes one vhost with its limits and permissions', async () => {
    const answer = await fixture.mcp.call('list_vhosts', { name: fixture.vhost.name });
    expect(answer.text).toContain(`vhost: ${fixture.vhost.name}`);
    expect(answer.text).toContain('limits: {"max-queues":42}');
    expect(answer.text).toContain('permissions: guest configure=.* write=.* read=.*');
    expect(answer.text).toContain('description: created by rabbitmq-mcp-server tests');
  });

  it('says a vhost is missing', async () => {
    const answer = await fixture.mcp.call('list_vhosts', { name: 'no-such-vhost' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toBe("vhost 'no-such-vhost' not found; list_vhosts shows the existing ones");
  });
});

describe('a vhost the user may not use', () => {
  const user = uniqueName('mcp-vhost-denied');
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const own = useTestVhost('mcp-denied-own');
  const other = useTestVhost('mcp-denied-other');
  beforeAll(async () => {
    await admin('PUT', `/users/${user}`, { password, tags: 'monitoring' });
    await admin('PUT', `/permissions/${encodeURIComponent(own.name)}/${user}`, { configure: '.*', write: '.*', read: '.*' });
  });
  afterAll(async () => {
    await admin('DELETE', `/users/${user}`);
  });
  const server = useHarness(own, { env: { AMQP_USER: user, AMQP_PASSWORD: password } });

  // RabbitMQ 3.10 and 4.0 refuse it with 401; 4.3 with a 404 from the same access check.
  it('is named as one the user has no permissions in, not as missing', async () => {
    const answer = await server.mcp.call('list_queues', { vhost: other.name });
    expect(answer).toEqual({
      isError: true,
      text: expect.stringContaining(`user '${user}' may not use vhost '${other.name}' (no permissions there)`),
    });
  });

  it('is told apart from a vhost that does not exist', async () => {
    const answer = await server.mcp.call('list_queues', { vhost: 'no-such-vhost' });
    expect(answer).toEqual({ isError: true, text: expect.stringContaining("vhost 'no-such-vhost' not found") });
  });
});
