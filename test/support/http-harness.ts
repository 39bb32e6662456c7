import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type RabbitMqMcp, createRabbitMqMcp } from '../../server/index.js';
import { brokerEnv } from './mcp-harness.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const SECOND_TOKEN = 'second-token-0123456789abcdef';

export interface HttpHarness {
  mcp: RabbitMqMcp;
  server: Server;
  /** http://127.0.0.1:port */
  origin: string;
  url: string;
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  client(token?: string): Promise<Client>;
  close(): Promise<void>;
}

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export function rpc(method: string, params: Record<string, unknown> = {}, id = 1) {
  return { jsonrpc: '2.0', id, method, params };
}

export const INITIALIZE = rpc('initialize', {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'http-test', version: '1' },
});

/** The library's handler on a plain Node HTTP server, MCP at /mcp: what `npx … --transport http` serves. */
export async function startHttpHarness(env: Record<string, string | undefined> = {}, args: string[] = []): Promise<HttpHarness> {
  const mcp = await createRabbitMqMcp({
    env: brokerEnv({ MCP_AUTH_TOKEN: `${TOKEN},${SECOND_TOKEN}`, LOG_LEVEL: 'silent', ...env }),
    args,
    basePath: '/mcp',
  });
  const server = createServer((request, response) => mcp.handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/mcp`;
  const clients: Client[] = [];
  return {
    mcp,
    server,
    origin,
    url,
    post: (body, headers = {}) =>
      fetch(url, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: `Bearer ${TOKEN}`, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async client(token = TOKEN) {
      const client = new Client({ name: 'http-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
      );
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await mcp.close();
    },
  };
}
