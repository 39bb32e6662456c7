import { EventEmitter } from 'node:events';
import type { ManagementClient } from '../../../server/broker/management-client.js';
import { apiPath } from '../../../server/broker/management-client.js';
import { alarmsOf } from '../../../server/broker/alarms.js';
import type { HealthSample, SupervisorState } from '../../shared/contract.js';

export type { HealthSample };

interface VhostStats {
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: { publish?: number; publish_details?: { rate: number }; deliver_get?: number; deliver_get_details?: { rate: number } };
}

/** A queue of the vhost as a sample reads it; the notifications read these too (no second request). */
export interface SampledQueue {
  name: string;
  messages?: number;
  messages_ready?: number;
  consumers?: number;
  arguments?: Record<string, unknown>;
  /** An empty list when no policy applies. */
  effective_policy_definition?: Record<string, unknown> | unknown[];
}

/** Five seconds apart, 144 samples: the last twelve minutes. */
const INTERVAL_MS = 5000;
const HISTORY = 144;

/**
 * Samples the server's state and the active profile's vhost (queues, ready and unacked messages,
 * consumers, connections, publish and deliver rates) every few seconds, with the broker-wide
 * alarms beside, and keeps the last twelve minutes for the health page's charts. Rates come from
 * the vhost's message counters between two samples, so they show even when the broker computes
 * none (its rates are 0 until statistics collection catches up, or off with rates_mode none).
 */
export class HealthSampler extends EventEmitter<{ sample: [HealthSample]; queues: [SampledQueue[]] }> {
  #history: HealthSample[] = [];
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #last: { at: number; publish?: number; deliver?: number } | null = null;
  /** Bumped by reset(): a sample begun before it is of the broker before the switch, and is dropped. */
  #series = 0;
  #options: {
    intervalMs: number;
    size: number;
    management: () => ManagementClient | null;
    vhost: () => string | null;
    server: () => SupervisorState['status'];
  };

  constructor(options: {
    intervalMs?: number;
    size?: number;
    management: () => ManagementClient | null;
    /** The active profile's vhost. */
    vhost: () => string | null;
    server: () => SupervisorState['status'];
  }) {
    super();
    // `??`, not a spread over defaults: an option passed as undefined must not replace its default
    // (main.ts passes none, and `{ intervalMs: 5000, ...options }` sampled without pause).
    this.#options = { ...options, intervalMs: options.intervalMs ?? INTERVAL_MS, size: options.size ?? HISTORY };
  }

  history(): HealthSample[] {
    return [...this.#history];
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const tick = async () => {
      await this.sample();
      // Stopped while that sample was under way: no next one (what it reads may be gone by now).
      if (!this.#running) return;
      this.#timer = setTimeout(() => void tick(), this.#options.intervalMs);
      this.#timer.unref();
    };
    void tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Clears the history, e.g. after switching to another broker; samples under way are dropped. */
  reset(): void {
    this.#history = [];
    this.#last = null;
    this.#series++;
  }

  /** Messages per second of a counter since the last sample; the broker's own rate when there is no earlier sample. */
  #rate(now: number, count: number | undefined, previous: number | undefined, brokerRate: number | undefined): number {
    if (count === undefined || !this.#last || now <= this.#last.at) return brokerRate ?? 0;
    // A vhost without traffic yet has no message_stats: its counters were 0.
    return Math.max(0, ((count - (previous ?? 0)) * 1000) / (now - this.#last.at));
  }

  async sample(): Promise<HealthSample> {
    const series = this.#series;
    const management = this.#options.management();
    const vhost = this.#options.vhost();
    let sample: HealthSample = { at: new Date().toISOString(), server: this.#options.server(), broker: null, series };
    if (management && vhost !== null) {
      try {
        const timeoutMs = 3000;
        const [overview, nodes, vhosts, queues, connections] = await Promise.all([
          management.get<{ rabbitmq_version: string }>(apiPath('overview'), { query: { columns: 'rabbitmq_version' }, timeoutMs }),
          management.get<Parameters<typeof alarmsOf>[0]>(apiPath('nodes'), {
            query: { columns: 'name,running,mem_alarm,disk_free_alarm,mem_used,mem_limit,disk_free,disk_free_limit,partitions' },
            timeoutMs,
          }),
          // The list, not /api/vhosts/{name}: reading one vhost needs the administrator tag.
          management.get<(VhostStats & { name: string })[]>(apiPath('vhosts'), {
            query: { columns: 'name,messages_ready,messages_unacknowledged,message_stats' },
            timeoutMs,
          }),
          management.get<SampledQueue[]>(apiPath('queues', vhost), {
            query: { columns: 'name,messages,messages_ready,consumers,arguments,effective_policy_definition' },
            timeoutMs,
          }),
          management.get<unknown[]>(apiPath('vhosts', vhost, 'connections'), { query: { columns: 'name' }, timeoutMs }),
        ]);
        const stats = vhosts.find((candidate) => candidate.name === vhost);
        if (!stats) throw new Error(`vhost '${vhost}' is not visible to the profile's user (it was removed, or the user may not use it)`);
        const now = Date.now();
        // An empty list, not an object, while the vhost has had no traffic.
        const counters = Array.isArray(stats.message_stats) ? {} : (stats.message_stats ?? {});
        sample = {
          ...sample,
          broker: {
            version: overview.rabbitmq_version,
            vhost,
            alarms: alarmsOf(nodes),
            publishRate: this.#rate(now, counters.publish, this.#last?.publish, counters.publish_details?.rate),
            deliverRate: this.#rate(now, counters.deliver_get, this.#last?.deliver, counters.deliver_get_details?.rate),
            messagesReady: stats.messages_ready ?? 0,
            messagesUnacked: stats.messages_unacknowledged ?? 0,
            queues: queues.length,
            consumers: queues.reduce((sum, queue) => sum + (queue.consumers ?? 0), 0),
            connections: connections.length,
          },
        };
        // A sample begun before a switch belongs to the previous broker: neither its counters nor its queues count.
        if (series === this.#series) {
          this.#last = { at: now, publish: counters.publish, deliver: counters.deliver_get };
          this.emit('queues', queues);
        }
      } catch (error) {
        sample = { ...sample, error: (error as Error).message };
      }
    }
    // Switched while it was under way: it is the previous broker's, and its history is gone.
    if (series !== this.#series) return sample;
    this.#history = [...this.#history, sample].slice(-this.#options.size);
    this.emit('sample', sample);
    return sample;
  }
}
