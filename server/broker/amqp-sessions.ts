import { AmqpSession, type AmqpSessionOptions } from './amqp-session.js';

const IDLE_CLOSE_MS = 5 * 60_000;
const MAX_EXTRA_SESSIONS = 8;

/**
 * An AMQP connection is bound to one virtual host, and tools may name any vhost. This keeps the
 * configured vhost's session open for the life of the server and opens others on demand,
 * closing them after five idle minutes (and the least recently used beyond eight).
 */
export class AmqpSessions {
  readonly default: AmqpSession;
  #options: Omit<AmqpSessionOptions, 'vhost'>;
  #extra = new Map<string, { session: AmqpSession; lastUsed: number }>();
  #sweeper: NodeJS.Timeout;

  constructor(options: Omit<AmqpSessionOptions, 'vhost'> & { defaultVhost: string }) {
    const { defaultVhost, ...shared } = options;
    this.#options = shared;
    this.default = new AmqpSession({ ...shared, vhost: defaultVhost });
    this.#sweeper = setInterval(() => this.#sweep(Date.now() - IDLE_CLOSE_MS), 60_000);
    this.#sweeper.unref();
  }

  start(): void {
    this.default.start();
  }

  forVhost(vhost: string): AmqpSession {
    this.#options.scope?.checkVhost(vhost);
    if (vhost === this.default.vhost) return this.default;
    const known = this.#extra.get(vhost);
    if (known) {
      known.lastUsed = Date.now();
      return known.session;
    }
    const session = new AmqpSession({ ...this.#options, vhost });
    this.#extra.set(vhost, { session, lastUsed: Date.now() });
    if (this.#extra.size > MAX_EXTRA_SESSIONS) {
      const oldest = [...this.#extra.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (oldest) this.#drop(oldest[0]);
    }
    session.start();
    return session;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const sessions = [this.default, ...[...this.#extra.values()].map((entry) => entry.session)];
    this.#extra.clear();
    await Promise.all(sessions.map((session) => session.close()));
  }

  #sweep(olderThan: number): void {
    for (const [vhost, entry] of this.#extra) if (entry.lastUsed < olderThan) this.#drop(vhost);
  }

  #drop(vhost: string): void {
    const entry = this.#extra.get(vhost);
    this.#extra.delete(vhost);
    entry?.session.close().catch(() => undefined);
  }
}
