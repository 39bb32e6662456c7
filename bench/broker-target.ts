import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type ChannelModel, connect } from 'amqplib';
import { type TestBroker, runningVersion } from '../test/support/test-brokers.js';

const HOST = '127.0.0.1';
const USER = 'guest';
const PASSWORD = 'guest';
const AUTHORIZATION = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
/** scripts/test-brokers.sh waits up to 180 s for a node to turn healthy. */
const START_TIMEOUT_MS = 240_000;

/**
 * One broker the bench measures on, through a vhost of its own made for this run: its management
 * API, raw AMQP connections, and the environment that points the server at it. close() deletes
 * the vhost and everything in it.
 */
export interface BrokerTarget {
  /** The version the broker reports (GET /api/overview), e.g. "4.3.6". */
  version: string;
  vhost: string;
  /** The management API URL of `path` ("/queues/…"). */
  api(path: string): string;
  authorization: string;
  /** A management API call; 404 is an answer (undefined), any other failure throws. */
  management(method: string, path: string, body?: unknown): Promise<unknown>;
  /** The management API path of a queue of this vhost, or of all of them. */
  queuePath(queue?: string): string;
  /** A plain amqplib connection to this vhost, outside the server under test. */
  connect(): Promise<ChannelModel>;
  /** The server's environment for this broker and vhost. */
  serverEnv(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

/** Makes a fresh vhost `mcp-bench-…` on the broker at these ports, with every permission for guest. */
export async function openTarget(ports: { amqpPort: number; httpPort: number }, version: string): Promise<BrokerTarget> {
  const vhost = `mcp-bench-${randomBytes(3).toString('hex')}`;
  const encoded = encodeURIComponent(vhost);
  const api = (path: string) => `http://${HOST}:${ports.httpPort}/api${path}`;
  const management = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(api(path), {
      method,
      headers: { authorization: AUTHORIZATION, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return text && response.ok ? JSON.parse(text) : undefined;
  };
  await management('PUT', `/vhosts/${encoded}`, {});
  await management('PUT', `/permissions/${encoded}/${USER}`, { configure: '.*', write: '.*', read: '.*' });
  return {
    version,
    vhost,
    api,
    authorization: AUTHORIZATION,
    management,
    queuePath: (queue) => `/queues/${encoded}${queue === undefined ? '' : `/${encodeURIComponent(queue)}`}`,
    connect: () => connect({ hostname: HOST, port: ports.amqpPort, username: USER, password: PASSWORD, vhost }),
    serverEnv: (extra = {}) => ({
      AMQP_HOST: HOST,
      AMQP_PORT: String(ports.amqpPort),
      HTTP_PORT: String(ports.httpPort),
      AMQP_USER: USER,
      AMQP_PASSWORD: PASSWORD,
      AMQP_VHOST: vhost,
      LOG_LEVEL: 'silent',
      ...extra,
    }),
    close: async () => {
      await management('DELETE', `/vhosts/${encoded}`);
    },
  };
}

function startNode(node: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('scripts/test-brokers.sh', ['start', node], { timeout: START_TIMEOUT_MS }, (error, _stdout, stderr) => {
      const lastLine = stderr.trim().split('\n').at(-1);
      resolve(error ? (lastLine ?? error.message) : undefined);
    });
  });
}

/**
 * The version a test broker reports, starting a 4.x node with scripts/test-brokers.sh when it does
 * not answer; or why it cannot be measured (not installed, did not start). The machine's own
 * broker is never started or touched.
 */
export async function reachBroker(broker: TestBroker): Promise<{ version: string } | { reason: string }> {
  const version = await runningVersion(broker.httpPort);
  if (version) return { version };
  if (!broker.node) return { reason: `the machine's broker does not answer on ${HOST}:${broker.httpPort}` };
  const failure = await startNode(broker.node);
  if (failure) return { reason: `scripts/test-brokers.sh start ${broker.node} failed: ${failure}` };
  const started = await runningVersion(broker.httpPort);
  return started ? { version: started } : { reason: `started, but its management API does not answer on ${HOST}:${broker.httpPort}` };
}
