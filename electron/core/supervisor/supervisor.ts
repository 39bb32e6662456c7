import { crashReason, explainingLines } from './crash-report.js';
import { degradedReason } from './degraded-reason.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ApprovalPolicy, SafetyLevel } from '../../shared/profile.js';
import {
  type ApprovalAnswer,
  type ApprovalDecision,
  type ApprovalRequest,
  type ApprovalPolicy as ServerApprovalPolicy,
  isApprovalRequest,
  isApprovalWithdrawn,
} from '../../../server/mcp/app-approval.js';
import type { SupervisorState } from '../../shared/contract.js';
import { type RuntimeInfo, removeRuntimeInfo, writeRuntimeInfo } from './runtime-file.js';
import { settingsEnvironment } from '../../../server/config/settings.js';
import { MAX_STDIO_MESSAGE_BYTES } from '../../../server/transports/stdio/stdio-line-guard.js';

/**
 * The largest POST the app's server takes: whatever the stdio entry passes on (one stdio message,
 * a 16 MiB publish_messages body with room), plus the JSON-RPC envelope the entry's SDK client adds.
 */
const MAX_FORWARDED_BODY_BYTES = MAX_STDIO_MESSAGE_BYTES + 1024 * 1024;

export type { SupervisorState };

/** What the supervised server serves: one profile, as environment variables. */
export interface SupervisorTarget {
  profileId: string;
  profileName: string;
  safety: SafetyLevel;
  /** Which calls the server sends up for a person to approve in the app (MCP_APP_APPROVAL). */
  approval: ApprovalPolicy;
  env: Record<string, string>;
}

/** Why an approval question closed without an answer: the caller gave up, or its server stopped (a switch, a crash, quitting). */
export type ApprovalClosedReason = 'withdrawn' | 'server-stopped';

/**
 * A call of the supervised server waits for a person (the 'approval' event): its request, the
 * profile it runs for, a signal that aborts (reason: ApprovalClosedReason) when the question
 * closes without an answer, and the way to answer it, once.
 */
export interface ApprovalAsked {
  request: ApprovalRequest;
  profileId: string;
  profileName: string;
  signal: AbortSignal;
  /** Sends the answer to the server that asked; false when the question had closed or the server is gone. */
  answer(decision: ApprovalDecision, waitedMs: number): boolean;
}

export interface SupervisorOptions {
  /** The command that runs Node: the app's own binary (with ELECTRON_RUN_AS_NODE=1), or node. */
  command: string;
  /** The bundled server, e.g. resources/server/rabbitmq-mcp-server.mjs. */
  serverEntry: string;
  /** Environment for the command itself, e.g. { ELECTRON_RUN_AS_NODE: '1' }. */
  commandEnv?: Record<string, string>;
  runtimeFile: string;
  logDir: string;
  healthIntervalMs?: number;
  /** Crashes within the window that make it give up instead of restarting. */
  crashLimit?: number;
  crashWindowMs?: number;
  stopTimeoutMs?: number;
  startTimeoutMs?: number;
  /** How long a new server may report the broker unreachable while it connects before that counts as degraded. */
  connectGraceMs?: number;
}

interface Running {
  child: ChildProcess;
  target: SupervisorTarget;
  url: string;
  token: string;
  lastLines: string[];
  /** Set when we asked it to stop: its exit is not a crash. */
  stopping: boolean;
  /** True once the runtime file names this server (written once, even when two checks race). */
  published: boolean;
  publishing: Promise<void> | null;
  startedAt: number;
  /** Unhealthy answers in a row: one slow probe does not turn the tray amber. */
  unhealthy: number;
  /** Its open approval questions by request id. */
  approvals: Map<string, AbortController>;
}

const KEEP_LINES = 40;

