import type { Broker } from '../broker/broker.js';
import { apiPath } from '../broker/management-client.js';
import type { HealthReport } from './health-report.js';

export type { HealthReport };

/**
 * The seed's health answer. AMQP is read from the session state (no I/O); the management API is
 * probed with a short timeout, one probe at a time, its answer reused for a second, so a load
 * balancer polling every few seconds never queues work and a hung broker still gets an answer
 * within two seconds.
 */
export class HealthProbe {
  #broker: Broker;
  #timeoutMs: number;
  #cacheMs: number;
  #managementUp: { at: number; value: boolean } | null = null;
  #probe: Promise<boolean> | null = null;
  #shuttingDown = false;

  constructor(broker: Broker, options: { timeoutMs?: number; cacheMs?: number } = {}) {
    this.#broker = broker;
    this.#timeoutMs = options.timeoutMs ?? 1500;
    this.#cacheMs = options.cacheMs ?? 1000;
  }

  markShuttingDown(): void {
    this.#shuttingDown = true;
  }

  async check(): Promise<HealthReport> {
    const amqp = this.#broker.amqp.default.state.status === 'connected';
    const http = this.#shuttingDown ? false : await this.#management();
    return {
      status: this.#shuttingDown ? 'shutting_down' : amqp && http ? 'healthy' : 'unhealthy',
      amqp_connected: amqp,
      http_connected: http,
      timestamp: new Date().toISOString(),
    };
  }

  #management(): Promise<boolean> {
    const cached = this.#managementUp;
    if (cached && Date.now() - cached.at < this.#cacheMs) return Promise.resolve(cached.value);
    this.#probe ??= this.#broker.management
      .get(apiPath('overview'), { query: { columns: 'rabbitmq_version' }, timeoutMs: this.#timeoutMs })
      .then(
        () => true,
        () => false,
      )
      .then((value) => {
        this.#managementUp = { at: Date.now(), value };
        this.#probe = null;
        return value;
      });
    return this.#probe;
  }
}
