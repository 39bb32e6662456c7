import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTools } from '../server/tools/registry.js';
import { admin, eventually } from './support/broker-admin.js';
import { useBrokerFixture, useTestVhost } from './support/broker-fixture.js';
import { connectRaw } from './support/raw-amqp.js';

/**
 * --vhosts and --queues: what is out of scope is invisible and untouchable through every tool.
 * The server may use vhost IN, and there every queue but *.audit; vhost OUT is denied.
 */
const fixture = useBrokerFixture({
  vhostPrefix: 'mcp-scope-in',
  args: ['--allow-destructive', '--vhosts', `mcp-scope-in-*`, '--queues', '!*.audit'],
});
const inside = fixture.vhost;
const outside = useTestVhost('mcp-scope-out');
let outsideConnection: ChannelModel;
const DENIED = 'payroll.audit';
const ALLOWED = 'orders';
const q = (vhost: string) => encodeURIComponent(vhost);

async function readyIn(queue: string): Promise<number> {
  const [first] = await admin<{ messages_ready?: number }[]>(
    'GET',
    `/queues/${q(inside.name)}?name=${encodeURIComponent(`^${queue.replace('.', '\\.')}$`)}&use_regex=true&columns=messages_ready,name`,
  );
  return first?.messages_ready ?? -1;
}

beforeAll(async () => {
  for (const queue of [ALLOWED, DENIED]) {
    await admin('PUT', `/queues/${q(inside.name)}/${queue}`, { durable: true });
    await admin('POST', `/bindings/${q(inside.name)}/e/amq.direct/q/${queue}`, { routing_key: 'payday' });
    await admin('POST', `/exchanges/${q(inside.name)}/amq.default/publish`, {
      routing_key: queue,
      payload: `secret of ${queue}`,
      payload_encoding: 'string',
      properties: {},
    });
  }
  await admin('PUT', `/queues/${q(outside.name)}/${ALLOWED}`, { durable: true });
  outsideConnection = await connectRaw(outside.name);
  await eventually(async () => ((await readyIn(DENIED)) === 1 ? true : undefined), 'the denied queue to show its message');
});

afterAll(async () => {
  await outsideConnection?.close().catch(() => undefined);
});

const REFUSED_QUEUE = new RegExp(
  `Queue '${DENIED.replace('.', '\\.')}' in vhost '.*' is outside this server's scope \\(--queues !\\*\\.audit\\)`,
);
/** Arguments each tool would accept in a vhost in scope: only the vhost makes them refused. */
function validArguments(tool: (typeof allTools)[number]): Record<string, unknown> {
  const byTool: Record<string, Record<string, unknown>> = {
    set_configuration: { kind: 'policy', name: 'sneaky', settings: { pattern: '.*', definition: { 'message-ttl': 1000 } } },
    delete_configuration: { kind: 'policy', name: 'sneaky', confirm: true },
    create_exchange: { name: 'sneaky', type: 'direct' },
    delete_exchange: { name: 'sneaky', confirm: true },
    create_binding: { source: 'amq.direct', destination: ALLOWED, routing_key: 'sneaky' },
    delete_binding: { source: 'amq.direct', destination: ALLOWED, routing_key: 'payday', confirm: true },
    trace_route: { exchange: 'amq.direct', routing_key: 'payday' },
    publish_messages: { routing_key: ALLOWED, messages: [{ body: 'x' }] },
    move_messages: { from: ALLOWED, to: 'elsewhere', count: 1, confirm: true },
    import_definitions: { definitions: { queues: [{ name: 'sneaky', durable: true, auto_delete: false, arguments: {} }] }, confirm: true },
    create_queue: { name: 'sneaky' },
    delete_queue: { name: ALLOWED, confirm: true },
    purge_queue: { name: ALLOWED, confirm: true },
    consume_messages: { queue: ALLOWED, confirm: true },
  };
  return byTool[tool.name] ?? ('queue' in tool.input.shape ? { queue: ALLOWED } : {});
}

const REFUSED_VHOST = /Vhost '.*' is outside this server's scope \(--vhosts mcp-scope-in-\*\)/;

