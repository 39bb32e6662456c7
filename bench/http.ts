/**
 * HTTP transport throughput: requests/s and latency at concurrency 1, 8 and 32, our server (auth
 * and rate limiting on) against the bare stateless server of SDK v1 (the target's baseline) and,
 * reported, of SDK v2 with JSON answers (what our server adds to the SDK), all started in the
 * same run; then the peak RSS of each.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { NODE_24, nodeBinary } from '../test/support/node-binary.js';
import { portOpen, waitForPort } from '../test/support/ports.js';
import { RSS_BUDGET_MB } from './budgets.js';
import { type Row, percentile, report } from './report.js';
import { peakRssMiB } from './stdio-process.js';

const TOKEN = randomBytes(24).toString('hex');
const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
const vhost = `mcp-bench-http-${randomBytes(3).toString('hex')}`;
const SECONDS = 3;
/** Concurrent clients of each run; the comparison servers replay the same runs. */
const CONCURRENCIES = [1, 8, 32] as const;

/**
 * V8's own heap heuristics, which the server's heap policy (server/config/heap-policy.ts) replaces
 * unless node is given these flags: the young generation doubling up to its maximum, the old one
 * growing by V8's dynamic factor.
 */
const V8_DEFAULT_HEAP = ['--semi-space-growth-factor=2', '--heap-growing-percent=0'];

function rssRow(metric: string, mib: number, baselineMiB: number, budgeted: boolean): Row {
  const mb = (mib * 1024 * 1024) / 1e6;
  return {
    metric: `${metric}, ${mb.toFixed(0)} MB`,
    ours: mib,
    baseline: baselineMiB,
    unit: 'MiB',
    ratio: mib / baselineMiB,
    target: budgeted ? `≤ ${RSS_BUDGET_MB} MB` : 'reported',
    pass: !budgeted || mb <= RSS_BUDGET_MB,
  };
}

