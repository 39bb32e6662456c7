import type { Broker } from '../../broker/broker.js';
import { apiPath } from '../../broker/management-client.js';
import { BrokerError, type ConnectionProblem, connectionProblem } from '../../broker/broker-errors.js';
import type { SharedState } from '../../fleet/shared-state.js';
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
  #managementUp: { at: number; value: boolean; problem?: ConnectionProblem } | null = null;
  #probe: Promise<{ value: boolean; problem?: ConnectionProblem }> | null = null;
  #shuttingDown = false;
  #shared: SharedState | undefined;

  constructor(broker: Broker, options: { timeoutMs?: number; cacheMs?: number; shared?: SharedState } = {}) {
    this.#broker = broker;
    this.#shared = options.shared;
    this.#timeoutMs = options.timeoutMs ?? 1500;
    this.#cacheMs = options.cacheMs ?? 1000;
  }

  markShuttingDown(): void {
    this.#shuttingDown = true;
  }

  async check(): Promise<HealthReport> {
    const session = this.#broker.amqp.default.state;
    const amqp = session.status === 'connected';
    const http = this.#shuttingDown ? { value: false } : await this.#management();
    const amqpWhy = amqp || session.lastCode === undefined ? undefined : connectionProblem(session.lastCode);
    return {
      status: this.#shuttingDown ? 'shutting_down' : amqp && http.value ? 'healthy' : 'unhealthy',
      amqp_connected: amqp,
      http_connected: http.value,
      ...(this.#shared ? { redis_connected: this.#shared.connected() } : {}),
      ...(amqpWhy ? { amqp_problem: amqpWhy } : {}),
      ...(http.problem ? { http_problem: http.problem } : {}),
      timestamp: new Date().toISOString(),
    };
  }

  #management(): Promise<{ value: boolean; problem?: ConnectionProblem }> {
    const cached = this.#managementUp;
    if (cached && Date.now() - cached.at < this.#cacheMs) return Promise.resolve(cached);
    this.#probe ??= this.#broker.management
      .get(apiPath('overview'), { query: { columns: 'rabbitmq_version' }, timeoutMs: this.#timeoutMs })
      .then(
        () => ({ value: true }),
        (error: unknown) => ({ value: false, problem: error instanceof BrokerError ? connectionProblem(error.code) : 'unreachable' }),
      )
      .then((answer) => {
        this.#managementUp = { at: Date.now(), ...answer };
        this.#probe = null;
        return answer;
      });
    return this.#probe;
  }
}
