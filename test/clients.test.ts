import { type ChannelModel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { CountingProxy } from './support/counting-proxy.js';
import { useBrokerFixture } from './support/broker-fixture.js';
import { startHarness } from './support/mcp-harness.js';

const fixture = useBrokerFixture({ args: ['--allow-destructive'] });
let app: ChannelModel;
const appName = uniqueName('billing-worker');

/** An application's connection to the fixture's vhost, under the client-provided name `clientName`. */
async function connectApp(clientName: string): Promise<ChannelModel> {
  const connection = await connect(
    { hostname: BROKER.host, port: BROKER.amqpPort, username: BROKER.user, password: BROKER.password, vhost: fixture.vhost.name },
    { clientProperties: { connection_name: clientName } },
  );
  connection.on('error', () => undefined);
  return connection;
}

beforeAll(async () => {
  app = await connectApp(appName);
  const channel = await app.createChannel();
  await channel.assertQueue('work', { durable: true });
  await channel.prefetch(7);
  await channel.consume('work', () => undefined, { consumerTag: 'worker-1' });
  for (let i = 0; i < 3; i++) channel.sendToQueue('work', Buffer.from('job'));
});

afterAll(async () => {
  await app?.close().catch(() => undefined);
});

async function appConnectionName(clientName = appName): Promise<string> {
  return eventually(async () => {
    const listed = await fixture.mcp.call('list_connections', { vhost: fixture.vhost.name });
    const row = listed.text.split('\n').find((line) => line.includes(clientName));
    return row?.split(' | ')[0];
  }, `the connection of ${clientName} to show up`);
}

describe('connections, channels and consumers', () => {
  it('lists the application connection with its client name and user', async () => {
    const name = await appConnectionName();
    // Its state and channel count settle a moment after the connection appears.
    const row = `${name} | guest | ${fixture.vhost.name} | ${appName} | running | 1`;
    const listed = await eventually(async () => {
      const answer = await fixture.mcp.call('list_connections', { vhost: fixture.vhost.name });
      return answer.text.includes(row) ? answer.text : undefined;
    }, 'the connection to be running with its channel');
    expect(listed).toContain(row);
  });

  it('filters by the names the list shows: the client-provided name, in one vhost and across all', async () => {
    const name = await appConnectionName();
    const word = appName.split('-')[0] as string; // "billing", a part of the client's own name only
    expect(name).not.toContain(word);
    for (const args of [{ vhost: fixture.vhost.name }, {}]) {
      const found = await fixture.mcp.call('list_connections', { ...args, filter: word });
      expect(found.text, JSON.stringify(args)).toContain(appName);
      const none = await fixture.mcp.call('list_connections', { ...args, filter: `${appName}-not-this` });
      expect(none.text).toMatch(/^No connections/);
    }
    // The broker lists a consumer once its statistics have it, a moment after the connection.
    const consumers = await eventually(async () => {
      const answer = await fixture.mcp.call('list_connections', { vhost: fixture.vhost.name, show: 'consumers', filter: '^worker-1$' });
      return answer.text.startsWith('No consumers') ? undefined : answer.text;
    }, 'the consumer to be listed');
    expect(consumers).toContain('worker-1'); // the consumer tag
    const byQueue = await fixture.mcp.call('list_connections', { vhost: fixture.vhost.name, show: 'consumers', filter: '^work$' });
    expect(byQueue.text).toContain('worker-1');
  });

  it('shows one connection in detail with its channel prefetch and unacked count', async () => {
    const name = await appConnectionName();
    const detail = await eventually(async () => {
      const answer = await fixture.mcp.call('list_connections', { name });
      return /\| 7 \| 3 \| 1 \|/.test(answer.text) ? answer.text : undefined;
    }, 'channel statistics');
    expect(detail).toContain(`client: ${appName}`);
    expect(detail).toContain('channels: 1');
  });

  it('lists channels across vhosts, most unacked first', async () => {
    const answer = await eventually(async () => {
      const listed = await fixture.mcp.call('list_connections', { show: 'channels', vhost: fixture.vhost.name });
      return listed.text.includes('| 7 | 3 | 1 |') ? listed.text : undefined;
    }, 'channel statistics');
    expect(answer.split('\n')[0]).toBe('name | user | vhost | state | prefetch | unacked | consumers | confirm | publish/s | deliver/s');
  });

  it('lists consumers of a queue', async () => {
    const answer = await eventually(async () => {
      const listed = await fixture.mcp.call('list_connections', { show: 'consumers', queue: 'work' });
      return listed.text.includes('worker-1') ? listed.text : undefined;
    }, 'the consumer');
    expect(answer).toMatch(/work \| worker-1 \| .* \| guest \| 7 \| manual \| yes \| no/);
  });

  it('previews, then closes the connection, and the application sees it closed', async () => {
    // A connection of its own: the other cases list the shared one.
    const closingName = uniqueName('closing-worker');
    const closing = await connectApp(closingName);
    await closing.createChannel();
    const name = await appConnectionName(closingName);
    const closed = new Promise<void>((resolve) => closing.once('close', () => resolve()));
    // The channel count settles a moment after the connection appears.
    const preview = await eventually(async () => {
      const answer = await fixture.mcp.call('close_connection', { name });
      return answer.text.includes('1 channel)') ? answer : undefined;
    }, 'the connection to show its channel');
    expect(preview.text).toContain(
      `Dry run: would close connection '${name}' (user guest, vhost ${fixture.vhost.name}, client ${closingName}, 1 channel)`,
    );
    const done = await fixture.mcp.call('close_connection', { name, reason: 'test says bye', confirm: true });
    expect(done.isError).toBe(false);
    await closed;
    const again = await fixture.mcp.call('close_connection', { name, confirm: true });
    expect(again.isError).toBe(true);
    expect(again.text).toContain('not found (it may have closed already)');
  });
});

/**
 * The real management API behind a forwarding proxy that answers the next GET of one connection
 * with the 500 RabbitMQ gives when that connection closes between its own lookups (a race too
 * short to hit on purpose).
 */
async function racingManagementApi(): Promise<{ port: number; raceOn: (name: string) => void; close: () => Promise<void> }> {
  let racing: string | undefined;
  const proxy = new CountingProxy(BROKER.host, BROKER.httpPort, (incoming, outgoing) => {
    if (!racing || incoming.method !== 'GET' || incoming.url !== `/api/connections/${encodeURIComponent(racing)}`) return false;
    racing = undefined;
    outgoing.writeHead(500, { 'content-type': 'application/json' });
    outgoing.end(JSON.stringify({ error: 'Internal Server Error', reason: 'function_clause' }));
    return true;
  });
  return {
    port: await proxy.start(),
    raceOn: (name) => {
      racing = name;
    },
    close: () => proxy.stop(),
  };
}

describe('a connection that closes while the broker looks it up', () => {
  it('is reported as not found when it is no longer listed, and as a broker error while it still is', async () => {
    const proxy = await racingManagementApi();
    const viaProxy = await startHarness({
      args: ['--allow-destructive'],
      env: { AMQP_VHOST: fixture.vhost.name, HTTP_PORT: String(proxy.port) },
    });
    const other = await connectApp(uniqueName('short-lived'));
    try {
      const name = await eventually(async () => {
        const listed = await viaProxy.call('list_connections', { vhost: fixture.vhost.name });
        return listed.text
          .split('\n')
          .find((line) => line.includes('short-lived'))
          ?.split(' | ')[0];
      }, 'the short-lived connection to show up');

      proxy.raceOn(name);
      const whileOpen = await viaProxy.call('close_connection', { name });
      expect(whileOpen.isError).toBe(true);
      expect(whileOpen.text).toContain('management API error 500');

      await other.close();
      await eventually(async () => {
        const listed = await viaProxy.call('list_connections', { vhost: fixture.vhost.name });
        return listed.text.includes(name) ? undefined : true;
      }, 'the connection to leave the list');
      proxy.raceOn(name);
      const afterClose = await viaProxy.call('list_connections', { name });
      expect(afterClose.isError).toBe(true);
      expect(afterClose.text).toContain(`connection '${name}' not found (it may have closed already)`);
    } finally {
      await other.close().catch(() => undefined);
      await viaProxy.close();
      await proxy.close();
    }
  });
});
