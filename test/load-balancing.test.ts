import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { waitForPort } from './support/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestVhost } from './support/broker-fixture.js';
import { startNginx } from './support/nginx.js';
import { type HttpProcess, freePort, startHttpProcess } from './support/http-process.js';

const TOKEN = 'load-balancer-test-token-0123456789';
const INSTANCES = 3;
const WORKERS = 12;

const vhost = useTestVhost('mcp-lb');
const folder = mkdtempSync(join(tmpdir(), 'mcp-lb-'));

afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
});

function requireBinary(name: string, install: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${name} is not installed: ${install} (.ci/run installs it)`);
  return found;
}

/** Replaces `from` (which must be present) in a deploy file, so the test breaks if the file changes shape. */
function replaceAll(text: string, from: string | RegExp, to: string): string {
  const pattern = typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : from;
  if (!pattern.test(text)) throw new Error(`deploy file no longer contains ${String(from)}`);
  return text.replace(pattern, to);
}

interface Tally {
  ok: number;
  failed: string[];
}

/** Bounded load: workers loop tools/call and tools/list through the balancer until stopped. */
function startLoad(url: string): { stop: () => Promise<Tally> } {
  const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
  const tally: Tally = { ok: 0, failed: [] };
  let running = true;
  const bodies = [
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_queues', arguments: {} } }),
    JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
  ];
  const once = (body: string) =>
    new Promise<void>((resolve) => {
      const outgoing = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}` },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => {
            const parsed = (() => {
              try {
                return JSON.parse(text) as { result?: { isError?: boolean }; error?: unknown };
              } catch {
                return undefined;
              }
            })();
            if (response.statusCode === 200 && parsed?.result && parsed.result.isError !== true) tally.ok++;
            else tally.failed.push(`${response.statusCode}: ${text.slice(0, 200)}`);
            resolve();
          });
        },
      );
      outgoing.on('error', (error) => {
        tally.failed.push(`network: ${error.message}`);
        resolve();
      });
      outgoing.end(body);
    });
  const workers = Array.from({ length: WORKERS }, async (_, worker) => {
    for (let i = worker; running; i++) await once(bodies[i % 2] as string);
  });
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return tally;
    },
  };
}

async function startInstances(): Promise<{ ports: number[]; instances: HttpProcess[] }> {
  const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
  const instances = await Promise.all(ports.map((port) => startHttpProcess(instanceEnv(), [], port)));
  return { ports, instances };
}

function instanceEnv(): Record<string, string> {
  return { AMQP_VHOST: vhost.name, MCP_AUTH_TOKEN: TOKEN, RATE_LIMIT_RPM: '0', LOG_LEVEL: 'warn' };
}

/**
 * SIGTERM each instance in turn under load, wait for its exit, start it again on its port, and
 * give the balancer `settleMs` to take it back before the next one (nginx: its fail_timeout).
 */
async function rollingRestart(
  instances: HttpProcess[],
  ports: number[],
  settleMs: number,
  whileDown?: (index: number) => Promise<void>,
): Promise<number[]> {
  const exitCodes: number[] = [];
  for (let index = 0; index < instances.length; index++) {
    await new Promise((resolve) => setTimeout(resolve, index === 0 ? 700 : settleMs));
    exitCodes.push(Number(await (instances[index] as HttpProcess).stop('SIGTERM')));
    await whileDown?.(index);
    instances[index] = await startHttpProcess(instanceEnv(), [], ports[index]);
  }
  // The load runs on across the last instance's return: the balancer's fail_timeout, as above.
  await new Promise((resolve) => setTimeout(resolve, 700));
  return exitCodes;
}

