import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { brokerEnv } from './support/mcp-harness.js';
import { launchStdio } from './support/stdio-client.js';

const user = uniqueName('mcp-secret-user');
const password = `Pw-${randomBytes(12).toString('hex')}`;
const vhost = useTestVhost('mcp-secrets');

/** Every form in which a leaked password could show up. */
function leaks(text: string, secret: string): string[] {
  const forms = [
    secret,
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64'),
    Buffer.from(`${user}:${secret}`).toString('base64'),
  ];
  return forms.filter((form) => text.includes(form));
}

beforeAll(async () => {
  await admin('PUT', `/users/${user}`, { password, tags: 'administrator' });
  await admin('PUT', `/permissions/${encodeURIComponent(vhost.name)}/${user}`, { configure: '.*', write: '.*', read: '.*' });
});

afterAll(async () => {
  await admin('DELETE', `/users/${user}`);
});

describe('credentials', () => {
  it('never appear in tool output or logs, on success or failure', async () => {
    const session = await launchStdio(brokerEnv({ AMQP_USER: user, AMQP_PASSWORD: password, AMQP_VHOST: vhost.name, LOG_LEVEL: 'debug' }), [
      '--allow-destructive',
    ]);
    const outputs: string[] = [];
    try {
      for (const [tool, args] of [
        ['get_overview', { include: ['nodes', 'checks'] }],
        ['create_queue', { name: 'q' }],
        ['publish_messages', { routing_key: 'q', messages: [{ body: 'x' }] }],
        ['peek_messages', { queue: 'q' }],
        ['peek_messages', { queue: 'q', vhost: 'a-vhost-without-permissions' }],
        ['list_queues', { name: 'missing' }],
        ['list_connections', {}],
        ['delete_queue', { name: 'q', confirm: true }],
      ] as const) {
        outputs.push((await session.call(tool, args)).text);
      }
    } finally {
      await session.close();
    }
    expect(outputs.join('\n')).toContain('Deleted queue');
    expect(leaks(outputs.join('\n'), password)).toEqual([]);
    expect(session.stderr().length).toBeGreaterThan(0);
    expect(leaks(session.stderr(), password)).toEqual([]);
  });

  it('are not echoed when they are wrong', async () => {
    const wrong = `Wrong-${randomBytes(8).toString('hex')}`;
    const session = await launchStdio(brokerEnv({ AMQP_USER: user, AMQP_PASSWORD: wrong, AMQP_VHOST: vhost.name, LOG_LEVEL: 'debug' }), [
      '--allow-write',
    ]);
    let management: string;
    let amqp: string;
    try {
      management = (await session.call('list_queues')).text;
      amqp = (await session.call('publish_messages', { routing_key: 'q', messages: [{ body: 'x' }] })).text;
    } finally {
      await session.close();
    }
    expect(management).toBe(`the management API rejected the login of user '${user}' (401); check AMQP_USER and AMQP_PASSWORD`);
    expect(amqp).toMatch(
      new RegExp(
        `\\(login refused for user '${user}'\\)(; retrying in \\d+s)?; check AMQP_USER and AMQP_PASSWORD \\(guest may only log in from localhost\\)$`,
      ),
    );
    expect(leaks(`${management}\n${amqp}\n${session.stderr()}`, wrong)).toEqual([]);
  });
});
