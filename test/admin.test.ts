import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { admin, eventually, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { useBrokerFixture } from './support/broker-fixture.js';

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-admin', args: ['--allow-destructive'] });
const users: string[] = [];
const extraVhosts: string[] = [];
const v = () => encodeURIComponent(fixture.vhost.name);

function newUser(): string {
  const name = uniqueName('mcp-admin-user');
  users.push(name);
  return name;
}

/** Whether the broker lets this user log in over AMQP with this password. */
async function canLogIn(user: string, password: string): Promise<boolean> {
  try {
    const connection = await connect({ hostname: BROKER.host, port: BROKER.amqpPort, username: user, password, vhost: fixture.vhost.name });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const user of users) await admin('DELETE', `/users/${encodeURIComponent(user)}`);
  for (const name of extraVhosts) await admin('DELETE', `/vhosts/${encodeURIComponent(name)}`);
});

describe('users and permissions', () => {
  it('creates a user who can log in, without ever echoing the password', async () => {
    const user = newUser();
    const password = `Pw-${Date.now()}-secret`;
    const created = await fixture.mcp.call('set_configuration', { kind: 'user', name: user, password, settings: { tags: 'monitoring' } });
    expect(created).toEqual({ isError: false, text: `Created user '${user}'.` });
    const granted = await fixture.mcp.call('set_configuration', {
      kind: 'permissions',
      name: user,
      settings: { configure: '^app\\.', write: '.*', read: '.*' },
    });
    expect(granted.text).toBe(`Created permissions of user '${user}' on vhost '${fixture.vhost.name}'.`);
    expect(await canLogIn(user, password)).toBe(true);
    const detail = await fixture.mcp.call('list_users', { user });
    expect(detail.text).toContain('tags: monitoring');
    // Table cells escape backslashes (and pipes), so a regex reads ^app\\. there.
    expect(detail.text).toContain(`${fixture.vhost.name} | ^app\\\\. | .* | .*`);
    const all = [created.text, granted.text, detail.text, (await fixture.mcp.call('list_users', {})).text].join('\n');
    expect(all).not.toContain(password);
    expect(all).not.toMatch(/password_hash|hashing_algorithm/);
    const { password_hash: hash } = await admin<{ password_hash: string }>('GET', `/users/${encodeURIComponent(user)}`);
    expect(all).not.toContain(hash);
  });

  it('changes tags while keeping the password, and changes the password when given', async () => {
    const user = newUser();
    await fixture.mcp.call('set_configuration', { kind: 'user', name: user, password: 'first-password' });
    await fixture.mcp.call('set_configuration', { kind: 'permissions', name: user, settings: { configure: '', write: '', read: '.*' } });
    const retagged = await fixture.mcp.call('set_configuration', {
      kind: 'user',
      name: user,
      settings: { tags: ['monitoring', 'policymaker'] },
    });
    expect(retagged.text).toBe(`Updated user '${user}': tags: [] → ["monitoring","policymaker"].`);
    expect(await canLogIn(user, 'first-password')).toBe(true);
    const changed = await fixture.mcp.call('set_configuration', { kind: 'user', name: user, password: 'second-password' });
    expect(changed.text).toMatch(/Password changed\.$/);
    expect(await canLogIn(user, 'first-password')).toBe(false);
    expect(await canLogIn(user, 'second-password')).toBe(true);
  });

  it('sets topic permissions and limits, shows them, and shows who may use a vhost', async () => {
    const user = newUser();
    await fixture.mcp.call('set_configuration', { kind: 'user', name: user, password: 'pw-topics' });
    await fixture.mcp.call('set_configuration', { kind: 'permissions', name: user, settings: { configure: '', write: '.*', read: '.*' } });
    expect(
      (
        await fixture.mcp.call('set_configuration', {
          kind: 'topic_permissions',
          name: user,
          settings: { exchange: 'amq.topic', write: '^eu\\.', read: '.*' },
        })
      ).isError,
    ).toBe(false);
    expect((await fixture.mcp.call('set_configuration', { kind: 'user_limits', name: user, settings: { max_connections: 3 } })).text).toBe(
      `Created limits of user '${user}'.`,
    );
    expect(
      (await fixture.mcp.call('set_configuration', { kind: 'vhost_limits', name: fixture.vhost.name, settings: { 'max-queues': 500 } }))
        .isError,
    ).toBe(false);
    const [topics] = await admin<{ exchange: string; write: string }[]>('GET', `/topic-permissions/${v()}/${encodeURIComponent(user)}`);
    expect(topics).toMatchObject({ exchange: 'amq.topic', write: '^eu\\.' });
    const [limits] = await admin<{ value: Record<string, number> }[]>('GET', `/user-limits/${encodeURIComponent(user)}`);
    expect(limits?.value).toEqual({ 'max-connections': 3 });
    const detail = await fixture.mcp.call('list_users', { user });
    expect(detail.text).toContain('limits: max-connections=3');
    expect(detail.text).toContain(`${fixture.vhost.name} | amq.topic | ^eu\\\\. | .*`);
    const access = await fixture.mcp.call('list_users', { vhost: fixture.vhost.name });
    expect(access.text).toContain('limits: max-queues=500');
    expect(access.text).toContain(`${user} | (none)`.replace(' | (none)', ''));
    const removed = await fixture.mcp.call('delete_configuration', { kind: 'user_limits', name: user, confirm: true });
    expect(removed.text).toBe(`Deleted limits of user '${user}'.`);
    expect((await admin<unknown[]>('GET', `/user-limits/${encodeURIComponent(user)}`)).length).toBe(0);
  });

  it('explains wrong settings with the fields that are right', async () => {
    const answer = await fixture.mcp.call('set_configuration', {
      kind: 'permissions',
      name: 'someone',
      settings: { configure: '.*', writ: '.*' },
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(
      /^Invalid settings for permissions: .*unknown setting\(s\) writ.*\. permissions takes: configure, write, read\.$/,
    );
    expect(answer.text).toMatch(/read: Invalid input: expected string, received undefined/);
    expect((await fixture.mcp.call('set_configuration', { kind: 'policy', name: 'p', password: 'x', settings: {} })).text).toBe(
      'password is only for kind user.',
    );
    expect((await fixture.mcp.call('set_configuration', { kind: 'policy', name: 'new-one', settings: { priority: 1 } })).text).toBe(
      'A new policy needs pattern and definition.',
    );
    expect((await fixture.mcp.call('set_configuration', { kind: 'user', name: uniqueName('nobody') })).text).toMatch(
      /does not exist: give a password to create it/,
    );
  });

  it('deletes a user after a preview, but never the one the server connects as', async () => {
    const user = newUser();
    await fixture.mcp.call('set_configuration', { kind: 'user', name: user, password: 'pw-delete', settings: { tags: 'monitoring' } });
    const preview = await fixture.mcp.call('delete_configuration', { kind: 'user', name: user });
    expect(preview.text).toMatch(
      new RegExp(
        `^Dry run: would delete user '${user}' \\(tags: monitoring\\) and its permissions\\. Nothing was changed\\. To do it, call delete_configuration again with the same arguments and confirm: "c-[\\w-]+" \\(valid 5 minutes, once, on this broker while it stays as previewed\\)\\.$`,
      ),
    );
    expect((await admin<{ name: string }[]>('GET', '/users')).some((u) => u.name === user)).toBe(true);
    expect((await fixture.mcp.call('delete_configuration', { kind: 'user', name: user, confirm: true })).text).toBe(
      `Deleted user '${user}'.`,
    );
    expect((await admin<{ name: string }[]>('GET', '/users')).some((u) => u.name === user)).toBe(false);
    const own = await fixture.mcp.call('delete_configuration', { kind: 'user', name: BROKER.user, confirm: true });
    expect(own.isError).toBe(true);
    expect(own.text).toMatch(/is the one this server connects as/);
  });
});

describe('vhosts', () => {
  it('creates one with settings, reports changes, and deletes it with a preview of what goes', async () => {
    const name = uniqueName('mcp-admin-vhost');
    extraVhosts.push(name);
    expect(
      (
        await fixture.mcp.call('set_configuration', {
          kind: 'vhost',
          name,
          settings: { description: 'made by a test', default_queue_type: 'quorum' },
        })
      ).text,
    ).toBe(`Created vhost '${name}'.`);
    const created = await admin<{ description: string; default_queue_type: string }>('GET', `/vhosts/${encodeURIComponent(name)}`);
    expect(created).toMatchObject({ description: 'made by a test', default_queue_type: 'quorum' });
    expect((await fixture.mcp.call('set_configuration', { kind: 'vhost', name, settings: { description: 'renamed' } })).text).toMatch(
      /^Updated vhost '.*': description: "made by a test" → "renamed"/,
    );
    await admin('PUT', `/permissions/${encodeURIComponent(name)}/${BROKER.user}`, { configure: '.*', write: '.*', read: '.*' });
    await admin('PUT', `/queues/${encodeURIComponent(name)}/keep`, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await admin('POST', `/exchanges/${encodeURIComponent(name)}/amq.default/publish`, {
      routing_key: 'keep',
      payload: 'x',
      payload_encoding: 'string',
      properties: {},
    });
    const preview = await eventually(async () => {
      const answer = await fixture.mcp.call('delete_configuration', { kind: 'vhost', name });
      return answer.text.includes('1 message') ? answer.text : undefined;
    }, 'the message to be counted');
    expect(preview).toMatch(/would delete vhost '.*' with 1 queue holding 1 message, and its exchanges/);
    expect((await fixture.mcp.call('delete_configuration', { kind: 'vhost', name, confirm: true })).text).toBe(`Deleted vhost '${name}'.`);
    expect((await admin<{ name: string }[]>('GET', '/vhosts')).some((entry) => entry.name === name)).toBe(false);
  });
});

describe('policies', () => {
  it('sets a policy, shows which applies to a queue, reports a change, and previews deletion with its reach', async () => {
    await admin('PUT', `/queues/${v()}/limited.orders`, { durable: true });
    const cap = {
      kind: 'policy',
      name: 'cap',
      settings: { pattern: '^limited\\.', definition: { 'max-length': 100 }, apply_to: 'queues' },
    };
    // max-length drops messages: destructive by effect, so a preview comes first.
    const dryRun = await fixture.mcp.call('set_configuration', cap);
    expect(dryRun.text).toContain(
      `Dry run: would set policy 'cap' in vhost '${fixture.vhost.name}', which sets max-length: it matches 1 queue now and drops 0 ready messages from 0 queues (max-length 100)`,
    );
    const set = await fixture.mcp.call('set_configuration', { ...cap, confirm: true });
    expect(set.text).toBe(`Created policy 'cap' in vhost '${fixture.vhost.name}'.`);
    await fixture.mcp.call('set_configuration', {
      kind: 'operator_policy',
      name: 'ops-cap',
      settings: { pattern: '.*', definition: { 'max-length': 5000 }, 'apply-to': 'queues' },
      confirm: true,
    });
    const listed = await fixture.mcp.call('list_policies', {});
    expect(listed.text).toContain('policy | cap | ^limited\\\\. | queues | 0 | {"max-length":100}');
    expect(listed.text).toContain('operator | ops-cap | .* | queues | 0 | {"max-length":5000}');
    const applied = await eventually(async () => {
      const answer = await fixture.mcp.call('list_policies', { queue: 'limited.orders' });
      return answer.text.includes('policy: cap') ? answer.text : undefined;
    }, 'the policy to apply');
    expect(applied).toContain('operator_policy: ops-cap');
    expect(applied).toContain('"max-length":100');
    const changed = await fixture.mcp.call('set_configuration', { kind: 'policy', name: 'cap', settings: { priority: 5 }, confirm: true });
    expect(changed.text).toBe(`Updated policy 'cap' in vhost '${fixture.vhost.name}': priority: 0 → 5.`);
    const preview = await fixture.mcp.call('delete_configuration', { kind: 'policy', name: 'cap' });
    expect(preview.text).toContain(
      `would delete policy 'cap' in vhost '${fixture.vhost.name}' ({"max-length":100}), which applies to 1 queue now`,
    );
    expect((await fixture.mcp.call('delete_configuration', { kind: 'policy', name: 'cap', confirm: true })).isError).toBe(false);
    expect((await fixture.mcp.call('delete_configuration', { kind: 'operator_policy', name: 'ops-cap', confirm: true })).isError).toBe(
      false,
    );
    expect(await admin<unknown[]>('GET', `/policies/${v()}`)).toEqual([]);
  });
});

describe('shovels and federation', () => {
  it('creates a shovel that moves messages, shows it running, restarts and deletes it', async () => {
    await admin('PUT', `/queues/${v()}/shovel.in`, { durable: true });
    await admin('PUT', `/queues/${v()}/shovel.out`, { durable: true });
    const mover = { kind: 'shovel', name: 'mover', settings: { 'src-queue': 'shovel.in', 'dest-queue': 'shovel.out' } };
    expect((await fixture.mcp.call('set_configuration', mover)).text).toContain("which takes the messages off queue 'shovel.in'");
    const created = await fixture.mcp.call('set_configuration', { ...mover, confirm: true });
    expect(created.text).toBe(`Created shovel 'mover' in vhost '${fixture.vhost.name}'.`);
    for (let index = 0; index < 5; index++) {
      await admin('POST', `/exchanges/${v()}/amq.default/publish`, {
        routing_key: 'shovel.in',
        payload: `m${index}`,
        payload_encoding: 'string',
        properties: {},
      });
    }
    await eventually(async () => {
      const queue = await admin<{ messages?: number }>('GET', `/queues/${v()}/shovel.out`);
      return queue.messages === 5 ? true : undefined;
    }, 'the shovel to move 5 messages');
    const listed = await eventually(async () => {
      const answer = await fixture.mcp.call('list_links', {});
      return answer.text.includes('mover | running') ? answer.text : undefined;
    }, 'the shovel to report running');
    expect(listed).toContain(`queue shovel.in @ amqp:///${v()} | queue shovel.out @ amqp:///${v()}`);
    expect((await fixture.mcp.call('set_configuration', { kind: 'shovel_restart', name: 'mover' })).text).toBe(
      `Restarted shovel 'mover' in vhost '${fixture.vhost.name}'; list_links shows its state.`,
    );
    expect(
      (
        await fixture.mcp.call('set_configuration', {
          kind: 'shovel',
          name: 'broken',
          settings: { 'src-queue': 'a', 'src-exchange': 'b', 'dest-queue': 'c' },
        })
      ).text,
    ).toMatch(/give src-queue or src-exchange \(one of them\)/);
    expect((await fixture.mcp.call('delete_configuration', { kind: 'shovel', name: 'mover', confirm: true })).text).toBe(
      `Deleted shovel 'mover' in vhost '${fixture.vhost.name}'.`,
    );
    expect(await admin<unknown[]>('GET', `/parameters/shovel/${v()}`)).toEqual([]);
  });

  it('sets a federation upstream, shows its link, and never shows the password in its URI', async () => {
    const secret = `fed-${Date.now()}`;
    const uri = `amqp://${BROKER.user}:${secret}@${BROKER.host}:${BROKER.amqpPort}/${v()}`;
    const created = await fixture.mcp.call('set_configuration', {
      kind: 'federation_upstream',
      name: 'origin',
      settings: { uri, exchange: 'amq.fanout' },
    });
    expect(created.text).toMatch(/^Created federation upstream 'origin' .*: a policy with federation-upstream/);
    await fixture.mcp.call('set_configuration', {
      kind: 'policy',
      name: 'federate',
      settings: { pattern: '^federated$', definition: { 'federation-upstream': 'origin' }, apply_to: 'exchanges' },
    });
    await admin('PUT', `/exchanges/${v()}/federated`, { type: 'fanout', durable: true });
    const listed = await eventually(async () => {
      const answer = await fixture.mcp.call('list_links', {});
      return /origin \| .* \| exchange federated: \w+/.test(answer.text) ? answer.text : undefined;
    }, 'the federation link to appear');
    expect(listed).toContain(`amqp://${BROKER.user}:***@${BROKER.host}:${BROKER.amqpPort}/${v()}`);
    const changed = await fixture.mcp.call('set_configuration', {
      kind: 'federation_upstream',
      name: 'origin',
      settings: { uri, exchange: 'amq.fanout', 'max-hops': 2 },
    });
    expect(changed.text).toBe(`Updated federation upstream 'origin' in vhost '${fixture.vhost.name}': max-hops: unset → 2.`);
    for (const text of [
      created.text,
      listed,
      changed.text,
      (await fixture.mcp.call('delete_configuration', { kind: 'federation_upstream', name: 'origin' })).text,
    ]) {
      expect(text).not.toContain(secret);
    }
    await fixture.mcp.call('delete_configuration', { kind: 'policy', name: 'federate', confirm: true });
    expect((await fixture.mcp.call('delete_configuration', { kind: 'federation_upstream', name: 'origin', confirm: true })).isError).toBe(
      false,
    );
  });
});

describe('get_overview', () => {
  it('says who the server is connected as, and reports feature flags', async () => {
    const answer = await fixture.mcp.call('get_overview', { include: ['features'] });
    expect(answer.text).toMatch(
      new RegExp(`connected_as: ${BROKER.user} \\(administrator\\) on vhost ${fixture.vhost.name}; management API \\d+ ms, AMQP connected`),
    );
    const flags = await admin<{ state: string }[]>('GET', '/feature-flags');
    expect(answer.text).toContain(`${flags.filter((flag) => flag.state === 'enabled').length} of ${flags.length} feature flags enabled.`);
    expect(answer.text).toMatch(
      /Deprecated features in use: not reported by this RabbitMQ version|No deprecated features in use|Deprecated features in use\n/,
    );
  });
});