async function management(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`http://127.0.0.1:15672/api${path}`, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status}`);
}

async function freePortFrom(start: number): Promise<number> {
  let port = start;
  while (await portOpen(port)) port++;
  return port;
}

async function startServer(args: string[], env: Record<string, string>, port: number, node = process.execPath): Promise<ChildProcess> {
  const child = spawn(node, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  if (!(await waitForPort(port, 10))) throw new Error(`server on ${port} did not start`);
  return child;
}

/** Our server over HTTP on `port`, auth on and the rate limit out of the way, run by `node` with `nodeFlags`. */
function startOurs(port: number, nodeFlags: string[] = [], node = process.execPath): Promise<ChildProcess> {
  return startServer(
    [...nodeFlags, 'dist/server/rabbitmq-mcp-server.mjs', '--transport', 'http', '--port', String(port)],
    { AMQP_HOST: '127.0.0.1', AMQP_VHOST: vhost, MCP_AUTH_TOKEN: TOKEN, RATE_LIMIT_RPM: '1000000', LOG_LEVEL: 'info' },
    port,
    node,
  );
}

/** Closed-loop load: `concurrency` workers, each sending the next request when the last answered. */
async function load(
  url: string,
  body: string,
  headers: Record<string, string>,
  concurrency: number,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  const send = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const outgoing = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (response.statusCode === 200) latencies.push(performance.now() - started);
            else errors++;
            resolve();
          });
        },
      );
      outgoing.on('error', () => {
        errors++;
        resolve();
      });
      outgoing.end(body);
    });
  const run = async (ms: number) => {
    const until = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) await send();
      }),
    );
  };
  await run(500);
  latencies.length = 0;
  const started = performance.now();
  await run(SECONDS * 1000);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

/** Runs of a pair alternate, so a busy moment of the machine falls on both; the median run of each counts. */
const PAIRS = 3;

type LoadResult = Awaited<ReturnType<typeof load>>;

async function paired(
  oursUrl: string,
  auth: Record<string, string>,
  otherUrl: string,
  body: string,
  concurrency: number,
): Promise<[LoadResult, LoadResult]> {
  const ours: LoadResult[] = [];
  const other: LoadResult[] = [];
  for (let run = 0; run < PAIRS; run++) {
    ours.push(await load(oursUrl, body, auth, concurrency));
    other.push(await load(otherUrl, body, {}, concurrency));
  }
  const median = (results: LoadResult[]) => {
    const sorted = [...results].sort((x, y) => x.rps - y.rps);
    const middle = sorted[Math.floor(sorted.length / 2)] as LoadResult;
    return { ...middle, errors: results.reduce((sum, result) => sum + result.errors, 0) };
  };
  return [median(ours), median(other)];
}

async function main(): Promise<void> {
  const encoded = encodeURIComponent(vhost);
  const rows: Row[] = [];
  let ours: ChildProcess | undefined;
  let baseline: ChildProcess | undefined;
  let sdkV2: ChildProcess | undefined;
  const others: ChildProcess[] = [];
  try {
    await management('PUT', `/vhosts/${encoded}`, {});
    await management('PUT', `/permissions/${encoded}/guest`, { configure: '.*', write: '.*', read: '.*' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => management('PUT', `/queues/${encoded}/q-${i}`, { durable: true })));
    const oursPort = await freePortFrom(18_700);
    ours = await startOurs(oursPort);
    const basePort = await freePortFrom(oursPort + 1);
    baseline = await startServer(['bench/fixtures/echo-http-server.mjs', String(basePort)], {}, basePort);
    const sdkPort = await freePortFrom(basePort + 1);
    sdkV2 = await startServer(['bench/fixtures/echo-http-server.mjs', String(sdkPort), 'v2'], {}, sdkPort);
    const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const read = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'list_queues', arguments: { page_size: 20 } },
    });
    const echo = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } });
    const oursUrl = `http://127.0.0.1:${oursPort}/mcp`;
    const baseUrl = `http://127.0.0.1:${basePort}/mcp`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const sdkUrl = `http://127.0.0.1:${sdkPort}/mcp`;
    for (const concurrency of CONCURRENCIES) {
      // The budget is at 32 clients, where a server's own overhead shows; below, it must keep up.
      const least = concurrency === 32 ? 2 : 0.8;
      const [a, b] = await paired(oursUrl, auth, baseUrl, list, concurrency);
      rows.push({
        metric: `tools/list c=${concurrency} req/s, median of ${PAIRS} alternated runs (p50 ${a.p50.toFixed(1)} / p99 ${a.p99.toFixed(1)} ms vs ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} ms)`,
        ours: a.rps,
        baseline: b.rps,
        unit: 'req/s',
        ratio: a.rps / b.rps,
        target: `≥ ${least}×`,
        pass: a.rps / b.rps >= least && a.errors === 0,
      });
      // What our server costs on top of the SDK v2 it is built on (JSON answers, one echo tool).
      const [c, d] = await paired(oursUrl, auth, sdkUrl, list, concurrency);
      rows.push({
        metric: `tools/list c=${concurrency} req/s vs the bare SDK v2 server (JSON answers), median of ${PAIRS}`,
        ours: c.rps,
        baseline: d.rps,
        unit: 'req/s',
        ratio: c.rps / d.rps,
        target: 'reported',
        pass: c.errors === 0 && d.errors === 0,
      });
    }
    for (const concurrency of CONCURRENCIES) {
      const a = await load(oursUrl, read, auth, concurrency);
      const b = await load(baseUrl, echo, {}, concurrency);
      rows.push({
        metric: `list_queues c=${concurrency} req/s vs echo tool (p50 ${a.p50.toFixed(1)} / p99 ${a.p99.toFixed(1)} ms vs ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} ms)`,
        ours: a.rps,
        baseline: b.rps,
        unit: 'req/s',
        ratio: a.rps / b.rps,
        target: 'reported',
        pass: a.errors === 0,
      });
    }
    const baselineMiB = peakRssMiB(baseline.pid as number);
    rows.push(
      rssRow('peak RSS through the 32-way runs, plain node (vs baseline server)', peakRssMiB(ours.pid as number), baselineMiB, true),
    );
    ours.kill('SIGTERM');
    // The same runs again: with V8's own heap heuristics (what the heap policy saves), then on Node 24.
    const replays: [string, string[], string][] = [
      [`node ${V8_DEFAULT_HEAP.join(' ')} (no heap policy)`, V8_DEFAULT_HEAP, process.execPath],
      [`Node ${NODE_24}`, [], nodeBinary(NODE_24)],
    ];
    let port = sdkPort;
    for (const [what, flags, node] of replays) {
      port = await freePortFrom(port + 1);
      const replay = await startOurs(port, flags, node);
      others.push(replay);
      let errors = 0;
      for (const body of [list, read])
        for (const concurrency of CONCURRENCIES) errors += (await load(`http://127.0.0.1:${port}/mcp`, body, auth, concurrency)).errors;
      const row = rssRow(`peak RSS through the same runs, ${what}`, peakRssMiB(replay.pid as number), baselineMiB, false);
      rows.push({ ...row, pass: errors === 0 });
      replay.kill('SIGTERM');
    }
  } finally {
    ours?.kill('SIGTERM');
    baseline?.kill('SIGTERM');
    sdkV2?.kill('SIGTERM');
    for (const other of others) other.kill('SIGTERM');
    await management('DELETE', `/vhosts/${encoded}`);
  }
  await report('HTTP transport', rows);
}

await main();
