import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { HOW_TO_START } from './broker-env.js';
import { portOpen, waitForPort } from './ports.js';

const run = promisify(execFile);
const BROKERS_SCRIPT = new URL('../../scripts/test-brokers.sh', import.meta.url).pathname;

interface Target {
  host: string;
  amqpPort: number;
  httpPort: number;
  user: string;
  password: string;
  /** The scripts/test-brokers.sh node serving it, for a 4.x broker in its chroot. */
  node?: string;
}

/** The broker of one project, from the environment vitest.config.ts gave it (else the process's own). */
function targetOf(project: TestProject | undefined): Target {
  const env = { ...process.env, ...(project?.config.env ?? {}) } as Record<string, string | undefined>;
  return {
    host: env.TEST_BROKER_HOST ?? '127.0.0.1',
    amqpPort: Number(env.TEST_AMQP_PORT ?? 5672),
    httpPort: Number(env.TEST_HTTP_PORT ?? 15672),
    user: env.TEST_BROKER_USER ?? 'guest',
    password: env.TEST_BROKER_PASSWORD ?? 'guest',
    node: env.TEST_BROKER_NODE,
  };
}

async function answers(target: Target, path: string): Promise<boolean> {
  const auth = Buffer.from(`${target.user}:${target.password}`).toString('base64');
  try {
    const response = await fetch(`http://${target.host}:${target.httpPort}/api/${path}`, {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(5000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

const PLUGINS = [
  'rabbitmq_management',
  'rabbitmq_shovel',
  'rabbitmq_shovel_management',
  'rabbitmq_federation',
  'rabbitmq_federation_management',
];

async function tryCommand(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { timeout: 120_000 });
  } catch {
    // Not installed here, or not allowed: the port checks below say what is missing.
  }
}

/** The machine's own broker: started when it is down, its plugins enabled, statistics every 500 ms. */
async function machineBroker(target: Target): Promise<void> {
  const local = target.host === '127.0.0.1' || target.host === 'localhost';
  if (!(await portOpen(target.amqpPort, target.host)) && local) await tryCommand('rabbitmq-server', ['-detached']);
  if (!(await waitForPort(target.amqpPort, local ? 90 : 5, target.host))) {
    throw new Error(`RabbitMQ is not reachable at ${target.host}:${target.amqpPort}.\n${HOW_TO_START}`);
  }
  if (local) await tryCommand('rabbitmqctl', ['await_startup', '--timeout', '60']);
  // Shovels and federation (the admin tools' tests); enabling is idempotent and needs no restart.
  if (local && !(await answers(target, 'shovels'))) {
    await tryCommand('rabbitmq-plugins', ['enable', ...PLUGINS]);
    await waitForPort(target.httpPort, 60, target.host);
  }
  await managementUp(target);
  // Objects created from now on report statistics every 500 ms instead of 5 s (runtime only).
  if (local) await tryCommand('rabbitmqctl', ['eval', 'application:set_env(rabbit, collect_statistics_interval, 500).']);
}

/** A 4.x broker in its chroot (scripts/test-brokers.sh): started when it is installed but down. */
async function chrootBroker(target: Target, node: string): Promise<void> {
  if (await answers(target, 'health/checks/alarms')) return;
  const installed = await run(BROKERS_SCRIPT, ['version', node]).then(
    () => true,
    () => false,
  );
  if (!installed || !existsSync(BROKERS_SCRIPT)) {
    throw new Error(
      [
        `The RabbitMQ ${node} broker the tests run on is not installed here.`,
        `Run .ci/run (it installs everything and runs the tests), or as root: scripts/test-brokers.sh install ${node} && scripts/test-brokers.sh start ${node}`,
        'Or run on fewer brokers: TEST_BROKERS=3.10 npm test (the versions: see scripts/test-brokers.json).',
      ].join('\n'),
    );
  }
  try {
    await run(BROKERS_SCRIPT, ['start', node], { timeout: 240_000 });
  } catch (error) {
    throw new Error(`scripts/test-brokers.sh start ${node} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  await managementUp(target);
}

async function managementUp(target: Target): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await answers(target, 'overview'))) {
    if (Date.now() > deadline) {
      throw new Error(`The RabbitMQ management API does not answer at http://${target.host}:${target.httpPort}.\n${HOW_TO_START}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The machine's Redis on 6379 (the fleet tests' MCP_REDIS_URL): started when installed but down. */
async function machineRedis(): Promise<void> {
  if (await portOpen(6379, '127.0.0.1')) return;
  await tryCommand('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '']);
  if (!(await waitForPort(6379, 15))) {
    throw new Error(
      'Redis is not reachable at 127.0.0.1:6379: install redis-server (.ci/run does) or start it: redis-server --daemonize yes',
    );
  }
}

/**
 * Makes sure the broker of this project is up (vitest runs it once per project, with the project):
 * fails with instructions instead of letting every test time out.
 */
export default async function setup(project?: TestProject): Promise<void> {
  const target = targetOf(project);
  await machineRedis();
  if (target.node) await chrootBroker(target, target.node);
  else await machineBroker(target);
}
