/**
 * `npm run bench`: the server against baselines measured in the same run, printed side by side.
 * Needs the local broker (as the tests do) and the built server. Bounded: about a minute.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { type Row, median, report } from './report.js';
import { type StdioServer, connectStdio, peakRssMiB, timeToInitialize } from './stdio-process.js';

const SERVER = 'dist/server/rabbitmq-mcp-server.mjs';
const ECHO = 'bench/fixtures/echo-server.mjs';
const BROKER = { host: '127.0.0.1', amqpPort: 5672, httpPort: 15672, user: 'guest', password: 'guest' };
const AUTH = `Basic ${Buffer.from(`${BROKER.user}:${BROKER.password}`).toString('base64')}`;
const vhost = `mcp-bench-${randomBytes(3).toString('hex')}`;
const api = (path: string) => `http://${BROKER.host}:${BROKER.httpPort}/api${path}`;
const env = (extra: Record<string, string> = {}) => ({
  AMQP_HOST: BROKER.host,
  AMQP_USER: BROKER.user,
  AMQP_PASSWORD: BROKER.password,
  AMQP_VHOST: vhost,
  LOG_LEVEL: 'silent',
  ...extra,
});

const rows: Row[] = [];

async function management(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(api(path), {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

async function setUp(): Promise<void> {
  const encoded = encodeURIComponent(vhost);
  await management('PUT', `/vhosts/${encoded}`, {});
  await management('PUT', `/permissions/${encoded}/${BROKER.user}`, { configure: '.*', write: '.*', read: '.*' });
  await Promise.all(
    Array.from({ length: 50 }, (_, i) => management('PUT', `/queues/${encoded}/listed-${String(i).padStart(2, '0')}`, { durable: true })),
  );
  await management('PUT', `/queues/${encoded}/publish-target`, { durable: true });
}

async function coldStart(): Promise<void> {
  const ours: number[] = [];
  const baseline: number[] = [];
  await timeToInitialize(SERVER, env());
  await timeToInitialize(ECHO, {});
  for (let run = 0; run < 15; run++) {
    ours.push(await timeToInitialize(SERVER, env()));
    baseline.push(await timeToInitialize(ECHO, {}));
  }
  const ratio = median(ours) / median(baseline);
  rows.push({
    metric: 'cold start: spawn → initialize (median of 15)',
    ours: median(ours),
    baseline: median(baseline),
    unit: 'ms',
    ratio,
    target: '≤ 0.7×',
    pass: ratio <= 0.7,
  });
}

async function toolCallOverhead(server: StdioServer): Promise<void> {
  const query =
    'page=1&page_size=50&columns=name,type,state,messages,messages_ready,messages_unacknowledged,consumers,message_stats.publish_details.rate,message_stats.deliver_get_details.rate';
  const direct = () =>
    fetch(api(`/queues/${encodeURIComponent(vhost)}?${query}`), { headers: { authorization: AUTH } }).then((r) => r.json());
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
  rows.push({
    metric: 'list 50 queues: MCP call vs direct fetch (median of 200)',
    ours: median(ours),
    baseline: median(baseline),
    unit: 'ms',
    ratio,
    target: '≤ 1.3×',
    pass: ratio <= 1.3,
  });
}

async function batchPublish(server: StdioServer): Promise<void> {
  const count = 10_000;
  const messages = Array.from({ length: count }, (_, i) => ({ body: `message ${i}` }));
  const connection = await connect({
    hostname: BROKER.host,
    port: BROKER.amqpPort,
    username: BROKER.user,
    password: BROKER.password,
    vhost,
  });
  const purge = () => management('DELETE', `/queues/${encodeURIComponent(vhost)}/publish-target/contents`);
  const raw = async () => {
    const channel = await connection.createConfirmChannel();
    const started = performance.now();
    for (const message of messages) {
      if (!channel.sendToQueue('publish-target', Buffer.from(message.body), { persistent: true }))
        await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
    const ms = performance.now() - started;
    await channel.close();
    return ms;
  };
  const viaMcp = async () => {
    const started = performance.now();
    const result = await server.client.callTool(
      { name: 'publish_messages', arguments: { routing_key: 'publish-target', messages } },
      undefined,
      { timeout: 120_000 },
    );
    const text = (result.content as { text: string }[])[0]?.text ?? '';
    if (!text.includes(`${count} routed and confirmed`)) throw new Error(`publish failed: ${text}`);
    return performance.now() - started;
  };
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < 3; run++) {
    baseline.push(await raw());
    await purge();
    ours.push(await viaMcp());
    await purge();
  }
  await connection.close();
  const oursRate = count / (median(ours) / 1000);
  const rawRate = count / (median(baseline) / 1000);
  const ratio = oursRate / rawRate;
  rows.push({
    metric: 'publish 10,000 with confirms: one tool call vs raw amqplib',
    ours: oursRate,
    baseline: rawRate,
    unit: 'msg/s',
    ratio,
    target: '≥ 0.5×',
    pass: ratio >= 0.5,
  });
}

/**
 * move_messages against the same move done by hand with amqplib: get a batch (manual ack),
 * publish it with confirms, ack up to the last one. Both lose nothing and keep the order.
 */
