import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { inQuotes } from '../../server/broker/one-line.js';
import { type AppStatusInfo, type RuntimeInfo, processAlive, readAppStatus, readRuntimeInfo } from '../core/supervisor/runtime-file.js';
import type { EntryLog } from './entry-log.js';

const OPEN_THE_APP = 'Open the RabbitMQ MCP app (it starts the server for the active profile), then try again.';

/** Why a call cannot reach the app's server, and what the user can do about it. */
export class Unavailable extends Error {
  constructor(
    reason: string,
    readonly advice = OPEN_THE_APP,
  ) {
    super(reason);
  }

  /** The whole answer a client gets: what is wrong, then what to do. */
  get text(): string {
    return `RabbitMQ MCP: ${this.message}. ${this.advice}`;
  }
}

/** A profile as list_brokers shows it (from the app's status file: never a secret). */
export type BrokerProfile = NonNullable<AppStatusInfo['brokers']>[number];

export interface AppServerOptions {
  /** The app's folder: runtime.json, app-status.json. */
  home: string;
  /** How to start the app (command and arguments), or null when this entry cannot. */
  launchCommand: readonly string[] | null;
  /** The environment the app starts with. */
  launchEnv: NodeJS.ProcessEnv;
  log: EntryLog;
  /** How long to wait for a server the app is starting. */
  startWaitMs: number;
  /** How often the files are looked at while waiting. */
  pollMs: number;
}

/** The truth when the app runs but publishes no server, or null while it is still getting there. */
function notServing(status: AppStatusInfo): Unavailable | null {
  const { server } = status;
  switch (server.status) {
    case 'failed':
      return new Unavailable(
        `the server for profile ${inQuotes(server.profileName)} crashed ${server.crashes} times (${server.exit}) and the app stopped restarting it${server.lastError ? `; its last error: ${server.lastError}` : ''}`,
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The server the desktop app supervises, as its runtime and status files say: the one published
 * now, the one a running app is about to publish, or (when no app runs) the one of an app started
 * in the background, once. A running app is never started twice; when no server will come, the
 * Unavailable thrown says why and what to do.
 */
export class AppServer {
  readonly runtimeFile: string;
  readonly statusFile: string;
  #launching: Promise<RuntimeInfo> | null = null;

  constructor(private readonly options: AppServerOptions) {
    this.runtimeFile = join(options.home, 'runtime.json');
    this.statusFile = join(options.home, 'app-status.json');
  }

  /** The server published now by a live app, or null. */
  async current(): Promise<RuntimeInfo | null> {
    const info = await readRuntimeInfo(this.runtimeFile);
    return info && processAlive(info.appPid) ? info : null;
  }

  /** What the running app says it is doing, or null when no app runs. */
  async runningApp(): Promise<AppStatusInfo | null> {
    const status = await readAppStatus(this.statusFile);
    return status && processAlive(status.appPid) ? status : null;
  }

  /** The app's profiles when it runs with two or more (there is something to switch to), else null. */
  async brokers(): Promise<BrokerProfile[] | null> {
    const status = await this.runningApp();
    return status?.brokers && status.brokers.length >= 2 ? status.brokers : null;
  }

  /** The published server: now, once the running app publishes one, or after starting the app. */
  async reach(): Promise<RuntimeInfo> {
    const info = await this.current();
    if (info) return info;
    if (await this.runningApp()) return this.serverOfRunningApp(Date.now() + this.options.startWaitMs);
    return this.#startApp();
  }

  /**
   * Waits for the server of an app that runs (starting, restarting after a crash), and says what
   * is true when it will not come (crash loop given up, no profile, the app quit).
   */
  async serverOfRunningApp(deadline: number): Promise<RuntimeInfo> {
    for (;;) {
      const info = await this.current();
      if (info) return info;
      const status = await this.runningApp();
      if (!status) throw new Unavailable('the RabbitMQ MCP app quit');
      const problem = notServing(status);
      if (problem) throw problem;
      if (Date.now() > deadline) {
        const profile = 'profileName' in status.server ? inQuotes(status.server.profileName) : '?';
        throw new Unavailable(`the app's server for profile ${profile} is still ${status.server.status}`);
      }
      await sleep(this.options.pollMs);
    }
  }

  /** Starts the app in the background (tray only) once, and waits until its server is published. */
  #startApp(): Promise<RuntimeInfo> {
    this.#launching ??= this.#launch().finally(() => {
      // A second call soon after follows the same start; later ones look again.
      setTimeout(() => {
        this.#launching = null;
      }, 5000).unref();
    });
    return this.#launching;
  }

  async #launch(): Promise<RuntimeInfo> {
    const { launchCommand: command, launchEnv, log, startWaitMs, pollMs } = this.options;
    if (!command || command.length === 0) throw new Unavailable('the RabbitMQ MCP app is not running');
    const env = { ...launchEnv };
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
    const deadline = Date.now() + startWaitMs;
    for (;;) {
      const info = await this.current();
      if (info) return info;
      // Another instance was already there (ours left at once): follow that one.
      if (await this.runningApp()) return this.serverOfRunningApp(deadline);
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Unavailable(`the RabbitMQ MCP app did not start its server within ${startWaitMs / 1000}s`);
      await sleep(Math.min(pollMs, 100));
    }
  }
}