describe('behind nginx (deploy/nginx/rabbitmq-mcp.conf)', () => {
  it('serves a bounded load through a rolling restart of three instances with zero failed requests', async () => {
    const { ports, instances } = await startInstances();
    const lbPort = await freePort();
    const prefix = join(folder, 'nginx');
    mkdirSync(prefix, { recursive: true });
    let site = readFileSync('deploy/nginx/rabbitmq-mcp.conf', 'utf8');
    for (let i = 0; i < INSTANCES; i++) site = replaceAll(site, `instance${i + 1}.example.com:8000`, `127.0.0.1:${ports[i]}`);
    expect(site).toContain('fail_timeout=5s');
    site = replaceAll(site, 'listen 443 ssl http2;', `listen 127.0.0.1:${lbPort};`);
    site = replaceAll(site, /^\s*ssl_certificate.*$/gm, '');
    writeFileSync(join(prefix, 'site.conf'), site);
    const server: ChildProcess = await startNginx(prefix, `include ${prefix}/site.conf;`, lbPort);
    try {
      const load = startLoad(`http://127.0.0.1:${lbPort}/mcp`);
      const exitCodes = await rollingRestart(instances, ports, 5500);
      const tally = await load.stop();
      expect(exitCodes).toEqual([0, 0, 0]);
      expect(tally.failed).toEqual([]);
      expect(tally.ok).toBeGreaterThan(200);
      const health = await fetch(`http://127.0.0.1:${lbPort}/health`);
      expect(health.status).toBe(200);
      // nginx met the stopping instances (503 while draining, then refused connections) and
      // passed those requests on to the others.
      expect(readFileSync(join(prefix, 'error.log'), 'utf8')).toContain('upstream server temporarily disabled');
    } finally {
      server.kill('SIGQUIT');
      await Promise.all(instances.map((instance) => instance.stop('SIGKILL')));
    }
  });
});

describe('behind HAProxy (deploy/haproxy/haproxy.cfg)', () => {
  it('takes a stopped instance out of rotation by its health check and loses no request', async () => {
    const haproxy = requireBinary('haproxy', 'apt-get install haproxy');
    const { ports, instances } = await startInstances();
    const lbPort = await freePort();
    const socket = join(folder, 'haproxy.sock');
    let config = readFileSync('deploy/haproxy/haproxy.cfg', 'utf8');
    config = replaceAll(config, 'bind *:8000 ssl crt /etc/ssl/mcp.pem', `bind 127.0.0.1:${lbPort}`);
    for (let i = 0; i < INSTANCES; i++) config = replaceAll(config, `10.0.1.1${i}:8000`, `127.0.0.1:${ports[i]}`);
    config = replaceAll(config, 'inter 5s fall 3 rise 2', 'inter 1s fall 2 rise 1');
    config = replaceAll(
      config,
      'log stdout format raw local0',
      `log stdout format raw local0\n    stats socket ${socket} mode 600 level admin`,
    );
    writeFileSync(join(folder, 'haproxy.cfg'), config);
    const server = spawn(haproxy, ['-db', '-f', join(folder, 'haproxy.cfg')], { stdio: 'ignore' });
    const status = (name: string) =>
      new Promise<string>((resolve) => {
        const client = connect(socket);
        let text = '';
        client.on('data', (chunk) => {
          text += chunk;
        });
        client.on('end', () =>
          resolve(
            text
              .split('\n')
              .find((line) => line.startsWith(`mcp_backend,${name},`))
              ?.split(',')[17] ?? 'unknown',
          ),
        );
        client.on('error', () => resolve('unknown'));
        client.end('show stat\n');
      });
    try {
      expect(await waitForPort(lbPort, 10)).toBe(true);
      const load = startLoad(`http://127.0.0.1:${lbPort}/mcp`);
      const seenDown: string[] = [];
      const exitCodes = await rollingRestart(instances, ports, 700, async (index) => {
        // Checks every second, down after two failures: up to 10 s on a loaded machine.
        for (let i = 0; i < 200; i++) {
          const state = await status(`instance${index + 1}`);
          if (state === 'DOWN') {
            seenDown.push(`instance${index + 1}`);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      const tally = await load.stop();
      expect(exitCodes).toEqual([0, 0, 0]);
      expect(seenDown).toEqual(['instance1', 'instance2', 'instance3']);
      expect(tally.failed).toEqual([]);
      expect(tally.ok).toBeGreaterThan(200);
    } finally {
      server.kill('SIGTERM');
      await Promise.all(instances.map((instance) => instance.stop('SIGKILL')));
    }
  });
});
