// The first step of `npm test`: says in one line what this machine lacks for the suite, instead of
// letting tests fail one by one further on. `.ci/run` installs all of it on Debian or Ubuntu.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  ['nginx', 'nginx-light', onPath('nginx')],
  ['HAProxy', 'haproxy', onPath('haproxy')],
  ['openssl', 'openssl', onPath('openssl')],
  ['Chromium', 'chromium', existsSync(chromium)],
  ['script', 'bsdutils', onPath('script')],
];
const missing = needs.filter(([, , present]) => !present);
if (missing.length > 0) {
  const names = missing.map(([what]) => what).join(', ');
  const packages = missing.map(([, pkg]) => pkg).join(' ');
  console.error(
    `npm test needs ${names}: run .ci/run (it installs everything and runs the tests), or sudo apt-get install -y ${packages}` +
      (missing.some(([what]) => what === 'Chromium') ? ` (or set CHROMIUM_PATH)` : ''),
  );
  process.exit(1);
}
