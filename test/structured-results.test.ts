import { type ChannelModel, connect } from 'amqplib';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueName } from './support/broker-admin.js';
import { useHarness, useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';

const STRUCTURED = ['list_queues', 'list_exchanges', 'list_connections', 'find_problem_queues', 'get_overview'];

const vhost = useTestVhost('mcp-structured');
let app: ChannelModel;
const client = uniqueName('orders-service');

beforeAll(async () => {
  app = await connect(
    { hostname: BROKER.host, port: BROKER.amqpPort, username: BROKER.user, password: BROKER.password, vhost: vhost.name },
    { clientProperties: { connection_name: client } },
  );
  const channel = await app.createChannel();
  await channel.assertQueue('orders', { durable: true });
  await channel.consume('orders', () => undefined, { consumerTag: 'orders-worker' });
  await channel.assertQueue('backlog', { durable: true });
  for (let i = 0; i < 3; i++) channel.sendToQueue('backlog', Buffer.from(`job ${i}`));
  await channel.assertExchange('events', 'topic', { durable: true });
});

afterAll(async () => {
  await app?.close().catch(() => undefined);
});

/** The calls a program would make, with what each must hold as data. */
const CALLS: [string, Record<string, unknown>, (data: Record<string, any>) => void][] = [
  [
    'list_queues',
    {},
    (data) => {
      expect(data.queues.map((q: { name: string }) => q.name).sort()).toEqual(['backlog', 'orders']);
      expect(data).toMatchObject({ page: 1, pages: 1, matching: 2, total: 2 });
    },
  ],
  ['list_queues', { name: 'orders' }, (data) => expect(data.queues).toMatchObject([{ name: 'orders', consumers: 1 }])],
  [
    'list_exchanges',
    { filter: '^events$' },
    (data) => expect(data.exchanges).toMatchObject([{ name: 'events', type: 'topic', durable: true }]),
  ],
  ['list_connections', { filter: 'orders-service' }, (data) => expect(data.connections).toMatchObject([{ client }])],
  ['list_connections', { show: 'consumers' }, (data) => expect(data.consumers).toMatchObject([{ queue: 'orders', tag: 'orders-worker' }])],
  ['list_connections', { show: 'channels', filter: 'guest' }, (data) => expect(data.channels.length).toBeGreaterThan(0)],
  [
    'find_problem_queues',
    {},
    (data) => expect(data.problems).toContainEqual(expect.objectContaining({ kind: 'no_consumers', queue: 'backlog' })),
  ],
  ['get_overview', {}, (data) => expect(data.version).toMatch(/^\d+\.\d+/)],
];

describe('structured results', () => {
  const plainServer = useHarness(vhost);
  const schemaServer = useHarness(vhost, { args: ['--output-schemas'] });

  /** One queue's row in list_queues' data. */
  async function queueData(name: string): Promise<{ consumers?: number; messages?: number } | undefined> {
    const { structuredContent } = await schemaServer.mcp.call('list_queues', { name });
    return (structuredContent as { queues?: { consumers: number; messages: number }[] } | undefined)?.queues?.[0];
  }

  beforeAll(async () => {
    // The app's connection and consumer are listed, and counted on their queue, once the broker's
    // statistics have them (the consumer list and the queue's consumer count settle apart).
    await eventually(async () => {
      const consumers = await schemaServer.mcp.call('list_connections', { show: 'consumers' });
      const counted = (await queueData('orders'))?.consumers === 1;
      const waiting = (await queueData('backlog'))?.messages === 3;
      return consumers.text.includes('orders-worker') && counted && waiting ? true : undefined;
    }, 'the consumer to be listed and counted');
  });

  it('come beside the text the model reads with --output-schemas, and only the lists, the problems and the overview have them', async () => {
    for (const [name, args, check] of CALLS) {
      const result = await schemaServer.mcp.call(name, args);
      expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(false);
      expect(result.text.length).toBeGreaterThan(0);
      expect(result.structuredContent, name).toBeDefined();
      check(result.structuredContent ?? {});
    }
    const peek = await schemaServer.mcp.call('peek_messages', { queue: 'backlog' });
    expect(peek.structuredContent).toBeUndefined();
  });

  it('are left out without --output-schemas, as their schemas are: the answer is the text the model reads', async () => {
    const { tools } = await plainServer.mcp.client.listTools();
    expect(tools.filter((tool) => tool.outputSchema)).toEqual([]);
    for (const [name, args] of CALLS) {
      const plain = await plainServer.mcp.client.callTool({ name, arguments: args });
      expect(plain.isError, `${name} ${JSON.stringify(args)}`).toBeFalsy();
      expect(plain, name).not.toHaveProperty('structuredContent');
      expect(plain.content, name).toEqual([{ type: 'text', text: expect.any(String) }]);
    }
    // The same call with the flag: the text, and the data beside it.
    const plain = await plainServer.mcp.call('list_queues', { name: 'orders' });
    const withData = await schemaServer.mcp.call('list_queues', { name: 'orders' });
    expect(plain.structuredContent).toBeUndefined();
    expect(withData.structuredContent).toBeDefined();
    expect(plain.text).toContain('orders');
    expect(withData.text).toContain('orders');
  });

  it('match the outputSchema that --output-schemas advertises (checked by the SDK client and by ajv)', async () => {
    const { tools } = await schemaServer.mcp.client.listTools();
    expect(
      tools
        .filter((tool) => tool.outputSchema)
        .map((tool) => tool.name)
        .sort(),
    ).toEqual([...STRUCTURED].sort());
    const ajv = new Ajv({ strict: false });
    for (const [name, args] of CALLS) {
      // The SDK client itself refuses a structured result that does not match the tool's schema.
      const result = await schemaServer.mcp.call(name, args);
      const schema = tools.find((tool) => tool.name === name)?.outputSchema as object;
      const validate = ajv.compile(schema);
      expect(validate(result.structuredContent), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    // A result that is an error carries no structured content (the schema describes success).
    const missing = await schemaServer.mcp.call('list_queues', { name: 'no-such-queue' });
    expect(missing.isError).toBe(true);
    expect(missing.structuredContent).toBeUndefined();
  });
});