describe('a vhost out of scope', () => {
  it('is not listed', async () => {
    const answer = await fixture.mcp.call('list_vhosts', {});
    expect(answer.text).toContain(inside.name);
    expect(answer.text).not.toContain(outside.name);
  });

  it('is refused by every tool that names it', async () => {
    for (const [tool, args] of [
      ['list_queues', {}],
      ['list_exchanges', {}],
      ['list_bindings', {}],
      ['peek_messages', { queue: ALLOWED }],
      ['create_queue', { name: 'sneaky' }],
      ['delete_queue', { name: ALLOWED, confirm: true }],
      ['publish_messages', { routing_key: ALLOWED, messages: [{ body: 'x' }] }],
      ['trace_route', { exchange: 'amq.direct', routing_key: 'payday' }],
      ['list_connections', { show: 'consumers' }],
    ] as const) {
      const answer = await fixture.mcp.call(tool, { ...args, vhost: outside.name });
      expect(answer.isError, tool).toBe(true);
      expect(answer.text, tool).toMatch(REFUSED_VHOST);
    }
    const queues = await admin<{ name: string }[]>('GET', `/queues/${q(outside.name)}?columns=name`);
    expect(queues.map((queue) => queue.name)).toEqual([ALLOWED]);
  });

  it('is refused by each tool that takes a vhost, with otherwise valid arguments, and nothing changes', async () => {
    const before = await admin<unknown[]>('GET', `/definitions/${q(outside.name)}`);
    const takingVhost = allTools.filter((tool) => 'vhost' in tool.input.shape);
    expect(takingVhost.length).toBeGreaterThan(20);
    for (const tool of takingVhost) {
      const answer = await fixture.mcp.call(tool.name, { ...validArguments(tool), vhost: outside.name });
      expect(answer.isError, tool.name).toBe(true);
      expect(answer.text, tool.name).toMatch(REFUSED_VHOST);
    }
    expect(await admin<unknown[]>('GET', `/definitions/${q(outside.name)}`)).toEqual(before);
  });

  it('hides its connections', async () => {
    const answer = await fixture.mcp.call('list_connections', {});
    expect(answer.isError).toBe(false);
    expect(answer.text).not.toContain(outside.name);
  });
});

