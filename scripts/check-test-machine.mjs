// The first step of `npm test`: says in one line what this machine lacks for the suite, instead of
// letting tests fail one by one further on. `.ci/run` installs all of it on Debian or Ubuntu.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

const shell = existsSync('/bin/sh') ? '/bin/sh' : 'sh';
const onPath = (command) => spawnSync(shell, ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim() !== '';

function brokerAnswers(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

const host = process.env.TEST_BROKER_HOST ?? '127.0.0.1';
const port = Number(process.env.TEST_AMQP_PORT ?? 5672);
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** [what, Debian package, present] */
const needs = [
  // The test setup starts a local broker that is installed but stopped.
  ['RabbitMQ', 'rabbitmq-server', (await brokerAnswers(host, port)) || onPath('rabbitmq-server')],
  // Started by the test setup when installed but stopped, like the broker.
  ['Redis', 'redis-server', (await brokerAnswers('127.0.0.1', 6379)) || onPath('redis-server')],
  ['nginx', 'nginx-light', onPath('nginx')],
  ['HAProxy', 'haproxy', onPath('haproxy')],
  ['openssl', 'openssl', onPath('openssl')],
  ['Chromium', 'chromium', existsSync(chromium)],
  ['script', 'bsdutils', onPath('script')],
];
const missing = needs.filter(([, , present]) => !present);
const problems = [];
if (missing.length > 0) {
  const names = missing.map(([what]) => what).join(', ');
  const packages = missing.map(([, pkg]) => pkg).join(' ');
  problems.push(
    `npm test needs ${names}: run .ci/run (it installs everything and runs the tests), or sudo apt-get install -y ${packages}` +
      (missing.some(([what]) => what === 'Chromium') ? ` (or set CHROMIUM_PATH)` : ''),
  );
}

// The 4.x brokers run from Debian suites in a chroot (scripts/test-brokers.sh): running, or installed
// so that the tests start them. Not needed when the tests use one broker of the caller's.
const external = process.env.TEST_BROKER_HOST !== undefined || process.env.TEST_AMQP_PORT !== undefined;
if (!external) {
  const brokers = JSON.parse(readFileSync(new URL('test-brokers.json', import.meta.url), 'utf8'));
  const cache = process.env.RABBITMQ_MCP_BROKER_CACHE ?? '/var/cache/rabbitmq-mcp/brokers';
  const wanted =
    (process.env.TEST_BROKERS ?? '').trim() === ''
      ? Object.keys(brokers.suites)
      : process.env.TEST_BROKERS.split(',').map((name) => name.trim());
  const absent = [];
  for (const version of Object.keys(brokers.suites).filter((series) => wanted.includes(series))) {
    const ready = existsSync(`${cache}/${brokers.suites[version]}/.rabbitmq-mcp-ready`);
    if (!ready && !(await brokerAnswers('127.0.0.1', brokers.nodes[version].amqp))) absent.push(version);
  }
  if (absent.length > 0) {
    problems.push(
      `npm test runs on RabbitMQ ${absent.join(' and ')} too, from Debian's packages in a chroot: run .ci/run, or sudo scripts/test-brokers.sh install ${absent.join(' ')} (or TEST_BROKERS=${brokers.machine.version} npm test for the machine's broker alone)`,
    );
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
