/** Where the tests find RabbitMQ. The defaults match a local broker installed from packages. */
export const BROKER = {
  host: process.env.TEST_BROKER_HOST ?? '127.0.0.1',
  amqpPort: Number(process.env.TEST_AMQP_PORT ?? 5672),
  httpPort: Number(process.env.TEST_HTTP_PORT ?? 15672),
  user: process.env.TEST_BROKER_USER ?? 'guest',
  password: process.env.TEST_BROKER_PASSWORD ?? 'guest',
};

export const HOW_TO_START = [
  'The tests need a RabbitMQ 3.10+ broker with the management plugin.',
  'On Debian/Ubuntu, scripts/setup-test-machine.sh installs and starts one with its plugins (.ci/run does that, then runs the tests).',
  `Or point TEST_BROKER_HOST / TEST_AMQP_PORT / TEST_HTTP_PORT / TEST_BROKER_USER / TEST_BROKER_PASSWORD at one (now ${BROKER.host}:${BROKER.amqpPort}, management ${BROKER.httpPort}).`,
].join('\n');