/** An approval request whose fields are what the contract says (the child is ours, but a dialog must not show undefined). */
function wellFormed(request: ApprovalRequest): boolean {
  const text = [request.id, request.tool, request.title, request.preview, request.client];
  return text.every((value) => typeof value === 'string') && request.id !== '' && typeof request.destructive === 'boolean';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment a child gets from us: what the OS needs, nothing of the app's own settings. */
function baseEnvironment(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USERPROFILE', 'SystemRoot', 'TEMP', 'TMP', 'TMPDIR', 'LANG', 'APPDATA', 'LOCALAPPDATA'];
  return Object.fromEntries(keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key] as string]));
}

/**
 * Runs the server for the active profile as a child process (HTTP on a loopback port with a
 * random token), watches its health, restarts it with capped backoff when it crashes, gives up
 * and reports its last lines after repeated crashes, and swaps it when the profile changes.
 * The child exits by itself if the app dies: it watches the stdin we hold. Its calls that need a
 * person's approval come up its IPC channel and are emitted as 'approval' events; they close
 * when the server withdraws them or stops.
 */
export class Supervisor extends EventEmitter<{ state: [SupervisorState]; approval: [ApprovalAsked] }> {
  #options: Required<SupervisorOptions>;
  #state: SupervisorState = { status: 'stopped' };
  #running: Running | null = null;
  #target: SupervisorTarget | null = null;
  #crashes: number[] = [];
  #restartTimer: NodeJS.Timeout | null = null;
  #healthTimer: NodeJS.Timeout | null = null;
  #generation = 0;

