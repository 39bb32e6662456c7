import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { BROKER, HOW_TO_START } from './broker-env.js';

const run = promisify(execFile);

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function waitForPort(host: string, port: number, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await portOpen(host, port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

async function managementAnswers(): Promise<boolean> {
  const auth = Buffer.from(`${BROKER.user}:${BROKER.password}`).toString('base64');
  try {
    const response = await fetch(`http://${BROKER.host}:${BROKER.httpPort}/api/overview`, { headers: { authorization: `Basic ${auth}` } });
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
  if (!(await portOpen(BROKER.host, BROKER.amqpPort)) && local) {
    await tryCommand('rabbitmq-server', ['-detached']);
  }
  if (!(await waitForPort(BROKER.host, BROKER.amqpPort, local ? 90 : 5))) {
    throw new Error(`RabbitMQ is not reachable at ${BROKER.host}:${BROKER.amqpPort}.\n${HOW_TO_START}`);
  }
  if (local) await tryCommand('rabbitmqctl', ['await_startup', '--timeout', '60']);
  if (!(await managementAnswers()) && local) {
    await tryCommand('rabbitmq-plugins', ['enable', 'rabbitmq_management']);
    await waitForPort(BROKER.host, BROKER.httpPort, 60);
  }
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
