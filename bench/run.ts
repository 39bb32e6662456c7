/**
 * `npm run bench`: the server against baselines measured in the same run, printed side by side.
 * Needs the built server and the machine's broker, where the version-independent figures are
 * measured once; peek, move and publish are measured on every test broker (3.10, 4.0, 4.3: see
 * test/support/test-brokers.ts), each named by the version it reports, a 4.x node started with
 * scripts/test-brokers.sh when it is down. BENCH_BROKERS=3.10,4.3 picks some of them. A broker
 * that cannot be reached has its column reported as not measured, with the reason. Bounded: a few
 * minutes.
 */
import { TEST_BROKERS, type TestBroker, selectedBrokers } from '../test/support/test-brokers.js';
import { batchPublish, bigMessage, moveBetweenQueues, peekMessages } from './broker-measures.js';
import { type BrokerTarget, openTarget, reachBroker } from './broker-target.js';
import { type BrokerRun, type Row, median, report } from './report.js';
import { type StdioServer, connectStdio, peakRssMiB, timeToInitialize } from './stdio-process.js';
import { toolsListSizes } from './tools-list.js';

const SERVER = 'dist/server/rabbitmq-mcp-server.mjs';
const ECHO = 'bench/fixtures/echo-server.mjs';

async function setUp(machine: BrokerTarget): Promise<void> {
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      machine.management('PUT', machine.queuePath(`listed-${String(i).padStart(2, '0')}`), { durable: true }),
    ),
  );
}

async function coldStart(machine: BrokerTarget): Promise<Row> {
  const ours: number[] = [];
  const baseline: number[] = [];
  await timeToInitialize(SERVER, machine.serverEnv());
  await timeToInitialize(ECHO, {});
  for (let run = 0; run < 15; run++) {
    ours.push(await timeToInitialize(SERVER, machine.serverEnv()));
    baseline.push(await timeToInitialize(ECHO, {}));
  }
  const ratio = median(ours) / median(baseline);
  return {
    metric: 'cold start: spawn → initialize (median of 15)',
    ours: median(ours),
    baseline: median(baseline),
    unit: 'ms',
    ratio,
    target: '≤ 0.7×',
    pass: ratio <= 0.7,
  };
}

async function toolCallOverhead(machine: BrokerTarget, server: StdioServer): Promise<Row> {
  const query =
    'page=1&page_size=50&columns=name,type,state,messages,messages_ready,messages_unacknowledged,consumers,message_stats.publish_details.rate,message_stats.deliver_get_details.rate';
  const direct = () =>
    fetch(machine.api(`${machine.queuePath()}?${query}`), { headers: { authorization: machine.authorization } }).then((r) => r.json());
  const viaMcp = () => server.client.callTool({ name: 'list_queues', arguments: { page_size: 50 } });
  for (let i = 0; i < 20; i++) {
    await direct();
    await viaMcp();
  }
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < 200; i++) {
    let started = performance.now();
    await viaMcp();
    ours.push(performance.now() - started);
    started = performance.now();
    await direct();
    baseline.push(performance.now() - started);
  }
  const ratio = median(ours) / median(baseline);
  return {
    metric: 'list 50 queues: MCP call vs direct fetch (median of 200)',
    ours: median(ours),
    baseline: median(baseline),
    unit: 'ms',
    ratio,
    target: '≤ 1.3×',
    pass: ratio <= 1.3,
  };
}

async function peakMemory(machine: BrokerTarget): Promise<Row> {
  // Every toolset: the call mix below spans groups beyond the default ones.
  const ours = await connectStdio(SERVER, ['--allow-write', '--tools', 'all'], machine.serverEnv());
  const echo = await connectStdio(ECHO, [], {});
  const calls: [string, Record<string, unknown>][] = [
    ['list_queues', {}],
    ['get_overview', {}],
    ['list_queues', { name: 'listed-07' }],
    ['peek_messages', { queue: 'listed-01' }],
    ['trace_route', { exchange: '', routing_key: 'listed-03' }],
    ['list_exchanges', {}],
    ['find_problem_queues', {}],
    ['publish_messages', { routing_key: 'listed-09', messages: [{ body: 'rss probe' }] }],
  ];
  for (let i = 0; i < 1000; i++) {
    const [name, args] = calls[i % calls.length] as [string, Record<string, unknown>];
    await ours.client.callTool({ name, arguments: args });
    await echo.client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
  }
  const oursMiB = peakRssMiB(ours.pid);
  const echoMiB = peakRssMiB(echo.pid);
  await ours.close();
  await echo.close();
  return {
    metric: 'peak RSS after 1,000 tool calls (vs echo server)',
    ours: oursMiB,
    baseline: echoMiB,
    unit: 'MiB',
    ratio: oursMiB / echoMiB,
    target: '≤ 80 MiB',
    pass: oursMiB <= 80,
  };
}

/** The figures that do not depend on the broker's version, on the machine's broker. */
async function versionIndependent(machineBroker: TestBroker): Promise<Row[]> {
  const reached = await reachBroker(machineBroker);
  if ('reason' in reached) throw new Error(`The bench needs the machine's RabbitMQ: ${reached.reason}`);
  const machine = await openTarget(machineBroker, reached.version);
  const rows: Row[] = [];
  try {
    await setUp(machine);
    rows.push(await coldStart(machine));
    const server = await connectStdio(SERVER, ['--allow-write'], machine.serverEnv());
    try {
      rows.push(await toolCallOverhead(machine, server));
    } finally {
      await server.close();
    }
    rows.push(...(await toolsListSizes(machine.serverEnv())));
    rows.push(await peakMemory(machine));
  } finally {
    await machine.close();
  }
  return rows;
}

/** Peek, move and publish on one broker, in a vhost of its own; what it could not measure, and why. */
async function onBroker(broker: TestBroker): Promise<BrokerRun> {
  const reached = await reachBroker(broker);
  if ('reason' in reached) return { label: `${broker.series}.x`, rows: [], notMeasured: reached.reason };
  const rows: Row[] = [];
  let target: BrokerTarget | undefined;
  let server: StdioServer | undefined;
  try {
    target = await openTarget(broker, reached.version);
    server = await connectStdio(SERVER, ['--allow-destructive'], target.serverEnv());
    rows.push(...(await peekMessages(target, server)));
    rows.push(await moveBetweenQueues(target, server));
    rows.push(await batchPublish(target, server));
    rows.push(await bigMessage(target, server));
    return { label: reached.version, rows };
  } catch (error) {
    return { label: reached.version, rows, notMeasured: `stopped by an error: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    await server?.close();
    await target?.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const { brokers } = selectedBrokers(process.env.BENCH_BROKERS);
  const machineBroker = TEST_BROKERS.find((broker) => !broker.node) as TestBroker;
  const rows = await versionIndependent(machineBroker);
  const runs: BrokerRun[] = [];
  for (const broker of brokers) runs.push(await onBroker(broker));
  await report('stdio server', rows, runs);
}

await main();
