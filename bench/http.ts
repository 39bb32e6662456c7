/**
 * HTTP transport throughput: requests/s and latency at concurrency 1, 8 and 32, our server (auth
 * and rate limiting on) against the SDK's bare stateless server started in the same run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { dockerEntrypoint } from '../test/support/dockerfile.js';
import { portOpen, waitForPort } from '../test/support/ports.js';
import { type Row, percentile, report } from './report.js';
import { peakRssMiB } from './stdio-process.js';

const TOKEN = randomBytes(24).toString('hex');
const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
const vhost = `mcp-bench-http-${randomBytes(3).toString('hex')}`;
const SECONDS = 3;
/** Concurrent clients of each run; the Dockerfile-flags server replays the same runs. */
const CONCURRENCIES = [1, 8, 32] as const;

/** The Node flags of the Dockerfile's ENTRYPOINT, so the bench measures what the image runs. */
const DOCKER_NODE_FLAGS = dockerEntrypoint().filter((part) => part.startsWith('--'));

/** The budget is 150 MB (decimal), about 143 MiB. */
function rssRow(metric: string, mib: number, baselineMiB: number): Row {
  const mb = (mib * 1024 * 1024) / 1e6;
  return {
    metric: `${metric}, ${mb.toFixed(0)} MB`,
    ours: mib,
    baseline: baselineMiB,
    unit: 'MiB',
    ratio: mib / baselineMiB,
    target: '≤ 150 MB',
    pass: mb <= 150,
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

async function startServer(args: string[], env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  if (!(await waitForPort(port, 10))) throw new Error(`server on ${port} did not start`);
  return child;
}

/** Our server over HTTP on `port`, auth on and the rate limit out of the way, under `nodeFlags`. */
function startOurs(port: number, nodeFlags: string[] = []): Promise<ChildProcess> {
  return startServer(
    [...nodeFlags, 'dist/server/rabbitmq-mcp-server.mjs', '--transport', 'http', '--port', String(port)],
    { AMQP_HOST: '127.0.0.1', AMQP_VHOST: vhost, MCP_AUTH_TOKEN: TOKEN, RATE_LIMIT_RPM: '1000000', LOG_LEVEL: 'info' },
    port,
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

async function main(): Promise<void> {
  const encoded = encodeURIComponent(vhost);
  const rows: Row[] = [];
  let ours: ChildProcess | undefined;
  let baseline: ChildProcess | undefined;
  let tuned: ChildProcess | undefined;
  try {
    await management('PUT', `/vhosts/${encoded}`, {});
    await management('PUT', `/permissions/${encoded}/guest`, { configure: '.*', write: '.*', read: '.*' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => management('PUT', `/queues/${encoded}/q-${i}`, { durable: true })));
    const oursPort = await freePortFrom(18_700);
    ours = await startOurs(oursPort);
    const basePort = await freePortFrom(oursPort + 1);
    baseline = await startServer(['bench/fixtures/echo-http-server.mjs', String(basePort)], {}, basePort);
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
    for (const concurrency of CONCURRENCIES) {
      const a = await load(oursUrl, list, auth, concurrency);
      const b = await load(baseUrl, list, {}, concurrency);
      const ratio = a.rps / b.rps;
      rows.push({
        metric: `tools/list c=${concurrency} req/s (p50 ${a.p50.toFixed(1)} / p99 ${a.p99.toFixed(1)} ms vs ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} ms)`,
        ours: a.rps,
        baseline: b.rps,
        unit: 'req/s',
        ratio,
        target: '≥ 0.8×',
        pass: ratio >= 0.8 && a.errors === 0,
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
    rows.push(rssRow('peak RSS through the 32-way runs, plain node (vs baseline server)', peakRssMiB(ours.pid as number), baselineMiB));
    ours.kill('SIGTERM');
    // The same runs against the server as the Docker image starts it (a smaller young generation).
    const tunedPort = await freePortFrom(basePort + 1);
    tuned = await startOurs(tunedPort, DOCKER_NODE_FLAGS);
    const tunedUrl = `http://127.0.0.1:${tunedPort}/mcp`;
    let tunedErrors = 0;
    for (const body of [list, read])
      for (const concurrency of CONCURRENCIES) tunedErrors += (await load(tunedUrl, body, auth, concurrency)).errors;
    const tunedRow = rssRow(
      `peak RSS through the same runs, node ${DOCKER_NODE_FLAGS.join(' ')} (Dockerfile)`,
      peakRssMiB(tuned.pid as number),
      baselineMiB,
    );
    rows.push({ ...tunedRow, pass: tunedRow.pass && tunedErrors === 0 });
  } finally {
    ours?.kill('SIGTERM');
    baseline?.kill('SIGTERM');
    tuned?.kill('SIGTERM');
    await management('DELETE', `/vhosts/${encoded}`);
  }
  await report('HTTP transport', rows);
}

await main();
