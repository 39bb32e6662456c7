import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection } from '../electron/core/connection-test.js';
import { type ProfileSettings, defaultProfileInput } from '../electron/core/profiles/profile.js';
import { admin, createTestVhost, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';

const user = uniqueName('mcp-conn-user');
const password = `Conn-${randomBytes(8).toString('hex')}`;
let vhost: { name: string; remove: () => Promise<void> };

function profile(overrides: Partial<ProfileSettings> = {}): ProfileSettings {
  return {
    ...defaultProfileInput('Test'),
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
    user,
    vhost: vhost.name,
    ...overrides,
  };
}

beforeAll(async () => {
  vhost = await createTestVhost('mcp-conn');
  await admin('PUT', `/users/${user}`, { password, tags: 'monitoring' });
  await admin('PUT', `/permissions/${encodeURIComponent(vhost.name)}/${user}`, { configure: '.*', write: '.*', read: '.*' });
});

afterAll(async () => {
  await admin('DELETE', `/users/${user}`);
  await vhost?.remove();
});

describe('Test connection', () => {
  it('says everything works when it does', async () => {
    const check = await testConnection(profile(), password);
    expect(check.ok).toBe(true);
    expect(check.steps.map((step) => step.name)).toEqual(['AMQP', 'Management API', 'Virtual host']);
    expect(check.steps[0]?.detail).toMatch(/^Connected to 127\.0\.0\.1:5672 \(RabbitMQ 3\.\d+\.\d+\)/);
    expect(check.steps[1]?.detail).toContain('has tags: monitoring');
  });

  it('explains a wrong password on both AMQP and the management API', async () => {
    const check = await testConnection(profile(), 'wrong-password');
    expect(check.ok).toBe(false);
    const [amqp, management] = check.steps;
    expect(amqp?.detail).toContain(`login refused for user '${user}'`);
    expect(amqp?.fix).toContain('Check the user name and password');
    expect(management?.fix).toContain('refused the user name or password');
    expect(JSON.stringify(check)).not.toContain(password);
  });

  it('explains a wrong port', async () => {
    const check = await testConnection(
      profile({ amqp: { host: BROKER.host, port: 5999, tls: { enabled: false, verify: true } } }),
      password,
    );
    expect(check.steps[0]?.detail).toBe('AMQP connection to 127.0.0.1:5999 failed: connection refused.');
    expect(check.steps[0]?.fix).toContain('Check the host, the AMQP port (5672, or 5671 with TLS) and that RabbitMQ runs');
  });

  it('explains TLS against a plain port', async () => {
    const tls = { enabled: true, verify: true };
    const check = await testConnection(profile({ amqp: { host: BROKER.host, port: BROKER.amqpPort, tls } }), password);
    expect(check.steps[0]?.ok).toBe(false);
    expect(check.steps[0]?.fix).toBe('This port does not speak TLS: turn TLS off (port 5672) or use the TLS port (usually 5671).');
  });

  it('explains a management plugin that is off (nothing on its port) while AMQP works', async () => {
    const check = await testConnection(
      profile({ management: { host: BROKER.host, port: 15999, basePath: '', tls: { enabled: false, verify: true } } }),
      password,
    );
    expect(check.steps[0]?.ok).toBe(true);
    expect(check.steps[1]?.ok).toBe(false);
    expect(check.steps[1]?.fix).toContain('Enable the management plugin (rabbitmq-plugins enable rabbitmq_management)');
  });

  it('explains a vhost that does not exist', async () => {
    const check = await testConnection(profile({ vhost: 'no-such-vhost-here' }), password);
    expect(check.steps.find((step) => step.name === 'AMQP')?.fix).toContain("create 'no-such-vhost-here'");
    const step = check.steps.find((candidate) => candidate.name === 'Virtual host');
    expect(step?.ok).toBe(false);
    expect(step?.detail).toBe(`Vhost 'no-such-vhost-here' does not exist, or ${user} has no permissions on it.`);
    expect(step?.fix).toMatch(
      new RegExp(`^Pick an existing vhost \\(.*'${vhost.name}'.*\\), create it with rabbitmqctl add_vhost 'no-such-vhost-here'`),
    );
  });
});
