import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BROKER, HOW_TO_START } from './broker-env.js';
import { portOpen, waitForPort } from './ports.js';

const run = promisify(execFile);

async function managementAnswers(): Promise<boolean> {
  const auth = Buffer.from(`${BROKER.user}:${BROKER.password}`).toString('base64');
  try {
    const response = await fetch(`http://${BROKER.host}:${BROKER.httpPort}/api/overview`, { headers: { authorization: `Basic ${auth}` } });
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

/** Whether the shovel management plugin answers (GET /api/shovels). */
async function shovelsAnswer(): Promise<boolean> {
  const auth = Buffer.from(`${BROKER.user}:${BROKER.password}`).toString('base64');
  try {
    const response = await fetch(`http://${BROKER.host}:${BROKER.httpPort}/api/shovels`, { headers: { authorization: `Basic ${auth}` } });
    return response.ok;
  } catch {
    return false;
  }
}

async function tryCommand(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { timeout: 120_000 });
  } catch {
    // Not installed here, or not allowed: the port checks below say what is missing.
  }
}

/**
 * Makes sure the broker the tests need is up: starts a local RabbitMQ when it is down, enables
 * the management plugin, and shortens the statistics interval so management counts settle fast.
 * Fails with instructions instead of letting every test time out.
 */
export default async function setup(): Promise<void> {
  const local = BROKER.host === '127.0.0.1' || BROKER.host === 'localhost';
  if (!(await portOpen(BROKER.amqpPort, BROKER.host)) && local) {
    await tryCommand('rabbitmq-server', ['-detached']);
  }
  if (!(await waitForPort(BROKER.amqpPort, local ? 90 : 5, BROKER.host))) {
    throw new Error(`RabbitMQ is not reachable at ${BROKER.host}:${BROKER.amqpPort}.\n${HOW_TO_START}`);
  }
  if (local) await tryCommand('rabbitmqctl', ['await_startup', '--timeout', '60']);
  if (!(await managementAnswers()) && local) {
    await tryCommand('rabbitmq-plugins', ['enable', ...PLUGINS]);
    await waitForPort(BROKER.httpPort, 60, BROKER.host);
  }
  // Shovels and federation (the admin tools' tests); enabling is idempotent and needs no restart.
  if (local && !(await shovelsAnswer())) await tryCommand('rabbitmq-plugins', ['enable', ...PLUGINS]);
  const deadline = Date.now() + 30_000;
  while (!(await managementAnswers())) {
    if (Date.now() > deadline) {
      throw new Error(`The RabbitMQ management API does not answer at http://${BROKER.host}:${BROKER.httpPort}.\n${HOW_TO_START}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // Objects created from now on report statistics every 500 ms instead of 5 s (runtime only).
  if (local) await tryCommand('rabbitmqctl', ['eval', 'application:set_env(rabbit, collect_statistics_interval, 500).']);
}
