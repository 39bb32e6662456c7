import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SERVER_BIN, SERVER_NODE, ensureBuilt } from './built-server.js';
import { brokerEnv } from './mcp-harness.js';
import { waitForPort } from './ports.js';

export interface HttpProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The built server in HTTP mode as a child process; resolves once its port accepts connections. */
export async function startHttpProcess(env: Record<string, string> = {}, args: string[] = [], port?: number): Promise<HttpProcess> {
  await ensureBuilt();
  const listenPort = port ?? (await freePort());
  const child = spawn(SERVER_NODE, [SERVER_BIN, '--transport', 'http', '--port', String(listenPort), ...args], {
    env: { PATH: process.env.PATH ?? '', ...brokerEnv({ LOG_LEVEL: 'info', ...env }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // Serving means the port answers (whatever the health status): poll it, whatever LOG_LEVEL says.
  const scheme = args.includes('--tls-cert') ? 'https' : 'http';
  if (!(await waitForPort(listenPort, 15))) {
    throw new Error(
      child.exitCode !== null
        ? `server exited (${child.exitCode}) before serving:\n${stderr}`
        : `server did not start within 15 s:\n${stderr}`,
    );
  }
  return {
    child,
    port: listenPort,
    url: `${scheme}://127.0.0.1:${listenPort}/mcp`,
    stderr: () => stderr,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
