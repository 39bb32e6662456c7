import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import type { RequestOptions, ClientCapabilities } from '@modelcontextprotocol/client';
import { type Broker, createBroker } from '../../server/broker/broker.js';
import { type ServerConfig, loadConfig } from '../../server/config/load-config.js';
import { createLogger } from '../../server/logging/logger.js';
import { createScrubber } from '../../server/logging/secret-scrubber.js';
import { createServer } from '../../server/mcp/create-server.js';
import { BROKER } from './broker-env.js';
import { type ToolAnswer, callTool } from './tool-answer.js';

export interface Harness {
  client: Client;
  broker: Broker;
  config: ServerConfig;
  /** Every log line the server wrote. */
  logs: string[];
  call(name: string, args?: Record<string, unknown>, options?: RequestOptions): Promise<ToolAnswer>;
  close(): Promise<void>;
}

/**
 * The environment a real deployment would set, pointing at the test broker, with every toolset
 * on (MCP_TOOLS=all): tests of a tool call it without enabling its group first. An override of
 * undefined leaves a variable unset (MCP_TOOLS: undefined for the default toolsets); a flag
 * (--tools) wins over it anyway.
 */
export function brokerEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    AMQP_HOST: BROKER.host,
    AMQP_PORT: String(BROKER.amqpPort),
    HTTP_PORT: String(BROKER.httpPort),
    AMQP_USER: BROKER.user,
    AMQP_PASSWORD: BROKER.password,
    LOG_LEVEL: 'debug',
    MCP_TOOLS: 'all',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export interface HarnessOptions {
  args?: string[];
  /** Set on top of brokerEnv(); undefined unsets a variable. */
  env?: Record<string, string | undefined>;
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
    // As over stdio: one server for the connection, so enable_toolset is offered.
    { safety: config.safety, groups: config.tools, outputSchemas: config.outputSchemas, enableToolsetsAtRunTime: true },
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
    call: (name, args, options) => callTool(client, name, args, options),
    async close() {
      await client.close();
      await server.close();
      await broker.close();
    },
  };
}
