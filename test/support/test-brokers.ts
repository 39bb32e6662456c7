import { readFileSync } from 'node:fs';

/**
 * The RabbitMQ brokers the suite runs on, oldest first, from scripts/test-brokers.json (which
 * scripts/test-brokers.sh reads too): the machine's own broker, and 4.x brokers from Debian's
 * packages that run in a chroot beside it. TEST_BROKERS picks some of them ("3.10,4.3"); the
 * whole suite runs on the newest one picked, the broker-behaviour files on every one.
 */

interface BrokersFile {
  machine: { version: string; amqp: number; http: number };
  nodes: Record<string, { suite: string; amqp: number; http: number; name: string }>;
}

export interface TestBroker {
  /** The release series it stands for ("4.3"): what TEST_BROKERS names. */
  series: string;
  amqpPort: number;
  httpPort: number;
  /** The scripts/test-brokers.sh node that serves it; undefined for the machine's own broker. */
  node?: string;
}

const FILE = new URL('../../scripts/test-brokers.json', import.meta.url);
const brokersFile = JSON.parse(readFileSync(FILE, 'utf8')) as BrokersFile;

const nodeBroker = (series: string): TestBroker => {
  const node = brokersFile.nodes[series];
  if (!node) throw new Error(`scripts/test-brokers.json has no node "${series}"`);
  return { series, amqpPort: node.amqp, httpPort: node.http, node: series };
};

export const TEST_BROKERS: readonly TestBroker[] = [
  { series: brokersFile.machine.version, amqpPort: brokersFile.machine.amqp, httpPort: brokersFile.machine.http },
  nodeBroker('4.0'),
  nodeBroker('4.3'),
];

/** The three nodes of the 4.3 cluster, in the order they join. */
export const CLUSTER_NODES = ['c1', 'c2', 'c3'].map((id) => {
  const node = brokersFile.nodes[id];
  if (!node) throw new Error(`scripts/test-brokers.json has no node "${id}"`);
  return { id, name: node.name, amqpPort: node.amqp, httpPort: node.http };
});

/** The brokers TEST_BROKERS names (all of them when unset), oldest first; an unknown name is an error. */
export function selectedBrokers(value = process.env.TEST_BROKERS): { brokers: TestBroker[]; cluster: boolean } {
  if (value === undefined || value.trim() === '') return { brokers: [...TEST_BROKERS], cluster: true };
  const names = value.split(',').map((name) => name.trim());
  const known = [...TEST_BROKERS.map((broker) => broker.series), 'cluster'];
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`TEST_BROKERS names ${unknown.join(', ')}: use some of ${known.join(', ')}`);
  const brokers = TEST_BROKERS.filter((broker) => names.includes(broker.series));
  return { brokers, cluster: names.includes('cluster') };
}

/** What a test process reads to find its broker (test/support/broker-env.ts). */
export function brokerEnvironment(broker: TestBroker): Record<string, string> {
  return {
    TEST_BROKER_SERIES: broker.series,
    TEST_AMQP_PORT: String(broker.amqpPort),
    TEST_HTTP_PORT: String(broker.httpPort),
    ...(broker.node ? { TEST_BROKER_NODE: broker.node } : {}),
  };
}

/** The version the broker reports, or undefined when its management API does not answer. */
export async function runningVersion(httpPort: number, host = '127.0.0.1'): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${host}:${httpPort}/api/overview?columns=rabbitmq_version`, {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) return undefined;
    return ((await response.json()) as { rabbitmq_version?: string }).rabbitmq_version;
  } catch {
    return undefined;
  }
}
