import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { settings } from '../server/config/settings.js';
import { containerServerArgs } from '../server/transports/http/health-check.js';
import { VERSION } from '../server/version.js';
import { type ReplayedImage, replayDockerfile } from './support/dockerfile.js';
import { freePort } from './support/http-process.js';
import { brokerEnv } from './support/mcp-harness.js';
import { node22 } from './support/node-binary.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'docker-replay-token-0123456789abcdef';

/** Files under a folder, relative to it. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1));
}

/** Seconds in a Docker duration such as 5s, 2m or 1m30s. */
function seconds(duration: string): number {
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

describe('the Docker image, replayed without a Docker engine', () => {
  let image: ReplayedImage;
  let nodeBin: string;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    nodeBin = dirname(node22()); // the image's base is node:22-slim
    image = await replayDockerfile(ROOT, { nodeBin });
  }, 600_000);

  afterAll(() => {
    for (const child of running) child.kill('SIGKILL');
    if (image) rmSync(dirname(image.root), { recursive: true, force: true });
  });

  /** `docker run` of the image: the ENTRYPOINT in the WORKDIR with the image's ENV, then the caller's -e. */
  function dockerRun(env: Record<string, string>, args: string[] = []) {
    const [command, ...rest] = image.entrypoint;
    const child = spawn(command === 'node' ? join(nodeBin, 'node') : (command as string), [...rest, ...args], {
      cwd: image.workdir,
      env: { PATH: `${nodeBin}:${process.env.PATH ?? ''}`, ...image.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    running.push(child);
    return { child, stderr: () => stderr };
  }

  /** What Docker runs every interval: the HEALTHCHECK command, beside the server, with the container's environment. */
  function healthcheck(env: Record<string, string>) {
    const [command, ...rest] = image.healthcheck?.command ?? [];
    return spawnSync(command === 'node' ? join(nodeBin, 'node') : (command as string), rest, {
      cwd: image.workdir,
      env: { PATH: `${nodeBin}:${process.env.PATH ?? ''}`, ...image.env, ...env },
      encoding: 'utf8',
      timeout: seconds(image.healthcheck?.options.timeout ?? '30s') * 1000,
    });
  }

  /** Docker's verdict: healthy once a check passes within the start period plus the retries. */
  async function becomesHealthy(env: Record<string, string>): Promise<ReturnType<typeof healthcheck>> {
    const options = image.healthcheck?.options ?? {};
    const deadline =
      Date.now() + (seconds(options['start-period'] ?? '0s') + seconds(options.interval ?? '30s') * Number(options.retries ?? 3)) * 1000;
    let last = healthcheck(env);
    while (last.status !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      last = healthcheck(env);
    }
    return last;
  }

  it('builds in its own stages from the Dockerfile alone, and holds the server bundle only', () => {
    const files = filesUnder(image.root);
    expect(files).toContain('app/dist/server/rabbitmq-mcp-server.mjs');
    expect(files.filter((file) => !file.startsWith('app/dist/server/'))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(image.user).toBe('node');
    const known = new Set(Object.values(settings).map((setting) => setting.env));
    for (const name of Object.keys(image.env)) expect(known.has(name) || name === 'NODE_ENV', `${name} is not a setting`).toBe(true);
    expect(image.exposed).toEqual([Number(image.env.MCP_HTTP_PORT)]);
    // The ENTRYPOINT runs the bundle (Node flags included) with nothing else installed.
    const version = spawnSync(join(nodeBin, 'node'), [...image.entrypoint.slice(1), '--version'], { cwd: image.workdir, encoding: 'utf8' });
    expect(version.stdout.trim(), version.stderr).toBe(VERSION);
  });

  it('serves a healthy /mcp/health against the broker, as its HEALTHCHECK reports, on the port it was given', async () => {
    const port = String(await freePort());
    const env = brokerEnv({ LOG_LEVEL: 'warn', MCP_AUTH_TOKEN: TOKEN, MCP_HTTP_PORT: port });
    const server = dockerRun(env);
    const check = await becomesHealthy(env);
    expect(check.status, `${check.stdout}${check.stderr}\n${server.stderr()}`).toBe(0);
    expect(check.stdout.trim()).toBe(`http://127.0.0.1:${port}/mcp/health: 200 healthy`);
    const health = await fetch(`http://127.0.0.1:${port}/mcp/health`);
    expect(await health.json()).toMatchObject({ status: 'healthy' });
    // MCP itself wants the token: bound to 0.0.0.0, the image is meant to be reached from outside.
    const mcp = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(mcp.status).toBe(401);
    server.child.kill('SIGTERM');
    expect(await new Promise((resolve) => server.child.once('exit', (code) => resolve(code)))).toBe(0);
  });

  it('checks HTTPS when TLS is configured, and reports unhealthy when the broker is unreachable', async () => {
    const folder = dirname(image.root);
    const key = join(folder, 'key.pem');
    const cert = join(folder, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=mcp.example.com'],
      {
        stdio: 'ignore',
      },
    );
    const port = String(await freePort());
    const tls = brokerEnv({ LOG_LEVEL: 'warn', MCP_AUTH_TOKEN: TOKEN, MCP_HTTP_PORT: port, MCP_TLS_CERT: cert, MCP_TLS_KEY: key });
    const secure = dockerRun(tls);
    const check = await becomesHealthy(tls);
    expect(check.status, `${check.stdout}${check.stderr}\n${secure.stderr()}`).toBe(0);
    expect(check.stdout.trim()).toBe(`https://127.0.0.1:${port}/mcp/health: 200 healthy`);
    secure.child.kill('SIGTERM');

    const downPort = String(await freePort());
    const closedAmqp = String(await freePort());
    const down = brokerEnv({ LOG_LEVEL: 'silent', MCP_AUTH_TOKEN: TOKEN, MCP_HTTP_PORT: downPort, AMQP_PORT: closedAmqp });
    const unreachable = dockerRun(down);
    let answer = healthcheck(down);
    for (let tries = 0; tries < 40 && !answer.stdout.includes(': 503'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      answer = healthcheck(down);
    }
    expect(answer.status).toBe(1);
    expect(answer.stdout.trim()).toBe(`http://127.0.0.1:${downPort}/mcp/health: 503 unhealthy`);
    unreachable.child.kill('SIGTERM');
    // Nothing listening at all: a clear line, not a stack trace.
    const nobody = healthcheck({ ...down, MCP_HTTP_PORT: String(await freePort()) });
    expect(nobody.status).toBe(1);
    expect(nobody.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp\/health: connect ECONNREFUSED/);
  });

  it('answers before Docker gives up on it, and the README builds the tag the Kubernetes Deployment runs', () => {
    expect(seconds(image.healthcheck?.options.timeout ?? '30s')).toBeGreaterThan(1.8); // the check's own limit
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const built = [...readme.matchAll(/docker build -t (\S+) \./g)].map((match) => match[1]);
    expect(built.length).toBeGreaterThan(0);
    const deployment = parse(readFileSync(join(ROOT, 'deploy/kubernetes/deployment.yaml'), 'utf8'));
    const deployed = deployment.spec.template.spec.containers[0].image;
    expect(deployed).toBe(`registry.example.com/rabbitmq-mcp-server:${VERSION}`);
    for (const tag of built) expect(tag).toBe(deployed);
    expect(existsSync(join(ROOT, '.dockerignore'))).toBe(true);
  });
});

describe("the health check's view of a container", () => {
  const cmdline =
    (...argv: string[]) =>
    () =>
      `${argv.join('\0')}\0`;

  it('takes the options of the server running as PID 1 (docker run image --port 9000), not its own', () => {
    const entry = '/app/dist/server/rabbitmq-mcp-server.mjs';
    expect(
      containerServerArgs(
        entry,
        cmdline('node', '--max-semi-space-size=4', 'dist/server/rabbitmq-mcp-server.mjs', '--port', '9000', '--tls-cert', '/c.pem'),
      ),
    ).toEqual(['--port', '9000', '--tls-cert', '/c.pem']);
  });

  it('takes nothing when PID 1 is something else or cannot be read', () => {
    const entry = '/app/dist/server/rabbitmq-mcp-server.mjs';
    expect(containerServerArgs(entry, cmdline('/sbin/init', '--port', '1'))).toEqual([]);
    expect(
      containerServerArgs(entry, () => {
        throw new Error('EACCES');
      }),
    ).toEqual([]);
  });
});
