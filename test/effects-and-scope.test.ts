import { beforeAll, describe, expect, it } from 'vitest';
import { admin, eventually } from './support/broker-admin.js';
import { useHarness, useTestVhost } from './support/broker-fixture.js';
import { startHarness } from './support/mcp-harness.js';

/**
 * Safety by effect: a call is as dangerous as the worst thing the broker does because of it, and
 * a scope holds for everything a call reaches, routing and policy matching included.
 */
const vhost = useTestVhost('mcp-effects');
const v = () => encodeURIComponent(vhost.name);

async function readyIn(queue: string): Promise<number | undefined> {
  const found = await admin<{ name: string; messages_ready?: number }[]>('GET', `/queues/${v()}?columns=name,messages_ready`);
  return found.find((item) => item.name === queue)?.messages_ready;
}

async function fill(queue: string, count: number): Promise<void> {
  await admin('PUT', `/queues/${v()}/${queue}`, { durable: true });
  for (let index = 0; index < count; index++) {
    await admin('POST', `/exchanges/${v()}/amq.default/publish`, {
      routing_key: queue,
      payload: `m${index}`,
      payload_encoding: 'string',
      properties: {},
    });
  }
  await eventually(async () => ((await readyIn(queue)) === count ? true : undefined), `${count} messages in ${queue}`);
}

beforeAll(async () => {
  await fill('jobs.a', 4);
  await fill('jobs.b', 3);
  await fill('payroll.audit', 2);
  await admin('POST', `/bindings/${v()}/e/amq.direct/q/payroll.audit`, { routing_key: 'payday' });
  await admin('POST', `/bindings/${v()}/e/amq.fanout/q/payroll.audit`, { routing_key: '' });
  await admin('PUT', `/exchanges/${v()}/with-alternate`, {
    type: 'direct',
    durable: true,
    arguments: { 'alternate-exchange': 'amq.fanout' },
  });
});

describe('at the write level, what would remove messages or queues is refused', () => {
  const server = useHarness(vhost, { args: ['--allow-write'] });

  it.each([
    ['a policy with max-length 0', { pattern: '^jobs\\.', definition: { 'max-length': 0 } }, 'max-length'],
    ['a policy with expires 1', { pattern: '^jobs\\.', definition: { expires: 1 } }, 'expires'],
    ['a policy with message-ttl', { pattern: '^jobs\\.', definition: { 'message-ttl': 1 } }, 'message-ttl'],
  ])('%s', async (_case, settings, key) => {
    const answer = await server.mcp.call('set_configuration', { kind: 'policy', name: 'wipe', settings, confirm: true });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain(`sets ${key}, so it counts as destructive: this server runs write`);
    expect(answer.text).toContain('--allow-destructive');
    expect(await admin<unknown[]>('GET', `/policies/${v()}`)).toEqual([]);
    expect(await readyIn('jobs.a')).toBe(4);
  });

  it('an operator policy with max-length-bytes, and a shovel from a queue', async () => {
    const operator = await server.mcp.call('set_configuration', {
      kind: 'operator_policy',
      name: 'cap',
      settings: { pattern: '.*', definition: { 'max-length-bytes': 1 } },
    });
    expect(operator.text).toContain('counts as destructive');
    const shovel = await server.mcp.call('set_configuration', {
      kind: 'shovel',
      name: 'drain',
      settings: { 'src-queue': 'jobs.a', 'dest-queue': 'jobs.b' },
    });
    expect(shovel.text).toContain("takes the messages off queue 'jobs.a'");
    expect(shovel.text).toContain('counts as destructive');
    expect(await readyIn('jobs.a')).toBe(4);
  });

  it.each([
    ['a get that acks', { ackmode: 'ack_requeue_false', count: 5, encoding: 'auto' }, 'takes the messages off the queue'],
    ['a get that rejects', { ackmode: 'reject_requeue_false', count: 5, encoding: 'auto' }, 'takes the messages off the queue'],
  ])('management_api: %s', async (_case, body, why) => {
    const answer = await server.mcp.call('management_api', { method: 'POST', path: `/api/queues/${v()}/jobs.a/get`, body });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain(why);
    expect(answer.text).toContain('needs --allow-destructive');
    expect(await readyIn('jobs.a')).toBe(4);
  });

  it('management_api: a policy that drops messages, a runtime parameter, a definitions import', async () => {
    for (const [path, body] of [
      [`/api/policies/${v()}/wipe`, { pattern: '.*', definition: { 'max-length': 0 }, 'apply-to': 'queues' }],
      [
        `/api/parameters/shovel/${v()}/drain`,
        { value: { 'src-uri': 'amqp://', 'src-queue': 'jobs.a', 'dest-uri': 'amqp://', 'dest-queue': 'x' } },
      ],
      [`/api/definitions/${v()}`, { policies: [] }],
    ] as const) {
      const answer = await server.mcp.call('management_api', { method: path.includes('definitions') ? 'POST' : 'PUT', path, body });
      expect(answer.isError, path).toBe(true);
      expect(answer.text, path).toContain('needs --allow-destructive');
    }
    expect(await readyIn('jobs.a')).toBe(4);
  });

  it('a policy that removes nothing is an ordinary write', async () => {
    const answer = await server.mcp.call('set_configuration', {
      kind: 'policy',
      name: 'lazy',
      settings: { pattern: '^nothing-matches-this$', definition: { 'dead-letter-exchange': 'dlx' } },
    });
    expect(answer.text).toBe(`Created policy 'lazy' in vhost '${vhost.name}'.`);
    await admin('DELETE', `/policies/${v()}/lazy`);
  });
});