async function moveBetweenQueues(): Promise<void> {
  const count = 10_000;
  const batch = 1000;
  const encoded = encodeURIComponent(vhost);
  await management('PUT', `/queues/${encoded}/move-from`, { durable: true });
  await management('PUT', `/queues/${encoded}/move-to`, { durable: true });
  const connection = await connect({
    hostname: BROKER.host,
    port: BROKER.amqpPort,
    username: BROKER.user,
    password: BROKER.password,
    vhost,
  });
  const server = await connectStdio(SERVER, ['--allow-destructive'], env());
  const purge = () => Promise.all(['move-from', 'move-to'].map((queue) => management('DELETE', `/queues/${encoded}/${queue}/contents`)));
  const fill = async () => {
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < count; i++) {
      if (!channel.sendToQueue('move-from', Buffer.from(`message ${i}`), { persistent: true }))
        await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
    await channel.close();
  };
  const arrived = async () => {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue('move-to');
    await channel.close();
    if (messageCount !== count) throw new Error(`move lost messages: ${messageCount} of ${count} arrived`);
  };
  const raw = async () => {
    const channel = await connection.createConfirmChannel();
    const started = performance.now();
    for (;;) {
      const taken = [];
      while (taken.length < batch) {
        const message = await channel.get('move-from', { noAck: false });
        if (message === false) break;
        taken.push(message);
      }
      const last = taken.at(-1);
      if (!last) break;
      for (const message of taken) {
        if (!channel.sendToQueue('move-to', message.content, message.properties))
          await new Promise((resolve) => channel.once('drain', resolve));
      }
      await channel.waitForConfirms();
      channel.ack(last, true);
    }
    const ms = performance.now() - started;
    await channel.close();
    return ms;
  };
  const viaMcp = async () => {
    const started = performance.now();
    const result = await server.client.callTool(
      { name: 'move_messages', arguments: { from: 'move-from', to: 'move-to', count, confirm: true } },
      undefined,
      { timeout: 120_000 },
    );
    const ms = performance.now() - started;
    const text = (result.content as { text: string }[])[0]?.text ?? '';
    if (!text.startsWith(`Moved ${count} messages`)) throw new Error(`move failed: ${text}`);
    return ms;
  };
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let run = 0; run < 3; run++) {
      await fill();
      baseline.push(await raw());
      await arrived();
      await purge();
      await fill();
      ours.push(await viaMcp());
      await arrived();
      await purge();
    }
  } finally {
    await server.close();
    await connection.close();
  }
  const oursRate = count / (median(ours) / 1000);
  const rawRate = count / (median(baseline) / 1000);
  const ratio = oursRate / rawRate;
  rows.push({
    metric: 'move 10,000 between queues: one tool call vs amqplib get/publish/confirm/ack',
    ours: oursRate,
    baseline: rawRate,
    unit: 'msg/s',
    ratio,
    target: '≥ 1.0×',
    pass: ratio >= 1,
  });
}

async function toolsListSizes(): Promise<void> {
  const levels: [string, string[], number | undefined][] = [
    ['read-only, all groups', [], 8_000],
    ['write, all groups', ['--allow-write'], 16_000],
    ['destructive, all groups', ['--allow-destructive'], 16_000],
    ['destructive, --tools queues,messages,health', ['--allow-destructive', '--tools', 'queues,messages,health'], undefined],
    ['read-only, --output-schemas', ['--output-schemas'], undefined],
    ['destructive, --output-schemas', ['--allow-destructive', '--output-schemas'], undefined],
  ];
  for (const [level, args, budget] of levels) {
    const server = await connectStdio(SERVER, args, env());
    const { tools } = await server.client.listTools();
    const json = JSON.stringify({ tools });
    const bytes = Buffer.byteLength(json);
    await server.close();
    rows.push({
      metric: `tools/list size, ${level} (${tools.length} tools)`,
      ours: bytes,
      baseline: budget ?? Number.NaN,
      unit: 'bytes',
      ratio: budget ? bytes / budget : Number.NaN,
      target: budget ? `≤ ${budget} bytes` : 'reported',
      pass: budget ? bytes <= budget : true,
    });
    // What a model's context pays: tokens of the same JSON, with GPT-4o's o200k_base encoding
    // (Claude's tokenizer is not published; counts of other tokenizers differ by some percent).
    rows.push({
      metric: `tools/list tokens (o200k_base), ${level}`,
      ours: encode(json).length,
      baseline: Number.NaN,
      unit: 'tokens',
      ratio: Number.NaN,
      target: 'reported',
      pass: true,
    });
  }
}

async function peakMemory(): Promise<void> {
  const ours = await connectStdio(SERVER, ['--allow-write'], env());
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
  rows.push({
    metric: 'peak RSS after 1,000 tool calls (vs echo server)',
    ours: oursMiB,
    baseline: echoMiB,
    unit: 'MiB',
    ratio: oursMiB / echoMiB,
    target: '≤ 80 MiB',
    pass: oursMiB <= 80,
  });
}

async function main(): Promise<void> {
  await setUp();
  try {
    await coldStart();
    const server = await connectStdio(SERVER, ['--allow-write'], env());
    try {
      await toolCallOverhead(server);
      await batchPublish(server);
    } finally {
      await server.close();
    }
    await moveBetweenQueues();
    await toolsListSizes();
    await peakMemory();
  } finally {
    await management('DELETE', `/vhosts/${encodeURIComponent(vhost)}`);
  }
  await report('stdio server', rows);
}

await main();
