import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { type Broker, createBroker } from '../../server/broker/broker.js';
import { type ServerConfig, loadConfig } from '../../server/config/load-config.js';
import { createLogger } from '../../server/logging/logger.js';
import { createScrubber } from '../../server/logging/secret-scrubber.js';
import { createServer } from '../../server/mcp/create-server.js';
import { BROKER } from './broker-env.js';

export interface ToolAnswer {
  text: string;
  isError: boolean;
  /** Embedded resources beside the text, when there are any (consume_messages hands messages over whole this way). */
  resources?: { uri: string; mimeType?: string; text?: string; blob?: string }[];
}

export interface Harness {
  client: Client;
  broker: Broker;
  config: ServerConfig;
  /** Every log line the server wrote. */
  logs: string[];
  call(name: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  close(): Promise<void>;
}

/** What a client got from a tool call: its text, whether it failed, and any resources beside it. */
export function toolAnswer(result: Awaited<ReturnType<Client['callTool']>>): ToolAnswer {
  const content = result.content as (
    { type: 'text'; text: string } | { type: 'resource'; resource: NonNullable<ToolAnswer['resources']>[number] }
  )[];
  const resources = content.flatMap((part) => (part.type === 'resource' ? [part.resource] : []));
  return {
    text: content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n'),
    isError: result.isError === true,
    ...(resources.length > 0 ? { resources } : {}),
  };
}

/** The environment a real deployment would set, pointing at the test broker. */
export function brokerEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AMQP_HOST: BROKER.host,
    AMQP_PORT: String(BROKER.amqpPort),
    HTTP_PORT: String(BROKER.httpPort),
    AMQP_USER: BROKER.user,
    AMQP_PASSWORD: BROKER.password,
    LOG_LEVEL: 'debug',
    ...overrides,
  };
}

export interface HarnessOptions {
  args?: string[];
  /** Set on top of brokerEnv(). */
  env?: Record<string, string>;
  /** What the client declares (e.g. elicitation), and handlers to set before it connects. */
  capabilities?: ClientCapabilities;
  beforeConnect?: (client: Client) => void;
}

/**
 * A real server (real broker, real management API) driven by a real SDK client over the SDK's
 * in-memory transport: everything a stdio client sees, without a child process.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const command = loadConfig(options.args ?? [], brokerEnv(options.env));
  if (command.kind !== 'run') throw new Error('expected a run command');
  const { config } = command;
  const logs: string[] = [];
  const scrub = createScrubber([config.amqp.password], [config.amqp.user]);
  const logger = createLogger({ level: config.logLevel, scrub, write: (line) => logs.push(line) });
  const broker = createBroker(config, logger);
  broker.amqp.start();
  const server = createServer(
    { broker, logger, scrub },
    { safety: config.safety, groups: config.tools, outputSchemas: config.outputSchemas },
  );
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  options.beforeConnect?.(client);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  return {
    client,
    broker,
    config,
    logs,
    async call(name, args = {}) {
      return toolAnswer(await client.callTool({ name, arguments: args }));
    },
    async close() {
      await client.close();
      await server.close();
      await broker.close();
    },
  };
}
