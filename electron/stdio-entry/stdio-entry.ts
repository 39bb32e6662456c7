/**
 * What AI clients launch (through the app's own binary, ELECTRON_RUN_AS_NODE=1): an MCP server
 * on stdio that forwards every message to the server the app supervises, found through the
 * runtime file. A profile switch in the app rewrites that file, so the client's next call goes
 * to the new server without the client reconnecting; a change of safety level is announced
 * with notifications/tools/list_changed. When no server is published, the app's status file
 * says why (a crash loop given up on, no profile yet) and the answer says so; a running app is
 * never started twice. When the app is not running it is started in the background and waited
 * for; one that exits at once, or cannot start, is reported at once.
 */
import { spawn } from 'node:child_process';
import { watchFile } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DailyLogFile } from '../../server/logging/daily-log-file.js';
import { type AppStatusInfo, type RuntimeInfo, processAlive, readAppStatus, readRuntimeInfo } from '../core/supervisor/runtime-file.js';

const home = process.env.RABBITMQ_MCP_HOME ?? join(homedir(), '.rabbitmq-mcp');
const runtimeFile = join(home, 'runtime.json');
const statusFile = join(home, 'app-status.json');
const START_WAIT_MS = 30_000;
const RETRY_WINDOW_MS = 15_000;

let logFile: DailyLogFile | null = null;
try {
  logFile = new DailyLogFile({ dir: join(home, 'logs'), prefix: 'stdio-entry', retentionDays: 30 });
} catch {
  // No log folder: keep serving, stdout must stay clean either way.
}

function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  logFile?.write(`${JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, source: 'stdio-entry', ...fields, msg })}\n`);
}

interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: unknown;
}

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function currentServer(): Promise<RuntimeInfo | null> {
  const info = await readRuntimeInfo(runtimeFile);
  return info && processAlive(info.appPid) ? info : null;
}

/** What the running app says it is doing, or null when no app is running. */
async function runningApp(): Promise<AppStatusInfo | null> {
  const status = await readAppStatus(statusFile);
  return status && processAlive(status.appPid) ? status : null;
}

const OPEN_THE_APP = 'Open the RabbitMQ MCP app (it starts the server for the active profile), then try again.';

/** Why a call cannot reach a server, and what the user can do about it. */
class Unavailable extends Error {
  constructor(
    reason: string,
    readonly advice = OPEN_THE_APP,
  ) {
    super(reason);
  }
}

/** The truth when the app runs but publishes no server, or null while it is still getting there. */
function notServing(status: AppStatusInfo): Unavailable | null {
  const { server } = status;
  switch (server.status) {
    case 'failed':
      return new Unavailable(
        `the server for profile '${server.profileName}' crashed ${server.crashes} times (${server.exit}) and the app stopped restarting it${server.lastError ? `; its last error: ${server.lastError}` : ''}`,
        'Open the RabbitMQ MCP app and press "Restart the server" (Profiles page or tray menu), or edit the profile, then try again.',
      );
    case 'stopped':
      return status.profiles === 0
        ? new Unavailable('the RabbitMQ MCP app has no broker yet', 'Open the RabbitMQ MCP app and add a broker, then try again.')
        : new Unavailable("the RabbitMQ MCP app's server is stopped", 'Open the RabbitMQ MCP app and pick a profile, then try again.');
    default:
      return null;
  }
}

let launching: Promise<RuntimeInfo> | null = null;

/** How to start the app: RABBITMQ_MCP_LAUNCH (a JSON array, set in AppImage configs), else the app's own binary. */
function launchCommand(): string[] | null {
  if (process.env.RABBITMQ_MCP_LAUNCH) return JSON.parse(process.env.RABBITMQ_MCP_LAUNCH) as string[];
  if (!process.versions.electron) return null;
  // Inside an AppImage the binary lives on a mount that goes away with this process: start the
  // AppImage file itself. APPIMAGE counts only when this binary is inside its APPDIR (another
  // AppImage, say the AI client's own, would leave its APPIMAGE in our environment).
  const { APPIMAGE, APPDIR } = process.env;
  if (APPIMAGE && APPDIR && process.execPath.startsWith(`${APPDIR}/`)) return [APPIMAGE, '--hidden'];
  return [process.execPath, '--hidden'];
}

/**
 * Waits for the server of an app that runs (starting, restarting after a crash), and says what
 * is true when it will not come (crash loop given up, no profile, the app quit). Never starts
 * another app.
 */
