import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection } from '../electron/core/connection-test.js';
import { type ProfileSettings, defaultProfileInput } from '../electron/shared/profile.js';
import { admin, createTestVhost, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { TEST_BROKERS } from './support/test-brokers.js';

const user = uniqueName('mcp-conn-user');
const password = `Conn-${randomBytes(8).toString('hex')}`;
const vhost = useTestVhost('mcp-conn');

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
  await admin('PUT', `/users/${user}`, { password, tags: 'monitoring' });
  await admin('PUT', `/permissions/${encodeURIComponent(vhost.name)}/${user}`, { configure: '.*', write: '.*', read: '.*' });
});

afterAll(async () => {
  await admin('DELETE', `/users/${user}`);
});

describe('Test connection', () => {
  it('says everything works when it does', async () => {
    const check = await testConnection(profile(), password);
    expect(check.ok).toBe(true);
    expect(check.steps.map((step) => step.name)).toEqual(['AMQP', 'Management API', 'Virtual host']);
    const { rabbitmq_version: version } = await admin<{ rabbitmq_version: string }>('GET', '/overview');
    const connected = `Connected to ${BROKER.host}:${BROKER.amqpPort} (RabbitMQ ${version})`;
    expect(check.steps[0]?.detail?.slice(0, connected.length)).toBe(connected);
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

  it('explains a vhost that does not exist to a user who is not an administrator: ask one, no rabbitmqctl, no vhosts of others', async () => {
    const check = await testConnection(profile({ vhost: 'no-such-vhost-here' }), password);
    const step = check.steps.find((candidate) => candidate.name === 'Virtual host');
    expect(step?.ok).toBe(false);
    expect(step?.detail).toBe("The virtual host (vhost) 'no-such-vhost-here' does not exist.");
    const fix = `Check its spelling, or ask an administrator of this RabbitMQ to create 'no-such-vhost-here' and give ${user} permissions on it.`;
    expect(step?.fix).toBe(fix);
    expect(check.steps.find((candidate) => candidate.name === 'AMQP')?.fix).toBe(fix);
    expect(JSON.stringify(check)).not.toMatch(/rabbitmqctl|'\/'/);
  });

  it('tells an administrator how to make the missing vhost, naming only vhosts it may use', async () => {
    const adminUser = uniqueName('mcp-conn-admin');
    await admin('PUT', `/users/${adminUser}`, { password, tags: 'administrator' });
    await admin('PUT', `/permissions/${encodeURIComponent(vhost.name)}/${adminUser}`, { configure: '.*', write: '.*', read: '.*' });
    try {
      const check = await testConnection(profile({ user: adminUser, vhost: 'no-such-vhost-here' }), password);
      const step = check.steps.find((candidate) => candidate.name === 'Virtual host');
      expect(step?.fix).toBe(
        `Use a virtual host ${adminUser} may use ('${vhost.name}') in the Virtual host field, or create it (you are an administrator): rabbitmqctl add_vhost 'no-such-vhost-here' and rabbitmqctl set_permissions -p 'no-such-vhost-here' ${adminUser} '.*' '.*' '.*', or Admin → Virtual Hosts in the management web page.`,
      );
    } finally {
      await admin('DELETE', `/users/${adminUser}`);
    }
  });

  it('is red for a vhost that exists but the user may not use, as AMQP says', async () => {
    const other = await createTestVhost('mcp-conn-other');
    try {
      const check = await testConnection(profile({ vhost: other.name }), password);
      expect(check.ok).toBe(false);
      expect(check.steps[0]?.ok).toBe(false);
      const step = check.steps.find((candidate) => candidate.name === 'Virtual host');
      expect(step).toMatchObject({
        ok: false,
        detail: `The virtual host (vhost) '${other.name}' exists, but ${user} has no permissions on it.`,
      });
      // A monitoring user sees every vhost but not whose: the advice names none of them.
      expect(step?.fix).toBe(`Ask an administrator of this RabbitMQ to give ${user} permissions on '${other.name}'.`);
    } finally {
      await other.remove();
    }
  });

  it("names only the vhosts the user may use when it can tell (an administrator's own permissions)", async () => {
    const adminUser = uniqueName('mcp-conn-admin');
    const other = await createTestVhost('mcp-conn-other');
    await admin('PUT', `/users/${adminUser}`, { password, tags: 'administrator' });
    await admin('PUT', `/permissions/${encodeURIComponent(vhost.name)}/${adminUser}`, { configure: '.*', write: '.*', read: '.*' });
    try {
      const check = await testConnection(profile({ user: adminUser, vhost: other.name }), password);
      const step = check.steps.find((candidate) => candidate.name === 'Virtual host');
      expect(step?.ok).toBe(false);
      expect(step?.fix).toMatch(
        new RegExp(
          `^Use a virtual host ${adminUser} may use \\('${vhost.name}'\\) in the Virtual host field, or give ${adminUser} permissions`,
        ),
      );
      expect(step?.fix).not.toContain("'/'");
    } finally {
      await admin('DELETE', `/users/${adminUser}`);
      await other.remove();
    }
  });

  it('does not blame the guest rule for a wrong password on this computer (127.0.0.1)', async () => {
    const check = await testConnection(profile({ user: 'guest' }), 'not-the-guest-password');
    expect(check.steps[0]?.fix).toBe('Check the user name and password.');
    expect(JSON.stringify(check)).not.toMatch(/guest user|loopback|own computer/);
  });

  it("says guest may log in only from the broker's own computer when the broker turns it away from another address", async () => {
    // The machine's own broker's management API listens on every address (its AMQP on loopback
    // only; the 4.x test brokers listen on loopback alone): guest through another address of this
    // computer is refused with the broker's own words for it.
    const machine = TEST_BROKERS[0];
    const elsewhere = ownNonLoopbackAddress();
    const guest = profile({
      user: BROKER.user,
      vhost: '/',
      management: { host: elsewhere, port: machine?.httpPort ?? BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
    });
    const check = await testConnection(guest, BROKER.password);
    expect(check.ok).toBe(false);
    const management = check.steps.find((step) => step.name === 'Management API');
    expect(management?.detail).toBe("The broker turned the guest user away: it may log in only from the broker's own computer.");
    expect(management?.fix).toMatch(
      /^RabbitMQ lets the guest user log in only from the broker's own computer \(its loopback_users setting\)/,
    );
    expect(JSON.stringify(check)).not.toMatch(/user tag|Check the password/);
    // The same address with a wrong password: that is what to check, the guest rule is not the cause.
    const wrong = await testConnection(guest, 'not-the-guest-password');
    expect(wrong.steps[0]?.fix).toBe('Check the user name and password.');
    expect(JSON.stringify(wrong)).not.toMatch(/loopback|own computer/);
  });

  it('tells at once that the AMQP port given is a web port (the management API on 15672)', async () => {
    const started = Date.now();
    const check = await testConnection(
      profile({ amqp: { host: BROKER.host, port: BROKER.httpPort, tls: { enabled: false, verify: true } } }),
      password,
    );
    expect(Date.now() - started).toBeLessThan(4000); // the AMQP handshake alone waits for the web server's timeout
    expect(check.steps[0]).toMatchObject({
      ok: false,
      detail: `${BROKER.host}:${BROKER.httpPort} answers HTTP, not AMQP: it is a web port (the management API's is usually 15672).`,
    });
    expect(check.steps[0]?.fix).toContain('Use the AMQP port (usually 5672');
    expect(check.steps[1]?.ok).toBe(true); // the management API itself is fine
  });
});

/** An address of this computer that is not loopback: guest logging in through it is "from elsewhere" to the broker. */
function ownNonLoopbackAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;
  if (!address) throw new Error('This test needs a non-loopback IPv4 address on this machine (the broker listens on all addresses).');
  return address;
}
