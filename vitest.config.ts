import { type TestProjectInlineConfiguration, defineConfig } from 'vitest/config';
import { NODE_24, nodeBinary } from './test/support/node-binary.js';
import { type TestBroker, brokerEnvironment, runningVersion, selectedBrokers } from './test/support/test-brokers.js';

/**
 * The suite runs on real brokers (test/support/test-brokers.ts): the files whose outcome depends on
 * what the broker does (messages, delivery limits, peek, consume, move, publish, streams, dead
 * letters, health checks, definitions, scopes) on every version, the rest on the newest. Each
 * project is named after the version the broker reports, so the output says where each file ran.
 *
 * Integration tests share a broker; each file works in its own vhost or uniquely named objects,
 * so files may run in parallel. The heavy ones (tens of thousands of messages, faults, delivery
 * limits that wait for the broker's statistics) run after the others, one broker at a time, so
 * that their load does not starve the timing of the rest on a small machine; the cluster last.
 */
const ON_EVERY_BROKER = [
  'admin',
  'broker-wall',
  'clients',
  'confirmation-handles',
  'dead-letters',
  'definitions',
  'definitions-scope',
  'effects-and-scope',
  'exchanges',
  'forged-structure',
  'health-and-vhosts',
  'hostile-effects',
  'hostile-listing',
  'hostile-paths',
  'management-api',
  'message-ops-scope',
  'messages',
  'move-messages',
  'outage',
  'queues',
  'resources-and-prompts',
  'return-rules',
  'scope',
  'streams',
  'structured-results',
].map((name) => `test/${name}.test.ts`);
/** The files that run the built server as a child process: they run again with the server on Node 24. */
const SERVER_PROCESS = ['stdio-e2e', 'http-process', 'protocol-eras', 'confirm-rounds'].map((name) => `test/${name}.test.ts`);
const HEAVY = ['test/move-faults.test.ts', 'test/peek-safety.test.ts'];
const CLUSTER = ['test/cluster.test.ts'];

const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Concurrent cases (a describe.concurrent) mostly wait for the broker: all of one table at once.
  maxConcurrency: 30,
  // expect.poll waits for an event in the window or the broker: a loaded 2-core machine needs more than 1 s.
  expect: { poll: { timeout: 15_000 } },
};

export default defineConfig(async () => {
  // TEST_BROKER_HOST or TEST_AMQP_PORT in the environment: one broker of the caller's, for everything.
  const external = process.env.TEST_BROKER_HOST !== undefined || process.env.TEST_AMQP_PORT !== undefined;
  const { brokers, cluster } = external ? { brokers: [], cluster: false } : selectedBrokers();
  const newest = brokers.at(-1);
  const projects: TestProjectInlineConfiguration[] = [];
  let group = 0;
  const label = async (broker: TestBroker) => `rabbitmq ${(await runningVersion(broker.httpPort)) ?? `${broker.series} (not running yet)`}`;

  const heavy: TestProjectInlineConfiguration[] = [];
  for (const broker of brokers) {
    const name = await label(broker);
    const env = brokerEnvironment(broker);
    projects.push({
      test: {
        ...shared,
        name,
        env,
        include: broker === newest ? ['test/**/*.test.ts'] : ON_EVERY_BROKER,
        exclude: [...HEAVY, ...CLUSTER],
        sequence: { groupOrder: 0 },
      },
    });
    heavy.push({ test: { ...shared, name: `${name} heavy`, env, include: HEAVY, fileParallelism: false } });
    // Node 20 runs the tests and is end of life: the server's own end-to-end files run on Node 24 too.
    if (broker === newest) {
      projects.push({
        test: {
          ...shared,
          name: `${name}, server on Node ${NODE_24}`,
          env: { ...env, TEST_SERVER_NODE: nodeBinary(NODE_24) },
          include: SERVER_PROCESS,
          sequence: { groupOrder: 0 },
        },
      });
    }
  }
  if (external) {
    const name = `rabbitmq ${(await runningVersion(Number(process.env.TEST_HTTP_PORT ?? 15672), process.env.TEST_BROKER_HOST)) ?? 'at TEST_BROKER_HOST'}`;
    projects.push({
      test: { ...shared, name, include: ['test/**/*.test.ts'], exclude: [...HEAVY, ...CLUSTER], sequence: { groupOrder: 0 } },
    });
    heavy.push({ test: { ...shared, name: `${name} heavy`, include: HEAVY, fileParallelism: false } });
  }
  // One heavy project at a time: each its own group, after the rest.
  for (const project of heavy) projects.push({ test: { ...project.test, sequence: { groupOrder: ++group } } });
  if (cluster) {
    projects.push({
      test: { ...shared, name: 'rabbitmq 4.3 cluster', include: CLUSTER, fileParallelism: false, sequence: { groupOrder: ++group } },
    });
  }
  return { test: { reporters: ['default'], projects } };
});
