import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { SERVER_BIN, SERVER_NODE, ensureBuilt } from './support/built-server.js';
import { type HttpProcess, startHttpProcess } from './support/http-process.js';
import { brokerEnv } from './support/mcp-harness.js';
import { callToolAsIs, handleOf } from './support/tool-answer.js';

/**
 * The built server speaks both protocol generations on one endpoint: clients of the 2026-07-28
 * revision (stateless: no initialize, every request carries its version, client info and
 * capabilities in _meta, server/discover first) and of 2025-11-25 and 2025-06-18 (initialize),
 * over stdio and over HTTP. Each client is the SDK's own, pinned to its generation.
 */
const vhost = useTestVhost('mcp-eras');
const TOKEN = 'eras-token-0123456789abcdef';
let http: HttpProcess;

type Generation = { name: string; options: ConstructorParameters<typeof Client>[1]; era: 'modern' | 'legacy' };
const GENERATIONS: Generation[] = [
  { name: '2026-07-28', options: { versionNegotiation: { mode: { pin: '2026-07-28' } } }, era: 'modern' },
  { name: '2025-11-25', options: { supportedProtocolVersions: ['2025-11-25'] }, era: 'legacy' },
  { name: '2025-06-18', options: { supportedProtocolVersions: ['2025-06-18'] }, era: 'legacy' },
];

const transports = {
  stdio: () =>
    new StdioClientTransport({
      command: SERVER_NODE,
      args: [SERVER_BIN, '--allow-destructive'],
      env: { PATH: process.env.PATH ?? '', ...brokerEnv({ AMQP_VHOST: vhost.name, LOG_LEVEL: 'warn' }) },
    }),
  http: () => new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }),
};

beforeAll(async () => {
  await ensureBuilt();
  http = await startHttpProcess({ AMQP_VHOST: vhost.name, MCP_AUTH_TOKEN: TOKEN, LOG_LEVEL: 'warn' }, ['--allow-destructive']);
});

afterAll(async () => {
  await http?.stop();
});

describe.each(Object.keys(transports) as (keyof typeof transports)[])('over %s', (transport) => {
  it.each(GENERATIONS)('serves a $name client: tools, a call, and a destructive call confirmed with its dry run', async (generation) => {
    const client = new Client({ name: `eras-${generation.name}`, version: '1.0.0' }, generation.options);
    await client.connect(transports[transport]());
    try {
      expect(client.getProtocolEra()).toBe(generation.era);
      expect(client.getServerVersion()?.name).toBe('rabbitmq-mcp-server');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['get_overview', 'list_queues', 'delete_queue']));
      const overview = await callToolAsIs(client, 'get_overview');
      expect(overview.isError).toBe(false);
      expect(overview.text).toContain(`on vhost ${vhost.name}`);

      const queue = `eras-${transport}-${generation.name}`;
      await admin('PUT', `/queues/${encodeURIComponent(vhost.name)}/${queue}`, { durable: true });
      const dry = await callToolAsIs(client, 'delete_queue', { name: queue });
      expect(dry.text).toMatch(/^Dry run: would delete queue/);
      const done = await callToolAsIs(client, 'delete_queue', { name: queue, confirm: handleOf(dry.text) });
      expect(done.text).toMatch(new RegExp(`^Deleted queue '${queue}'`));
    } finally {
      await client.close();
    }
  });
});