  constructor(options: SupervisorOptions) {
    super();
    // Each default with `??`: an option given as undefined keeps its default.
    this.#options = {
      ...options,
      commandEnv: options.commandEnv ?? {},
      healthIntervalMs: options.healthIntervalMs ?? 2000,
      crashLimit: options.crashLimit ?? 5,
      crashWindowMs: options.crashWindowMs ?? 120_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 5000,
      startTimeoutMs: options.startTimeoutMs ?? 20_000,
      connectGraceMs: options.connectGraceMs ?? 5000,
    };
  }

  get state(): SupervisorState {
    return this.#state;
  }

  /** Starts the server for a target, or swaps the running one for it. */
  async start(target: SupervisorTarget): Promise<void> {
    this.#target = target;
    this.#crashes = [];
    this.#clearRestart();
    const previous = this.#running;
    const next = await this.#spawn(target);
    // Clients keep talking to the old server until the new one serves; then the file flips.
    await this.#waitUntilServing(next);
    if (previous) await this.#terminate(previous);
  }

  /** After a crash loop: try again from scratch. */
  async restart(): Promise<void> {
    if (this.#target) await this.start(this.#target);
  }

  async stop(): Promise<void> {
    this.#target = null;
    this.#clearRestart();
    this.#stopHealth();
    const running = this.#running;
    this.#running = null;
    if (running) await this.#terminate(running);
    // A runtime file still being written would otherwise land after the removal.
    await running?.publishing;
    await removeRuntimeInfo(this.#options.runtimeFile);
    this.#setState({ status: 'stopped' });
  }

  #setState(state: SupervisorState): void {
    this.#state = state;
    this.emit('state', state);
  }

  async #spawn(target: SupervisorTarget): Promise<Running> {
    const port = await freePort();
    const token = randomBytes(32).toString('hex');
    const child = spawn(this.#options.command, [this.#options.serverEntry], {
      env: {
        ...baseEnvironment(),
        ...this.#options.commandEnv,
        ...target.env,
        ...settingsEnvironment({
          transport: 'http',
          listenHost: '127.0.0.1',
          listenPort: String(port),
          authToken: token,
          rateLimitRpm: '0',
          maxBodyBytes: String(MAX_FORWARDED_BODY_BYTES),
          exitOnStdinClose: 'true',
          // Every toolset: the child serves HTTP, where enable_toolset cannot add one at run time,
          // and a profile has no choice of toolsets yet; so every tool stays reachable in the app.
          tools: 'all',
          logDir: this.#options.logDir,
          // A choice of the profile the server does not know would not compile here.
          appApproval: target.approval satisfies ServerApprovalPolicy,
        }),
      },
      // The IPC channel carries approval questions and answers; only this process holds it.
      stdio: ['pipe', 'ignore', 'pipe', 'ipc'],
      windowsHide: true,
    });
    const running: Running = {
      child,
      target,
      url: `http://127.0.0.1:${port}/mcp`,
      token,
      lastLines: [],
      unhealthy: 0,
      stopping: false,
      published: false,
      publishing: null,
      startedAt: Date.now(),
      approvals: new Map(),
    };
    child.on('message', (message: unknown) => this.#fromServer(running, message));
    child.once('disconnect', () => this.#closeApprovals(running));
    let partial = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      running.lastLines.push(...lines.filter(Boolean));
      running.lastLines.splice(0, Math.max(0, running.lastLines.length - KEEP_LINES));
    });
    child.stdin?.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      this.#closeApprovals(running);
      this.#exited(running, code, signal);
    });
    child.once('error', (error) => {
      running.lastLines.push(`cannot start the server: ${error.message}`);
    });
    this.#running = running;
    this.#generation++;
    this.#setState({ status: 'starting', profileId: target.profileId, profileName: target.profileName, pid: child.pid ?? 0 });
    this.#startHealth(running, this.#generation);
    return running;
  }

  /** What the server sends up its IPC channel: approval questions and their withdrawals; anything else is ignored. */
  #fromServer(running: Running, message: unknown): void {
    if (running.stopping) return;
    if (isApprovalWithdrawn(message) && typeof message.id === 'string') {
      running.approvals.get(message.id)?.abort('withdrawn' satisfies ApprovalClosedReason);
      running.approvals.delete(message.id);
      return;
    }
    if (!isApprovalRequest(message) || !wellFormed(message) || running.approvals.has(message.id)) return;
    const { id } = message;
    const closed = new AbortController();
    running.approvals.set(id, closed);
    const { child, target } = running;
    this.emit('approval', {
      request: message,
      profileId: target.profileId,
      profileName: target.profileName,
      signal: closed.signal,
      answer: (decision, waitedMs) => {
        if (closed.signal.aborted || running.approvals.get(id) !== closed) return false;
        running.approvals.delete(id);
        if (!child.connected) return false;
        const answer: ApprovalAnswer = { type: 'rabbitmq-mcp/approval-answer', id, decision, waitedMs: Math.round(waitedMs) };
        try {
          // A channel that closes while this is under way reports it to the callback, not as a throw later.
          return child.send(answer, (error) => {
            if (error) running.lastLines.push(`cannot send the approval answer to the server: ${error.message}`);
          });
        } catch {
          return false;
        }
      },
    });
  }

  /** The server stopped (or is stopping): its questions need no answer any more. */
  #closeApprovals(running: Running): void {
    for (const closed of running.approvals.values()) closed.abort('server-stopped' satisfies ApprovalClosedReason);
    running.approvals.clear();
  }

  #startHealth(running: Running, generation: number): void {
    this.#stopHealth();
    const poll = async () => {
      if (generation !== this.#generation || this.#running !== running) return;
      await this.#checkHealth(running);
      if (generation === this.#generation && this.#running === running)
        this.#healthTimer = setTimeout(() => void poll(), this.#options.healthIntervalMs);
    };
    this.#healthTimer = setTimeout(() => void poll(), 100);
  }

  #stopHealth(): void {
    if (this.#healthTimer) clearTimeout(this.#healthTimer);
    this.#healthTimer = null;
  }

  async #checkHealth(running: Running): Promise<void> {
    const { target } = running;
    let answer: { status: number; body: Record<string, boolean> } | null = null;
    try {
      const response = await fetch(`${running.url}/health`, { signal: AbortSignal.timeout(2500) });
      answer = { status: response.status, body: (await response.json()) as Record<string, boolean> };
    } catch {
      answer = null;
    }
    if (this.#running !== running || running.stopping) return;
    if (!answer) {
      if (!running.published && Date.now() - running.startedAt > this.#options.startTimeoutMs) {
        running.lastLines.push(`the server did not answer within ${this.#options.startTimeoutMs / 1000}s`);
        running.child.kill('SIGKILL');
      }
      return;
    }
    if (!running.published) {
      // The start-up wait and the poll can both get here first: one write, and neither reports
      // the server until the file that clients read names it.
      running.publishing ??= this.#publish(running).catch((error: Error) => {
        running.publishing = null;
        running.lastLines.push(`cannot write the runtime file ${this.#options.runtimeFile}: ${error.message}`);
      });
      await running.publishing;
      if (this.#running !== running || running.stopping || !running.published) return;
    }
    const base = { profileId: target.profileId, profileName: target.profileName, pid: running.child.pid ?? 0, url: running.url };
    running.unhealthy = answer.status === 200 ? 0 : running.unhealthy + 1;
    if (answer.status === 200) {
      if (this.#state.status !== 'healthy') this.#setState({ status: 'healthy', ...base });
    } else if (this.#state.status === 'starting' && Date.now() - running.startedAt < this.#options.connectGraceMs) {
      // Its first AMQP connection is still under way: not "broker down" yet (no amber flash).
    } else if (this.#state.status === 'healthy' && running.unhealthy < 2) {
      // One unhealthy answer (a probe that timed out under load) is not an outage yet.
    } else {
      const { reason, advice, action } = degradedReason(answer.body, target.env);
      if (this.#state.status !== 'degraded' || this.#state.reason !== reason)
        this.#setState({ status: 'degraded', ...base, reason, advice, action });
    }
  }

  async #publish(running: Running): Promise<void> {
    const info: RuntimeInfo = {
      version: 1,
      url: running.url,
      token: running.token,
      pid: running.child.pid ?? 0,
      appPid: process.pid,
      profileId: running.target.profileId,
      profileName: running.target.profileName,
      safety: running.target.safety,
      startedAt: new Date(running.startedAt).toISOString(),
    };
    await writeRuntimeInfo(this.#options.runtimeFile, info);
    running.published = true;
  }

  /** Resolves once the server answers its health check (any status), or fails. */
  async #waitUntilServing(running: Running): Promise<void> {
    const deadline = Date.now() + this.#options.startTimeoutMs;
    while (Date.now() < deadline) {
      if (running.child.exitCode !== null || running.child.signalCode !== null) return;
      if (running.published) return;
      await this.#checkHealth(running);
      if (running.published) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  #exited(running: Running, code: number | null, signal: NodeJS.Signals | null): void {
    if (running.stopping || this.#running !== running) return;
    this.#stopHealth();
    const exit = signal ? `killed by ${signal}` : `exit code ${code}`;
    const now = Date.now();
    this.#crashes = [...this.#crashes.filter((at) => now - at < this.#options.crashWindowMs), now];
    const { target } = running;
    const base = {
      profileId: target.profileId,
      profileName: target.profileName,
      exit,
      crashes: this.#crashes.length,
      // What explains the stop, not its normal start-up lines.
      lastLines: explainingLines(running.lastLines),
    };
    if (this.#crashes.length >= this.#options.crashLimit) {
      this.#running = null;
      void removeRuntimeInfo(this.#options.runtimeFile);
      this.#setState({
        status: 'failed',
        ...base,
        message: `The server crashed ${this.#crashes.length} times in ${Math.round(this.#options.crashWindowMs / 1000)}s and was not restarted: ${crashReason(exit, running.lastLines)}.`,
      });
      return;
    }
    const restartInMs = Math.min(500 * 2 ** (this.#crashes.length - 1), 15_000);
    this.#setState({ status: 'crashed', ...base, restartInMs });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#target === target && this.#running === running) {
        this.#running = null;
        this.#spawn(target).catch(() => undefined);
      }
    }, restartInMs);
  }

  #clearRestart(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
  }

  /** SIGTERM (the server drains), then SIGKILL if it is still there after the timeout. */
  async #terminate(running: Running): Promise<void> {
    running.stopping = true;
    this.#closeApprovals(running);
    const { child } = running;
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Its calls still waiting for a person end at once (the app is no longer there to answer), so it drains quickly.
    if (child.connected) child.disconnect();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), this.#options.stopTimeoutMs);
    await exited;
    clearTimeout(killer);
  }
}
