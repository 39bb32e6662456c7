/**
 * Where the tests find RabbitMQ: the broker of the vitest project the file runs in
 * (vitest.config.ts sets TEST_AMQP_PORT and TEST_HTTP_PORT per broker version), else the machine's.
 */
export const BROKER = {
  host: process.env.TEST_BROKER_HOST ?? '127.0.0.1',
  amqpPort: Number(process.env.TEST_AMQP_PORT ?? 5672),
  httpPort: Number(process.env.TEST_HTTP_PORT ?? 15672),
  user: process.env.TEST_BROKER_USER ?? 'guest',
  password: process.env.TEST_BROKER_PASSWORD ?? 'guest',
};

export const HOW_TO_START = [
  "The tests need RabbitMQ with the management plugin: the machine's own, and 4.0 and 4.3 in a chroot beside it.",
  'On Debian/Ubuntu, scripts/setup-test-machine.sh installs and starts them with their plugins (.ci/run does that, then runs the tests).',
  `Or point TEST_BROKER_HOST / TEST_AMQP_PORT / TEST_HTTP_PORT / TEST_BROKER_USER / TEST_BROKER_PASSWORD at one (now ${BROKER.host}:${BROKER.amqpPort}, management ${BROKER.httpPort}).`,
].join('\n');
