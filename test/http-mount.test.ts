import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RabbitMqMcp, createRabbitMqMcp } from '../server/index.js';
import { eventually } from './support/broker-admin.js';
import { brokerEnv } from './support/mcp-harness.js';
import { callTool } from './support/tool-answer.js';

let mcp: RabbitMqMcp;
let server: Server;
let origin: string;

beforeAll(async () => {
  mcp = await createRabbitMqMcp({ env: brokerEnv({ LOG_LEVEL: 'silent' }) });
  const app = express();
  app.use(express.json());
  app.get('/status', (_request, response) => {
    response.json({ app: 'still mine' });
  });
  app.use('/tools/rabbit', mcp.handler);
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await mcp.close();
});

describe('mounted in an Express app at any path', () => {
  it('serves MCP at the mount path, behind express.json()', async () => {
    const client = new Client({ name: 'express-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/tools/rabbit`)));
    expect((await callTool(client, 'list_vhosts')).text).toContain('vhosts (default for tools: /)');
    await client.close();
  });

  it('serves health under the mount path', async () => {
    // The AMQP connection opens in the background: health says 503 until it is up, as it should.
    const response = await eventually(async () => {
      const answer = await fetch(`${origin}/tools/rabbit/health`);
      return answer.status === 200 ? answer : undefined;
    }, 'a healthy answer under the mount path');
    expect(await response.json()).toMatchObject({ status: 'healthy' });
    expect(await mcp.health()).toMatchObject({ status: 'healthy', amqp_connected: true });
  });

  it("leaves the app's other routes alone", async () => {
    expect(await (await fetch(`${origin}/status`)).json()).toEqual({ app: 'still mine' });
    expect((await fetch(`${origin}/tools/rabbit/elsewhere`)).status).toBe(404);
  });
});