describe('read-only: a GET that writes is a write', () => {
  it('the aliveness test declares a queue, so it needs --allow-write', async () => {
    const mcp = await startHarness({ env: { AMQP_VHOST: vhost.name } });
    try {
      const answer = await mcp.call('management_api', { path: `/api/aliveness-test/${v()}` });
      expect(answer.isError).toBe(true);
      expect(answer.text).toContain('declares a test queue and publishes to it, so it needs --allow-write');
      expect(await readyIn('aliveness-test')).toBeUndefined();
    } finally {
      await mcp.close();
    }
  });
});

describe('at the destructive level, a preview says what would be removed', () => {
  const server = useHarness(vhost, { args: ['--allow-destructive'] });

  it('a max-length policy: how many ready messages from how many queues, then done on confirm', async () => {
    // Queues of its own: the trim must not take the messages other cases count on.
    await fill('trim.a', 4);
    await fill('trim.b', 3);
    const wipe = { kind: 'policy', name: 'trim', settings: { pattern: '^trim\\.', definition: { 'max-length': 1 }, 'apply-to': 'queues' } };
    const preview = await server.mcp.call('set_configuration', wipe);
    expect(preview.text).toContain('it matches 2 queues now and drops 5 ready messages from 2 queues (max-length 1)');
    expect(await readyIn('trim.a')).toBe(4);
    expect((await server.mcp.call('set_configuration', { ...wipe, confirm: true })).text).toBe(
      `Created policy 'trim' in vhost '${vhost.name}'.`,
    );
    await eventually(async () => ((await readyIn('trim.a')) === 1 ? true : undefined), 'the policy to trim trim.a');
    await admin('DELETE', `/policies/${v()}/trim`);
  });
});

describe('a server scoped with --queues !*.audit', () => {
  const server = useHarness(vhost, { args: ['--allow-destructive', '--queues', '!*.audit'] });

  it.each([
    ['an exchange bound to it', { exchange: 'amq.direct', routing_key: 'payday', messages: [{ body: 'x' }] }],
    ['CC on the default exchange', { routing_key: 'jobs.b', messages: [{ body: 'x', headers: { CC: ['payroll.audit'] } }] }],
    ['BCC through an exchange', { exchange: 'amq.direct', routing_key: 'nothing', messages: [{ body: 'x', headers: { BCC: 'payday' } }] }],
    ['an alternate exchange', { exchange: 'with-alternate', routing_key: 'unbound', messages: [{ body: 'x' }] }],
  ])('cannot put messages into a hidden queue through %s', async (_case, args) => {
    const answer = await server.mcp.call('publish_messages', args);
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(/outside this server's scope/);
    // A hidden queue's name shows only where the caller wrote it.
    if (!JSON.stringify(args).includes('payroll.audit')) expect(answer.text).not.toContain('payroll.audit');
    expect(await readyIn('payroll.audit')).toBe(2);
    expect(await readyIn('jobs.b')).toBeLessThanOrEqual(3);
  });

  it('trace_route says a route reaches hidden queues, without naming them, instead of "dropped"', async () => {
    const answer = await server.mcp.call('trace_route', { exchange: 'amq.direct', routing_key: 'payday' });
    expect(answer.text).toContain("reaches only 1 queue outside this server's scope (not shown): it is not dropped");
    expect(answer.text).not.toContain('payroll');
  });

  it('cannot set or delete a policy, whose pattern would match the hidden queue', async () => {
    const answer = await server.mcp.call('set_configuration', {
      kind: 'policy',
      name: 'wipe',
      settings: { pattern: '.*', definition: { 'max-length': 0 } },
      confirm: true,
    });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain('policies match queues by pattern');
    const raw = await server.mcp.call('management_api', {
      method: 'PUT',
      path: `/api/policies/${v()}/wipe`,
      body: { pattern: 'audit', definition: { expires: 1 } },
      confirm: true,
    });
    expect(raw.isError).toBe(true);
    expect(await readyIn('payroll.audit')).toBe(2);
  });

  it.each([
    ['PUT', '/api/cluster-name', { name: 'mine' }],
    ['PUT', '/api/feature-flags/stream_queue/enable', {}],
    ['POST', '/api/rebalance/queues', {}],
    ['PUT', '/api/global-parameters/x', { value: 1 }],
  ] as const)('cannot change broker-wide settings: %s %s', async (method, path, body) => {
    const answer = await server.mcp.call('management_api', { method, path, body, confirm: true });
    expect(answer.isError, path).toBe(true);
    expect(answer.text, path).toMatch(/broker-wide: a server limited by --vhosts or --queues cannot change/);
  });

  it('paged answers count only what they show, so a regex cannot probe hidden names', async () => {
    const probe = (pattern: string) =>
      server.mcp.call('management_api', {
        path: `/api/queues/${v()}?page=1&page_size=1&use_regex=true&name=${encodeURIComponent(pattern)}`,
      });
    // What follows the echoed request line.
    const answerOf = async (pattern: string) => (await probe(pattern)).text.split('\n').slice(1).join('\n');
    const hidden = await answerOf('^payroll');
    expect(hidden).not.toMatch(/filtered_count|total_count|page_count|payroll/);
    expect(hidden).toBe(await answerOf('^no-such-queue'));
  });
});