async function serverOfRunningApp(deadline: number): Promise<RuntimeInfo> {
  for (;;) {
    const info = await currentServer();
    if (info) return info;
    const status = await runningApp();
    if (!status) throw new Unavailable('the RabbitMQ MCP app quit');
    const problem = notServing(status);
    if (problem) throw problem;
    if (Date.now() > deadline) {
      throw new Unavailable(
        `the app's server for profile '${'profileName' in status.server ? status.server.profileName : '?'}' is still ${status.server.status}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts the app in the background (tray only) once, and waits until its server is published. */
function startApp(): Promise<RuntimeInfo> {
  launching ??= (async () => {
    const command = launchCommand();
    if (!command) throw new Unavailable('the RabbitMQ MCP app is not running');
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    log('info', 'starting the app', { command: command[0] });
    let failure: Unavailable | null = null;
    try {
      const child = spawn(command[0] as string, command.slice(1), { detached: true, stdio: 'ignore', env, windowsHide: true });
      child.on('error', (error) => {
        failure = new Unavailable('the RabbitMQ MCP app could not be started');
        log('error', 'cannot start the app', { reason: error.message });
      });
      // A tray app keeps running: one that exits at once crashed, or found another instance.
      child.on('exit', (code, signal) => {
        failure ??= new Unavailable(
          `the RabbitMQ MCP app exited at once (${signal ? `killed by ${signal}` : `exit code ${code}`}) without starting its server`,
          'Open the RabbitMQ MCP app yourself to see what is wrong, then try again.',
        );
        log('warn', 'the app exited at once', { code, signal });
      });
      child.unref();
    } catch (error) {
      log('error', 'cannot start the app', { reason: (error as Error).message });
      throw new Unavailable('the RabbitMQ MCP app could not be started');
    }
    const deadline = Date.now() + START_WAIT_MS;
    for (;;) {
      const info = await currentServer();
      if (info) return info;
      const status = await runningApp();
      // Another instance was already there (ours left at once): follow that one.
      if (status) return serverOfRunningApp(deadline);
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Unavailable(`the RabbitMQ MCP app did not start its server within ${START_WAIT_MS / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })().finally(() => {
    setTimeout(() => {
      launching = null;
    }, 5000);
  });
  return launching;
}

async function post(info: RuntimeInfo, message: JsonRpcMessage): Promise<Response> {
  return fetch(info.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${info.token}` },
    body: JSON.stringify(message),
  });
}

/** The published server: now, once the running app publishes one, or after starting the app. */
async function reachServer(): Promise<RuntimeInfo> {
  const info = await currentServer();
  if (info) return info;
  if (await runningApp()) return serverOfRunningApp(Date.now() + START_WAIT_MS);
  return startApp();
}

/** Posts one message, riding out a profile switch or restart (503, refused, new token). */
async function deliver(message: JsonRpcMessage): Promise<Response> {
  await reachServer();
  const deadline = Date.now() + RETRY_WINDOW_MS;
  let lastProblem = '';
  for (;;) {
    const info = (await currentServer()) ?? (await serverOfRunningApp(deadline));
    try {
      const response = await post(info, message);
      if (response.status !== 503 && response.status !== 401) return response;
      lastProblem = `the app's server answered ${response.status}`;
      await response.body?.cancel();
    } catch (error) {
      lastProblem = `the app's server is not reachable (${(error as Error).message})`;
    }
    if (Date.now() > deadline) throw new Unavailable(lastProblem);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Copies a JSON or SSE answer to stdout, message by message. */
async function relay(response: Response): Promise<void> {
  if (response.status === 202) return;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream') && response.body) {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary !== -1) {
        const event = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data) process.stdout.write(`${data}\n`);
        boundary = buffer.indexOf('\n\n');
      }
    }
    return;
  }
  const text = (await response.text()).trim();
  if (text) process.stdout.write(`${text.replace(/\n/g, ' ')}\n`);
}

/**
 * The answer when the app's server cannot be reached: the client still gets through initialize
 * (so it stays connected and picks the tools up once the app runs: see watchServer), an empty
 * tool list, and tool calls that say what to do.
 */
function unavailableAnswer(message: JsonRpcMessage, problem: Unavailable): unknown {
  const text = `RabbitMQ MCP: ${problem.message}. ${problem.advice}`;
  const params = (message.params ?? {}) as { protocolVersion?: string };
  switch (message.method) {
    case 'initialize':
      return {
        jsonrpc: '2.0',
        id: message.id,
        result: {
          protocolVersion: params.protocolVersion ?? '2025-06-18',
          capabilities: { tools: { listChanged: true } },
          serverInfo: { name: 'rabbitmq-mcp-server', version: 'stdio-entry' },
          instructions: text,
        },
      };
    case 'tools/list':
      return { jsonrpc: '2.0', id: message.id, result: { tools: [] } };
    case 'ping':
      return { jsonrpc: '2.0', id: message.id, result: {} };
    case 'tools/call':
      return { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text }], isError: true } };
    default:
      return { jsonrpc: '2.0', id: message.id, error: { code: -32603, message: text } };
  }
}

async function handle(line: string): Promise<void> {
  let message: JsonRpcMessage;
  try {
    message = JSON.parse(line) as JsonRpcMessage;
  } catch {
    send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    return;
  }
  const started = Date.now();
  try {
    const response = await deliver(message);
    await relay(response);
    log('info', 'forwarded', { rpc: message.method ?? 'response', status: response.status, ms: Date.now() - started });
  } catch (error) {
    const problem = error instanceof Unavailable ? error : new Unavailable(`forwarding failed: ${(error as Error).message}`);
    log('warn', 'not forwarded', { rpc: message.method, reason: problem.message });
    if (message.id !== undefined && message.method !== undefined) send(unavailableAnswer(message, problem));
  }
}

/**
 * Announces a new tool set when the app's server appears (the app was opened) or the app switches
 * to a profile of another safety level.
 */
async function watchServer(): Promise<void> {
  let seen = (await currentServer())?.safety ?? 'none';
  watchFile(runtimeFile, { interval: 500, persistent: false }, () => {
    void currentServer().then((info) => {
      const now = info?.safety ?? 'none';
      if (now === seen) return;
      seen = now;
      if (!info) return;
      log('info', 'tool set changed', { safety: info.safety, profile: info.profileName });
      send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    });
  });
}

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
const pending = new Set<Promise<void>>();
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const work = handle(line);
  pending.add(work);
  void work.finally(() => pending.delete(work));
});
lines.on('close', () => {
  void Promise.allSettled([...pending]).then(() => process.exit(0));
});
log('info', 'stdio entry started', { home });
void watchServer();
