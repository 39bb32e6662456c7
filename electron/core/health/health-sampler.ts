import { EventEmitter } from 'node:events';
import type { ManagementClient } from '../../../server/broker/management-client.js';
import { apiPath } from '../../../server/broker/management-client.js';
import { alarmsOf } from '../../../server/tools/health.js';
import type { HealthSample, SupervisorState } from '../../shared/contract.js';

export type { HealthSample };

interface Overview {
  rabbitmq_version: string;
  message_stats?: { publish_details?: { rate: number }; deliver_get_details?: { rate: number } };
  queue_totals?: { messages_ready?: number; messages_unacknowledged?: number };
  object_totals?: { queues?: number; connections?: number };
}

/**
 * Samples the server's state and the broker's overview (alarms, rates, queue depth) every few
 * seconds and keeps a short history for the health page's charts.
 */
export class HealthSampler extends EventEmitter<{ sample: [HealthSample] }> {
  #history: HealthSample[] = [];
  #timer: NodeJS.Timeout | null = null;
  #options: { intervalMs: number; size: number; management: () => ManagementClient | null; server: () => SupervisorState['status'] };

  constructor(options: {
    intervalMs?: number;
    size?: number;
    management: () => ManagementClient | null;
    server: () => SupervisorState['status'];
  }) {
    super();
    // `??`, not a spread over defaults: an option passed as undefined must not replace its default
    // (main.ts passes none, and `{ intervalMs: 5000, ...options }` sampled without pause).
    this.#options = { ...options, intervalMs: options.intervalMs ?? 5000, size: options.size ?? 120 };
  }

  history(): HealthSample[] {
    return [...this.#history];
  }

  start(): void {
    if (this.#timer) return;
    const tick = async () => {
      await this.sample();
      this.#timer = setTimeout(tick, this.#options.intervalMs);
      this.#timer.unref();
    };
    void tick();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Clears the history, e.g. after switching to another broker. */
  reset(): void {
    this.#history = [];
  }

  async sample(): Promise<HealthSample> {
    const management = this.#options.management();
    let sample: HealthSample = { at: new Date().toISOString(), server: this.#options.server(), broker: null };
    if (management) {
      try {
        const [overview, nodes] = await Promise.all([
          management.get<Overview>(apiPath('overview'), { timeoutMs: 3000 }),
          management.get<Parameters<typeof alarmsOf>[0]>(apiPath('nodes'), {
            query: { columns: 'name,running,mem_alarm,disk_free_alarm,mem_used,mem_limit,disk_free,disk_free_limit,partitions' },
            timeoutMs: 3000,
          }),
        ]);
        sample = {
          ...sample,
          broker: {
            version: overview.rabbitmq_version,
            alarms: alarmsOf(nodes),
            publishRate: overview.message_stats?.publish_details?.rate ?? 0,
            deliverRate: overview.message_stats?.deliver_get_details?.rate ?? 0,
            messagesReady: overview.queue_totals?.messages_ready ?? 0,
            messagesUnacked: overview.queue_totals?.messages_unacknowledged ?? 0,
            queues: overview.object_totals?.queues ?? 0,
            connections: overview.object_totals?.connections ?? 0,
          },
        };
      } catch (error) {
        sample = { ...sample, error: (error as Error).message };
      }
    }
    this.#history = [...this.#history, sample].slice(-this.#options.size);
    this.emit('sample', sample);
    return sample;
  }
}
