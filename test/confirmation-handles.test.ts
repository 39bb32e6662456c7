import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfirmationHandles, withinPreview } from '../server/mcp/confirmations.js';
import { admin, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { useHarness, useTestVhost } from './support/broker-fixture.js';
import { startHarness } from './support/mcp-harness.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TEST_BROKERS } from './support/test-brokers.js';
import { callToolAsIs, handleOf } from './support/tool-answer.js';

const vhost = useTestVhost('mcp-handles');
const server = useHarness(vhost, { args: ['--allow-destructive'] });
const q = (name: string) => `/queues/${encodeURIComponent(vhost.name)}/${encodeURIComponent(name)}`;

/** Declares the queue if needed and publishes `messages` more; resolves once the broker counts them. */
async function queueWith(name: string, messages: number): Promise<string> {
  await admin('PUT', q(name), { durable: true });
  const count = () =>
    server.mcp.broker.amqp.forVhost(vhost.name).withChannel('count', async (channel) => (await channel.checkQueue(name)).messageCount);
  const before = await count();
  for (let index = 0; index < messages; index++) {
    await admin('POST', `/exchanges/${encodeURIComponent(vhost.name)}/amq.default/publish`, {
      routing_key: name,
      payload: `m${index}`,
      payload_encoding: 'string',
      properties: {},
    });
  }
  await expect.poll(count).toBe(before + messages);
  return name;
}

const exists = async (name: string) => (await fetchQueue(name)) !== undefined;
async function fetchQueue(name: string): Promise<unknown> {
  const queues = await admin<{ name: string }[]>('GET', `/queues/${encodeURIComponent(vhost.name)}?columns=name`);
  return queues.find((queue) => queue.name === name);
}

/** A dry run, asserted to be one, and its handle. */
async function preview(tool: string, args: Record<string, unknown>): Promise<string> {
  const answer = await callToolAsIs(server.mcp.client, tool, args);
  expect(answer.text).toMatch(/^Dry run: /);
  const handle = handleOf(answer.text);
  expect(handle).toBeDefined();
  return handle as string;
}

describe('a dry run hands out a handle that confirms its own call', () => {
  it('once: the handle deletes the queue, and confirm: true alone changes nothing', async () => {
    const name = await queueWith('handle-once', 0);
    const alone = await callToolAsIs(server.mcp.client, 'delete_queue', { name, confirm: true });
    expect(alone.text).toMatch(
      /^confirm: true is not a confirmation here: confirm with the dry run's handle\. Dry run: would delete queue/,
    );
    expect(await exists(name)).toBe(true);

    const handle = await preview('delete_queue', { name });
    const done = await callToolAsIs(server.mcp.client, 'delete_queue', { name, confirm: handle });
    expect(done.text).toBe(`Deleted queue '${name}' in vhost '${vhost.name}' with 0 ready messages and 0 consumers.`);
    expect(await exists(name)).toBe(false);
  });

  it('is used up by its call: the same handle again is refused with a fresh preview', async () => {
    const name = await queueWith('handle-reuse', 2);
    const handle = await preview('purge_queue', { name });
    expect((await callToolAsIs(server.mcp.client, 'purge_queue', { name, confirm: handle })).text).toMatch(/^Purged 2 messages/);
    await queueWith(name, 2);
    const again = await callToolAsIs(server.mcp.client, 'purge_queue', { name, confirm: handle });
    expect(again.text).toMatch(
      /^Not done: this server did not issue that handle, or it was used already: .*Nothing was changed; here is the call as it stands now\. Dry run: would purge 2 ready messages/,
    );
    expect(handleOf(again.text)).not.toBe(handle);
  });

  it('confirms only the call it was issued for: not another queue, not other arguments', async () => {
    const previewed = await queueWith('handle-mine', 0);
    const other = await queueWith('handle-other', 0);
    const handle = await preview('delete_queue', { name: previewed });
    const elsewhere = await callToolAsIs(server.mcp.client, 'delete_queue', { name: other, confirm: handle });
    expect(elsewhere.text).toMatch(/^Not done: the handle was issued for another call \(delete_queue with other arguments\)/);
    const otherTool = await callToolAsIs(server.mcp.client, 'purge_queue', { name: previewed, confirm: handle });
    expect(otherTool.text).toMatch(/^Not done: the handle was issued for another call/);
    expect(await exists(previewed)).toBe(true);
    expect(await exists(other)).toBe(true);
    // Still good for its own call: a wrong try does not use it up.
    expect((await callToolAsIs(server.mcp.client, 'delete_queue', { name: previewed, confirm: handle })).text).toMatch(/^Deleted queue/);
  });

  it('is refused when the queue holds more than the preview said, and holds when it holds fewer', async () => {
    const name = await queueWith('handle-grew', 3);
    const handle = await preview('purge_queue', { name });
    await queueWith(name, 2);
    const grew = await callToolAsIs(server.mcp.client, 'purge_queue', { name, confirm: handle });
    expect(grew.text).toMatch(
      /^Not done: the broker changed since the preview, which said it would purge 3 ready messages .*Nothing was changed; here is the call as it stands now\. Dry run: would purge 5 ready messages/,
    );

    const fresh = handleOf(grew.text) as string;
    await admin('DELETE', `${q(name)}/contents`);
    await queueWith(name, 1);
    const fewer = await callToolAsIs(server.mcp.client, 'purge_queue', { name, confirm: fresh });
    expect(fewer.text).toMatch(/^Purged 1 message from queue/);
  });

  it('is void on another server: a handle is only known to the server process that issued it', async () => {
    const name = await queueWith('handle-elsewhere', 0);
    const handle = await preview('delete_queue', { name });
    const second = await startHarness({ args: ['--allow-destructive'], env: { AMQP_VHOST: vhost.name } });
    try {
      const answer = await second.call('delete_queue', { name, confirm: handle });
      expect(answer.text).toMatch(/^Not done: this server did not issue that handle/);
      expect(await exists(name)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('still asks the user when the client can ask: a handle never answers for them', async () => {
    const name = await queueWith('handle-asked', 0);
    const handle = await preview('delete_queue', { name });
    const questions: string[] = [];
    const asking = await startHarness({
      args: ['--allow-destructive'],
      env: { AMQP_VHOST: vhost.name },
      capabilities: { elicitation: {} },
      beforeConnect: (client) =>
        client.setRequestHandler('elicitation/create', async (request) => {
          questions.push(request.params.message);
          return { action: 'decline' };
        }),
    });
    try {
      // The handle came from another server: refused before anyone is asked.
      expect((await asking.call('delete_queue', { name, confirm: handle })).text).toMatch(/^Not done: this server did not issue/);
      expect(questions).toEqual([]);
      const own = handleOf((await callToolAsIs(asking.client, 'delete_queue', { name })).text);
      // Asked straight away (no dry run) when the client can ask; then the handle-less true is asked too.
      expect(own).toBeUndefined();
      expect(questions).toHaveLength(1);
      const declined = await callToolAsIs(asking.client, 'delete_queue', { name, confirm: true });
      expect(declined.text).toMatch(/^Not done: the user declined the confirmation/);
      expect(questions).toHaveLength(2);
      expect(await exists(name)).toBe(true);
    } finally {
      await asking.close();
    }
  });
});

/** The broker a name reaches changes (DNS failover, a load balancer, a reused host name). */
describe('a handle is bound to the broker its preview was read from', () => {
  const other = TEST_BROKERS.find((broker) => broker.httpPort !== BROKER.httpPort);
  const amqp = new TcpProxy(BROKER.host, BROKER.amqpPort);
  const http = new TcpProxy(BROKER.host, BROKER.httpPort);
  const name = uniqueName('handle-moved');
  const otherVhost = () => `/api/vhosts/${encodeURIComponent(vhost.name)}`;
  const otherAdmin = (method: string, path: string, body?: unknown) =>
    fetch(`http://${BROKER.host}:${other?.httpPort}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    await Promise.all([amqp.start(), http.start()]);
    if (!other) return;
    // The same vhost and queue on the other broker: only its cluster tells them apart.
    await otherAdmin('PUT', otherVhost(), {});
    await otherAdmin('PUT', `/api/permissions/${encodeURIComponent(vhost.name)}/guest`, { configure: '.*', write: '.*', read: '.*' });
    await otherAdmin('PUT', `/api${q(name)}`, { durable: true });
  });
  afterAll(async () => {
    await Promise.all([amqp.close(), http.close()]);
    if (other) await otherAdmin('DELETE', otherVhost());
  });

  it.runIf(other !== undefined)('refuses a handle once the same address reaches another cluster', async () => {
    await admin('PUT', q(name), { durable: true });
    const moved = await startHarness({
      args: ['--allow-destructive'],
      env: { AMQP_VHOST: vhost.name, AMQP_PORT: String(amqp.port), HTTP_PORT: String(http.port) },
    });
    try {
      const dry = await callToolAsIs(moved.client, 'delete_queue', { name });
      const handle = handleOf(dry.text) as string;
      expect(handle).toBeDefined();
      amqp.retarget(BROKER.host, other?.amqpPort as number);
      http.retarget(BROKER.host, other?.httpPort as number);
      // The server reconnects through the same address, now to the other broker.
      await expect.poll(async () => (await moved.call('get_overview')).text).toContain(`RabbitMQ ${other?.series}.`);
      await expect.poll(() => moved.broker.amqp.default.state.status).toBe('connected');
      const answer = await callToolAsIs(moved.client, 'delete_queue', { name, confirm: handle });
      expect(answer.text).toMatch(/^Not done: the handle was issued on another broker \(cluster '.+'; this call reaches cluster '.+'\)/);
      expect((await otherAdmin('GET', `/api${q(name)}`)).status).toBe(200);
      expect(await exists(name)).toBe(true);
    } finally {
      await moved.close();
    }
  });
});

describe('handles, by the clock and by the numbers', () => {
  it('expire after their time, and say so', () => {
    let now = 0;
    const handles = new ConfirmationHandles(60_000, () => now);
    const call = { tool: 'purge_queue', args: '{"name":"a"}', broker: "cluster 'x'", preview: 'would purge 3 ready messages' };
    const handle = handles.issue(call);
    now = 60_001;
    expect(handles.check(handle, call)).toEqual({ ok: false, why: "the handle expired (a dry run's handle lasts 1 minutes)" });
  });

  it('hold while no count grew and every word is the same', () => {
    expect(withinPreview('would purge 3 ready messages (1 consumer)', 'would purge 3 ready messages (1 consumer)')).toBe(true);
    expect(withinPreview('would purge 3 ready messages (1 consumer)', 'would purge 2 ready messages (0 consumer)')).toBe(true);
    expect(withinPreview('would purge 3 ready messages', 'would purge 4 ready messages')).toBe(false);
    expect(withinPreview('would purge 3 ready messages (2 consumers)', 'would purge 1 ready message (1 consumer)')).toBe(true);
    expect(withinPreview("would delete queue 'a2'", "would delete queue 'a1'")).toBe(false);
    expect(withinPreview('bindings (to q2)', 'bindings (to q1)')).toBe(false);
    expect(withinPreview('to q1, q2', 'to q1, q2, q3')).toBe(false);
  });
});
