import { beforeAll, describe, expect, it } from 'vitest';
import { admin, uniqueName } from './support/broker-admin.js';
import { useBrokerFixture, useTestVhost } from './support/broker-fixture.js';
import { jsonBelowSummary } from './support/tool-answer.js';

/**
 * Definitions under --vhosts and --queues: exports hide, and imports refuse, what is out of scope.
 * The server may use vhost IN, and there every queue but *.audit; vhost OUT is denied.
 */
type Item = Record<string, unknown>;

const fixture = useBrokerFixture({
  vhostPrefix: 'mcp-dscope-in',
  args: ['--allow-destructive', '--vhosts', 'mcp-dscope-in-*', '--queues', '!*.audit'],
});
const inside = fixture.vhost;
const outside = useTestVhost('mcp-dscope-out');
const DENIED = 'payroll.audit';
const ALLOWED = 'orders';
const enc = encodeURIComponent;
const REFUSED_VHOST = /Vhost '.*' is outside this server's scope \(--vhosts mcp-dscope-in-\*\)/;

async function queueNames(vhost: string): Promise<string[]> {
  return (await admin<Item[]>('GET', `/queues/${enc(vhost)}`)).map((queue) => String(queue.name)).sort();
}

async function userNames(): Promise<string[]> {
  return (await admin<Item[]>('GET', '/users')).map((user) => String(user.name)).sort();
}

beforeAll(async () => {
  const v = enc(inside.name);
  await admin('PUT', `/exchanges/${v}/payments`, { type: 'direct', durable: true });
  for (const queue of [ALLOWED, DENIED]) {
    await admin('PUT', `/queues/${v}/${queue}`, { durable: true });
    await admin('POST', `/bindings/${v}/e/payments/q/${queue}`, { routing_key: `to-${queue}` });
  }
  await admin('PUT', `/queues/${enc(outside.name)}/${ALLOWED}`, { durable: true });
});

describe('export under a scope', () => {
  it('hides the queues out of scope, and their bindings, from a vhost export', async () => {
    const answer = await fixture.mcp.call('export_definitions', { vhost: inside.name });
    expect(answer.isError).toBe(false);
    const document = jsonBelowSummary(answer) as Item;
    const queues = (document.queues as Item[]).map((queue) => queue.name);
    expect(queues).toEqual((await queueNames(inside.name)).filter((name) => name !== DENIED));
    expect((document.bindings as Item[]).map((binding) => binding.destination)).toEqual([ALLOWED]);
    expect(answer.text).not.toContain(DENIED);
  });

  it('hides other vhosts and the queues out of scope from a whole-broker export', async () => {
    const answer = await fixture.mcp.call('export_definitions');
    expect(answer.isError).toBe(false);
    const document = jsonBelowSummary(answer) as Item;
    expect((document.vhosts as Item[]).map((vhost) => vhost.name)).toContain(inside.name);
    expect(answer.text).not.toContain(outside.name);
    expect(answer.text).not.toContain(DENIED);
  });

  it('refuses to export, or serve as a resource, a vhost out of scope', async () => {
    const answer = await fixture.mcp.call('export_definitions', { vhost: outside.name });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(REFUSED_VHOST);
    await expect(fixture.mcp.client.readResource({ uri: `rabbitmq://vhosts/${enc(outside.name)}/definitions` })).rejects.toThrow(
      REFUSED_VHOST,
    );
    const allowed = await fixture.mcp.client.readResource({ uri: `rabbitmq://vhosts/${enc(inside.name)}/definitions` });
    expect((allowed.contents[0] as { text: string }).text).not.toContain(DENIED);
  });
});

describe('import under a scope', () => {
  it('refuses documents that reach out of scope, even as a dry run, and changes nothing', async () => {
    const before = { inside: await queueNames(inside.name), outside: await queueNames(outside.name), users: await userNames() };
    const queue = (name: string, vhost?: string) => ({ name, ...(vhost ? { vhost } : {}), durable: true, auto_delete: false });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'a queue out of scope in the vhost',
        { definitions: { queues: [queue('new.audit')] }, vhost: inside.name },
        /Queue 'new\.audit' in vhost '.*' is outside this server's scope \(--queues !\*\.audit\)/,
      ],
      [
        'a binding to a queue out of scope',
        {
          definitions: { bindings: [{ source: 'payments', destination: DENIED, destination_type: 'queue', routing_key: 'more' }] },
          vhost: inside.name,
        },
        /Queue 'payroll\.audit' in vhost '.*' is outside this server's scope/,
      ],
      [
        'a shovel taking messages from a queue out of scope',
        {
          definitions: {
            parameters: [
              {
                component: 'shovel',
                name: 'drain-audit',
                value: {
                  'src-uri': `amqp://localhost/${enc(inside.name)}`,
                  'src-queue': DENIED,
                  'dest-uri': `amqp://localhost/${enc(inside.name)}`,
                  'dest-queue': ALLOWED,
                },
              },
            ],
          },
          vhost: inside.name,
        },
        /Queue 'payroll\.audit' in vhost '.*' is outside this server's scope/,
      ],
      ['a vhost out of scope', { definitions: { queues: [queue('billing')] }, vhost: outside.name }, REFUSED_VHOST],
      ['a whole-broker document naming a vhost out of scope', { definitions: { queues: [queue('billing', outside.name)] } }, REFUSED_VHOST],
      [
        'users, which belong to no vhost',
        { definitions: { users: [{ name: uniqueName('mcp-dscope-user'), password_hash: '', tags: ['administrator'] }] } },
        /users are broker-wide: a server limited by --vhosts or --queues cannot import them/,
      ],
    ];
    for (const [what, args, expected] of cases) {
      for (const confirm of [false, true]) {
        const answer = await fixture.mcp.call('import_definitions', { ...args, confirm });
        expect(answer.isError, `${what}: ${answer.text}`).toBe(true);
        expect(answer.text, what).toMatch(expected);
      }
    }
    expect({ inside: await queueNames(inside.name), outside: await queueNames(outside.name), users: await userNames() }).toEqual(before);
  });

  it('imports what is in scope, placing objects that name another vhost in the target vhost', async () => {
    const definitions = { queues: [{ name: 'billing', vhost: outside.name, durable: true, auto_delete: false, arguments: {} }] };
    const answer = await fixture.mcp.call('import_definitions', { definitions, vhost: inside.name, confirm: true });
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain(`into vhost '${inside.name}' (objects the document puts in vhost '${outside.name}' go there instead)`);
    expect(await queueNames(inside.name)).toContain('billing');
    expect(await queueNames(outside.name)).not.toContain('billing');
  });
});
