import { EventEmitter } from 'node:events';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { BrokerEndpoint } from '../config/load-config.js';
import type { Logger } from '../logging/logger.js';
import { SERVER_NAME, VERSION } from '../version.js';
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from './backoff.js';
import { type Scope, scopedChannel, unscoped } from './scope.js';
import { BrokerError, type BrokerErrorCode, fromAmqpError, socketFailure } from './broker-errors.js';
import { commonJsExports } from './common-js.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { readTlsFiles } from './tls-files.js';
import { inQuotes } from './one-line.js';

export type AmqpStatus = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

export interface AmqpState {
  status: AmqpStatus;
  /** Failed attempts since the last successful connection. */
  failures: number;
  /** Why the last attempt failed, in words and as a code (see connectError). */
  lastError?: string;
  lastCode?: BrokerErrorCode;
  /** Set while the broker blocks publishers (memory or disk alarm). */
  blockedReason?: string;
  retryAt?: number;
}

export interface AmqpSessionOptions {
  endpoint: BrokerEndpoint;
  vhost: string;
  poolSize: number;
  timeoutMs: number;
  logger: Logger;
  telemetry?: Telemetry;
  backoff?: BackoffOptions;
  /** Queues out of scope are refused on every channel this session lends. */
  scope?: Scope;
}

interface Waiter {
  resolve: (channel: ConfirmChannel) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A call that arrives during backoff starts an attempt early if the last one ended this long ago. */
const EARLY_RETRY_AFTER_MS = 1000;
const HEARTBEAT_SECONDS = 15;

/**
 * One AMQP connection to one virtual host, kept alive: it reconnects with capped exponential
 * backoff, and lends confirm channels from a small pool. A channel the broker closed (NOT_FOUND,
 * PRECONDITION_FAILED…) is dropped and replaced, never lent again. While the broker is down,
 * callers get a BrokerError at once instead of waiting for the next retry.
 */
export class AmqpSession extends EventEmitter<{ state: [AmqpState] }> {
  readonly vhost: string;
  #options: AmqpSessionOptions;
  #state: AmqpState = { status: 'idle', failures: 0 };
  #model: ChannelModel | null = null;
  #attempt: Promise<ChannelModel> | null = null;
  #lastAttemptEnded = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #idle: ConfirmChannel[] = [];
  #lent = new Set<ConfirmChannel>();
  #opening = 0;
  #waiters: Waiter[] = [];
  #dead = new WeakSet<object>();

  constructor(options: AmqpSessionOptions) {
    super();
    this.#options = options;
    this.vhost = options.vhost;
  }

  get state(): AmqpState {
    return this.#state;
  }

  get address(): string {
    return `${this.#options.endpoint.host}:${this.#options.endpoint.port}`;
  }

  /** Starts connecting in the background; failures are retried, never thrown. */
  start(): void {
    if (this.#state.status === 'idle') this.#connectInBackground();
  }

  /** Runs `work` on a pooled confirm channel. */
  async withChannel<T>(context: string, work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    return this.#traced(context, async () => {
      const model = await this.#connected();
      const channel = await this.#acquire(model);
      try {
        return await this.#bounded(context, channel, work(this.#scoped(channel)));
      } catch (error) {
        throw this.#explain(error, context);
      } finally {
        this.#release(channel);
      }
    });
  }

  /** A channel outside the pool; the caller closes it. */
  async openChannel(context: string): Promise<ConfirmChannel> {
    const model = await this.#connected();
    try {
      const channel = await model.createConfirmChannel();
      this.#watch(channel);
      return this.#scoped(channel);
    } catch (error) {
      throw this.#explain(error, context);
    }
  }