describe('a queue out of scope', () => {
  it('is not listed, not found by name and not in bindings, routes or problem lists', async () => {
    const list = await fixture.mcp.call('list_queues', {});
    expect(list.text).toContain(ALLOWED);
    expect(list.text).not.toContain(DENIED);
    expect(list.text).not.toMatch(/of 2\b/);
    expect((await fixture.mcp.call('list_queues', { name: DENIED })).text).toMatch(REFUSED_QUEUE);
    expect((await fixture.mcp.call('list_bindings', {})).text).not.toContain(DENIED);
    expect((await fixture.mcp.call('list_bindings', { queue: DENIED })).text).toMatch(REFUSED_QUEUE);
    const route = await fixture.mcp.call('trace_route', { exchange: 'amq.direct', routing_key: 'payday' });
    expect(route.text).toContain(ALLOWED);
    expect(route.text).not.toContain(DENIED);
    expect((await fixture.mcp.call('find_problem_queues', {})).text).not.toContain(DENIED);
  });

  it('cannot be read, consumed, purged, deleted, published to, bound or created', async () => {
    for (const [tool, args] of [
      ['peek_messages', { queue: DENIED }],
      ['consume_messages', { queue: DENIED, confirm: true }],
      ['purge_queue', { name: DENIED, confirm: true }],
      ['delete_queue', { name: DENIED, confirm: true }],
      ['publish_messages', { routing_key: DENIED, messages: [{ body: 'x' }] }],
      ['create_binding', { source: 'amq.topic', destination: DENIED, routing_key: '#' }],
      ['delete_binding', { source: 'amq.direct', destination: DENIED, routing_key: 'payday', confirm: true }],
      ['create_queue', { name: 'new.audit' }],
      ['list_connections', { queue: DENIED }],
    ] as const) {
      const answer = await fixture.mcp.call(tool, args);
      expect(answer.isError, tool).toBe(true);
      expect(answer.text, tool).toMatch(/is outside this server's scope/);
    }
    expect(await readyIn(DENIED)).toBe(1);
    const queues = await admin<{ name: string }[]>('GET', `/queues/${q(inside.name)}?columns=name`);
    expect(queues.map((queue) => queue.name).sort()).toEqual([ALLOWED, DENIED]);
    const bindings = await admin<{ source: string }[]>('GET', `/queues/${q(inside.name)}/${DENIED}/bindings`);
    expect(bindings.map((binding) => binding.source).sort()).toEqual(['', 'amq.direct']);
  });

  it('is neither a resource nor a completion', async () => {
    await expect(fixture.mcp.client.readResource({ uri: `rabbitmq://vhosts/${q(inside.name)}/queues/${DENIED}` })).rejects.toThrow(
      /outside this server's scope/,
    );
    const completion = await fixture.mcp.client.complete({
      ref: { type: 'ref/resource', uri: 'rabbitmq://vhosts/{vhost}/queues/{queue}' },
      argument: { name: 'queue', value: '' },
      context: { arguments: { vhost: inside.name } },
    });
    expect(completion.completion.values).toContain(ALLOWED);
    expect(completion.completion.values).not.toContain(DENIED);
    const vhosts = await fixture.mcp.client.complete({
      ref: { type: 'ref/resource', uri: 'rabbitmq://vhosts/{vhost}/queues/{queue}' },
      argument: { name: 'vhost', value: 'mcp-scope' },
    });
    expect(vhosts.completion.values).not.toContain(outside.name);
  });

  it('still lets everything in scope work', async () => {
    const peek = await fixture.mcp.call('peek_messages', { queue: ALLOWED });
    expect(peek.text).toContain(`secret of ${ALLOWED}`);
    const publish = await fixture.mcp.call('publish_messages', { routing_key: ALLOWED, messages: [{ body: 'more' }] });
    expect(publish.isError).toBe(false);
  });
});

describe('the escape hatch (management_api) under a scope', () => {
  const get = (path: string) => fixture.mcp.call('management_api', { path });

  it('leaves out of every answer what is out of scope', async () => {
    for (const path of [
      `/api/queues/${q(inside.name)}`,
      '/api/queues',
      '/api/vhosts',
      `/api/bindings/${q(inside.name)}`,
      '/api/definitions',
      `/api/definitions/${q(inside.name)}`,
      '/api/permissions',
    ]) {
      const answer = await get(path);
      expect(answer.isError, path).toBe(false);
      expect(answer.text, path).not.toContain(DENIED);
      expect(answer.text, path).not.toContain(outside.name);
    }
    expect((await get(`/api/queues/${q(inside.name)}`)).text).toContain(ALLOWED);
  });

  it('refuses requests that name something out of scope, whatever the method', async () => {
    for (const args of [
      { path: `/api/queues/${q(inside.name)}/${DENIED}` },
      { path: `/api/queues/${q(outside.name)}` },
      {
        path: `/api/queues/${q(inside.name)}/${DENIED}/get`,
        method: 'POST',
        body: { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' },
      },
      {
        path: `/api/exchanges/${q(inside.name)}/amq.default/publish`,
        method: 'POST',
        body: { routing_key: DENIED, payload: 'x', payload_encoding: 'string', properties: {} },
      },
      { path: `/api/queues/${q(inside.name)}/${DENIED}`, method: 'DELETE', confirm: true },
      { path: `/api/queues/${q(outside.name)}/sneaky`, method: 'PUT', body: { durable: true } },
      { path: `/api/users/${'intruder'}`, method: 'PUT', body: { password: 'x', tags: 'administrator' } },
    ]) {
      const answer = await fixture.mcp.call('management_api', args);
      expect(answer.isError, args.path).toBe(true);
      expect(answer.text, args.path).toMatch(
        /outside this server's scope|broker-wide: a server limited by --vhosts or --queues cannot change them/,
      );
    }
    expect(await readyIn(DENIED)).toBe(1);
    expect((await admin<{ name: string }[]>('GET', '/users')).some((user) => user.name === 'intruder')).toBe(false);
  });
});

describe('the admin tools under a scope', () => {
  it('refuse other vhosts and queues out of scope, and broker-wide accounts', async () => {
    for (const [tool, args] of [
      ['list_users', { vhost: outside.name }],
      ['list_policies', { vhost: outside.name }],
      ['list_policies', { queue: DENIED }],
      ['list_links', { vhost: outside.name }],
      [
        'set_configuration',
        { kind: 'policy', name: 'p', vhost: outside.name, settings: { pattern: '.*', definition: { 'max-length': 1 } } },
      ],
      ['set_configuration', { kind: 'shovel', name: 'drain', settings: { 'src-queue': DENIED, 'dest-queue': ALLOWED } }],
      ['set_configuration', { kind: 'vhost', name: 'some-other-vhost' }],
      ['set_configuration', { kind: 'user', name: 'intruder', password: 'pw-intruder' }],
      ['delete_configuration', { kind: 'vhost', name: outside.name, confirm: true }],
    ] as const) {
      const answer = await fixture.mcp.call(tool, args);
      expect(answer.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
      expect(answer.text, tool).toMatch(/outside this server's scope|broker-wide/);
    }
    expect((await admin<{ name: string }[]>('GET', '/vhosts')).some((entry) => entry.name === outside.name)).toBe(true);
    expect(await admin<unknown[]>('GET', `/parameters/shovel/${q(inside.name)}`)).toEqual([]);
    expect((await fixture.mcp.call('list_users', {})).text).not.toContain(outside.name);
  });
});