  /**
   * Runs `work` on a channel of its own, closed afterwards. For consumers and long reads, which
   * must not hold a pooled channel or leave prefetch settings behind.
   */
  async withOwnChannel<T>(context: string, work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    return this.#traced(context, async () => {
      const channel = await this.openChannel(context);
      try {
        return await work(channel);
      } catch (error) {
        throw this.#explain(error, context);
      } finally {
        await this.closeChannel(channel);
      }
    });
  }

  /** A span per AMQP operation, named by its verb ("amqp publishing") to keep names few. */
  #traced<T>(context: string, work: () => Promise<T>): Promise<T> {
    const telemetry = this.#options.telemetry;
    return telemetry ? telemetry.brokerRequest('amqp', context.split(' ')[0] ?? 'operation', work) : work();
  }

  /** Fails fast when publishing would stall on a broker alarm. */
  assertNotBlocked(): void {
    if (this.#state.blockedReason) {
      throw new BrokerError(
        'blocked',
        `the broker is blocking publishers (${this.#state.blockedReason}); clear the memory or disk alarm first`,
      );
    }
  }

  /** Closes a channel from openChannel unless the broker already did. */
  async closeChannel(channel: ConfirmChannel): Promise<void> {
    const original = unscoped(channel);
    if (!this.#dead.has(original)) await original.close().catch(() => undefined);
  }

  #scoped(channel: ConfirmChannel): ConfirmChannel {
    return this.#options.scope ? scopedChannel(channel, this.#options.scope, this.vhost) : channel;
  }

  /** The error for work cut short because the connection dropped under it. */
  connectionLost(context: string): BrokerError {
    return new BrokerError(
      'unreachable',
      `broker unreachable at ${this.address} (connection lost while ${context}); retrying in the background`,
    );
  }

  /** Maps any error from work done on this session's channels to a BrokerError. */
  explain(error: unknown, context: string): BrokerError {
    return this.#explain(error, context);
  }

  async close(): Promise<void> {
    if (this.#state.status === 'closed') return;
    this.#setState({ status: 'closed', failures: 0 });
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#failWaiters(new BrokerError('unreachable', 'the server is shutting down'));
    // An attempt still in flight is not waited for: it closes its connection itself if it succeeds.
    const model = this.#model;
    this.#model = null;
    this.#idle = [];
    if (model) await model.close().catch(() => undefined);
  }

  #setState(next: AmqpState): void {
    this.#state = next;
    this.emit('state', next);
  }

  #unreachable(): BrokerError {
    const reason = this.#state.lastError ?? 'not connected yet';
    const retry = this.#state.retryAt ? `; retrying in ${Math.max(0, Math.ceil((this.#state.retryAt - Date.now()) / 1000))}s` : '';
    return new BrokerError(this.#state.lastCode ?? 'unreachable', `broker unreachable at ${this.address} (${reason})${retry}`, {
      service: 'amqp',
    });
  }

  async #connected(): Promise<ChannelModel> {
    if (this.#model) return this.#model;
    if (this.#state.status === 'closed') throw new BrokerError('unreachable', 'the server is shutting down');
    if (!this.#attempt) {
      if (Date.now() - this.#lastAttemptEnded < EARLY_RETRY_AFTER_MS) throw this.#unreachable();
      this.#connectInBackground();
    }
    try {
      return await (this.#attempt as Promise<ChannelModel>);
    } catch {
      throw this.#unreachable();
    }
  }

  #connectInBackground(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#setState({ ...this.#state, status: 'connecting', retryAt: undefined });
    const attempt = this.#open();
    this.#attempt = attempt;
    attempt.then(
      (model) => {
        this.#attempt = null;
        this.#lastAttemptEnded = Date.now();
        if (this.#state.status === 'closed') {
          model.close().catch(() => undefined);
          return;
        }
        this.#adopt(model);
      },
      (error: unknown) => {
        this.#attempt = null;
        this.#lastAttemptEnded = Date.now();
        if (this.#state.status === 'closed') return;
        const failure = connectError(error, this.#options.endpoint.user, this.vhost);
        this.#scheduleRetry(failure.message, failure.code);
      },
    );
  }

  #open(): Promise<ChannelModel> {
    return connectAmqp(this.#options.endpoint, this.vhost, this.#options.timeoutMs);
  }

  #adopt(model: ChannelModel): void {
    this.#model = model;
    this.#setState({ status: 'connected', failures: 0 });
    this.#options.logger.info({ broker: this.address, vhost: this.vhost }, 'AMQP connected');
    model.on('error', (error: Error) => {
      this.#options.logger.warn({ broker: this.address, vhost: this.vhost, reason: error.message }, 'AMQP connection error');
    });
    model.on('blocked', (reason: string) => this.#setState({ ...this.#state, blockedReason: reason }));
    model.on('unblocked', () => this.#setState({ ...this.#state, blockedReason: undefined }));
    model.on('close', (error?: Error) => {
      if (this.#model !== model) return;
      this.#model = null;
      this.#idle = [];
      this.#lent.clear();
      if (this.#state.status === 'closed') return;
      const { code, reason } = error ? socketFailure(error) : { code: 'unreachable' as const, reason: 'connection closed' };
      this.#options.logger.warn({ broker: this.address, vhost: this.vhost, reason }, 'AMQP connection lost');
      this.#failWaiters(new BrokerError('unreachable', `broker unreachable at ${this.address} (${reason})`, { service: 'amqp' }));
      this.#scheduleRetry(reason, code, 0);
    });
    this.#serveWaiters();
  }

  #scheduleRetry(reason: string, code: BrokerErrorCode, failuresBefore = this.#state.failures): void {
    const failures = failuresBefore + 1;
    const delay =
      failuresBefore === 0 && this.#state.status !== 'connecting' ? 0 : backoffDelay(failures, this.#options.backoff ?? DEFAULT_BACKOFF);
    this.#setState({ status: 'waiting', failures, lastError: reason, lastCode: code, retryAt: Date.now() + delay });
    if (failures === 1 || failures % 10 === 0) {
      this.#options.logger.warn({ broker: this.address, vhost: this.vhost, reason, failures, retryInMs: delay }, 'AMQP connect failed');
    }
    this.#retryTimer = setTimeout(() => this.#connectInBackground(), delay);
    this.#retryTimer.unref();
  }

  #watch(channel: ConfirmChannel): void {
    channel.on('error', () => undefined);
    channel.on('close', () => {
      this.#dead.add(channel);
      this.#idle = this.#idle.filter((idle) => idle !== channel);
    });
  }

  async #acquire(model: ChannelModel): Promise<ConfirmChannel> {
    const idle = this.#idle.pop();
    if (idle) {
      this.#lent.add(idle);
      return idle;
    }
    if (this.#lent.size + this.#opening < this.#options.poolSize) return this.#openPooled(model);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(
            new BrokerError(
              'pool_exhausted',
              `all ${this.#options.poolSize} AMQP channels stayed busy for ${this.#options.timeoutMs / 1000}s`,
            ),
          );
        }, this.#options.timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  async #openPooled(model: ChannelModel): Promise<ConfirmChannel> {
    this.#opening++;
    try {
      const channel = await model.createConfirmChannel();
      this.#watch(channel);
      this.#lent.add(channel);
      return channel;
    } catch (error) {
      throw this.#explain(error, 'opening an AMQP channel');
    } finally {
      this.#opening--;
    }
  }

  #release(channel: ConfirmChannel): void {
    if (!this.#lent.delete(channel)) return;
    if (this.#dead.has(channel)) {
      this.#serveWaiters();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      this.#lent.add(channel);
      waiter.resolve(channel);
    } else {
      this.#idle.push(channel);
    }
  }

  #serveWaiters(): void {
    const model = this.#model;
    while (model && this.#waiters.length > 0 && this.#lent.size + this.#opening < this.#options.poolSize) {
      const waiter = this.#waiters.shift() as Waiter;
      clearTimeout(waiter.timer);
      this.#openPooled(model).then(waiter.resolve, waiter.reject);
    }
  }

  #failWaiters(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  /** Bounds one operation by REQUEST_TIMEOUT; a channel that timed out is closed, not reused. */
  #bounded<T>(context: string, channel: ConfirmChannel, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#dead.add(channel);
        channel.close().catch(() => undefined);
        reject(new BrokerError('timeout', `${context}: the broker did not answer within ${this.#options.timeoutMs / 1000}s`));
      }, this.#options.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  #explain(error: unknown, context: string): BrokerError {
    if (error instanceof BrokerError) return error;
    if (!this.#model) return this.#unreachable();
    const text = error instanceof Error ? error.message : String(error);
    // The socket died and the connection's close event has not arrived yet.
    if (/^(channel closed|Channel ended|Connection closed \(|Socket closed)/i.test(text)) return this.connectionLost(context);
    return fromAmqpError(error, context);
  }
}

/** One AMQP connection with our client properties (name shown in the management UI) and TLS files. */
export async function connectAmqp(endpoint: BrokerEndpoint, vhost: string, timeoutMs: number): Promise<ChannelModel> {
  const tls = endpoint.tls ? readTlsFiles(endpoint.tls) : undefined;
  // Loaded on the first connection, after `initialize` has been answered.
  const { connect } = commonJsExports(await import('amqplib'));
  return connect(
    {
      protocol: endpoint.tls ? 'amqps' : 'amqp',
      hostname: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      password: endpoint.password,
      vhost,
      heartbeat: HEARTBEAT_SECONDS,
    },
    {
      timeout: Math.min(timeoutMs, 10_000),
      noDelay: true,
      ...(tls ? { ...tls, servername: isIpAddress(endpoint.host) ? undefined : endpoint.host } : {}),
      clientProperties: { connection_name: `${SERVER_NAME} ${VERSION} (pid ${process.pid})`, product: SERVER_NAME, version: VERSION },
    },
  );
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** A connection failure as a BrokerError: the socket's reason, or what the broker said about the login. */
export function connectError(error: unknown, user: string, vhost: string): BrokerError {
  const text = error instanceof Error ? error.message : String(error);
  const failure = (code: BrokerErrorCode, message: string) => new BrokerError(code, message, { service: 'amqp' });
  if (/ACCESS_REFUSED|ACCESS-REFUSED/.test(text)) return failure('login_refused', `login refused for user ${inQuotes(user)}`);
  // The broker refuses connection.open (530 NOT_ALLOWED) when the vhost is missing or forbidden;
  // amqplib reports that as an unexpected ConnectionClose in place of ConnectionOpenOk.
  if (/NOT_ALLOWED|NOT-ALLOWED|vhost .* not found|access to vhost|Expected ConnectionOpenOk; got <ConnectionClose/i.test(text)) {
    return failure(
      'vhost_denied',
      `no access to vhost ${inQuotes(vhost)}: it does not exist or user ${inQuotes(user)} has no permissions on it`,
    );
  }
  if (/Socket closed abruptly during opening handshake|Unexpected close/i.test(text)) {
    return failure('not_amqp', 'connection closed during the handshake');
  }
  if (/Expected ConnectionStart|frame/i.test(text) && !/ECONN/.test(text)) {
    return failure('not_amqp', `the peer does not speak AMQP 0-9-1 (${text})`);
  }
  const { code, reason } = socketFailure(error);
  return failure(code, reason);
}
