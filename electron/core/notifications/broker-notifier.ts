import type { ManagementClient } from '../../../server/broker/management-client.js';
import { apiPath } from '../../../server/broker/management-client.js';
import type { HealthSample, SupervisorState } from '../../shared/contract.js';
import type { SampledQueue } from '../health/health-sampler.js';
import type { Notice, NotificationCause } from './notification-causes.js';

export type { Notice, NotificationCause };

interface Binding {
  source: string;
  destination: string;
  destination_type: string;
}

export interface BrokerNotifierOptions {
  show: (notice: Notice) => void;
  /** Whether the person wants this cause (Settings); asked each time one is due. */
  enabled: (cause: NotificationCause) => boolean;
  /** At most one notification per cause (per queue for queue causes) in this long; five minutes by default. */
  quietMs?: number;
  /** The host's client for the active profile's management API (the health sampler's). */
  management: () => ManagementClient | null;
  vhost: () => string | null;
  profileName: () => string | null;
  /** How long the vhost's bindings (to find dead-letter queues) are reused; a minute by default. */
  bindingsEveryMs?: number;
  /** Failed health samples in a row that count as the broker being down; two by default. */
  downAfter?: number;
  /** A notification was held back by the quiet period, or switched off. */
  suppressed?: (notice: Notice, why: 'quiet' | 'off') => void;
  now?: () => number;
}

const FIVE_MINUTES = 5 * 60 * 1000;

/**
 * Desktop notifications about the active broker, read from what the app already fetches: the
 * health sampler's samples (alarms; the broker unreachable) and queue lists (dead letters,
 * consumers), and the supervisor's states (the server crashing). The only request of its own is
 * the vhost's bindings, at most once a minute and only while a queue names a dead-letter exchange.
 *
 * Rules:
 * - alarm: a memory or disk alarm that the previous sample did not show.
 * - dead-letters: a dead-letter queue holds more messages than at the previous read. A queue is a
 *   dead-letter queue when another queue of the vhost dead-letters into it: its dead-letter
 *   exchange (argument x-dead-letter-exchange or a policy's dead-letter-exchange) has a binding to
 *   it, or the exchange is the default one ('') and the dead-letter routing key is its name. That
 *   is where RabbitMQ sends those messages; growth there is messages rejected, expired or over a
 *   length limit. (Routing keys of the bindings are not matched: a queue bound to a dead-letter
 *   exchange is there to collect dead letters.)
 * - idle-queue: a queue that had consumers has none while messages are ready in it.
 * - broker-down: the management API unreachable (refused, reset, no answer) in two samples in a
 *   row; then, once, back. "Back" always follows a "down" that was shown, so an outage reads as
 *   one episode; the quiet period applies to "down".
 * - server-crash: the supervisor reports the server crashed (it restarts it), or failed (it gave
 *   up). Quiet per outcome: a "failed" after a "crashed" still shows, as it needs the person.
 */
export class BrokerNotifier {
  #options: BrokerNotifierOptions;
  #shownAt = new Map<string, number>();
  #alarms = new Set<string>();
  #failedSamples = 0;
  #downShown = false;
  #queues = new Map<string, { messages: number; consumers: number }>();
  #lostConsumers = new Set<string>();
  /** Whether a queue list was read since the last reset: a queue new after that starts from empty. */
  #baselined = false;
  #bindings: { at: number; vhost: string; list: Binding[] } | null = null;
  #reading = false;
  #generation = 0;

  constructor(options: BrokerNotifierOptions) {
    this.#options = options;
  }

  /** Another broker (or the same profile edited): what was seen no longer compares. */
  reset(): void {
    this.#generation += 1;
    this.#alarms.clear();
    this.#failedSamples = 0;
    this.#downShown = false;
    this.#queues.clear();
    this.#lostConsumers.clear();
    this.#baselined = false;
    this.#bindings = null;
  }

  onServerState(state: SupervisorState): void {
    const profile = state.status === 'stopped' ? this.#profile() : state.profileName;
    if (state.status === 'crashed') {
      this.#notify(`server-crash:crashed`, {
        cause: 'server-crash',
        title: 'The MCP server crashed',
        body: `The server for ${profile} stopped unexpectedly (${state.exit}). The app restarts it in ${Math.ceil(state.restartInMs / 1000)} s; AI apps may see an error until then.`,
      });
    } else if (state.status === 'failed') {
      this.#notify(`server-crash:failed`, {
        cause: 'server-crash',
        title: 'The MCP server keeps crashing',
        body: `The server for ${profile} crashed ${state.crashes} times and was stopped: ${state.message} Open the app to see why.`,
      });
    }
  }

  onSample(sample: HealthSample): void {
    this.#brokerReachability(sample);
    if (sample.broker) this.#alarmsRaised(sample.broker.alarms);
  }

  /** The active vhost's queues, as a health sample read them. */
  async onQueues(queues: SampledQueue[]): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      await this.#compareQueues(this.#generation, queues);
    } catch {
      // The bindings could not be read: the samples say whether the broker is down; this round is skipped.
    } finally {
      this.#reading = false;
    }
  }

  #brokerReachability(sample: HealthSample): void {
    if (sample.broker) {
      this.#failedSamples = 0;
      if (this.#downShown) {
        this.#downShown = false;
        this.#show({ cause: 'broker-down', title: 'The broker is back', body: `${this.#profile()} answers again.` });
      }
      return;
    }
    if (!sample.error || !/management API unreachable|did not answer/.test(sample.error)) return;
    this.#failedSamples += 1;
    if (this.#failedSamples !== (this.#options.downAfter ?? 2)) return;
    this.#downShown = this.#notify('broker-down', {
      cause: 'broker-down',
      title: 'The broker is down',
      body: `${this.#profile()} does not answer: AI apps cannot reach it. You will be told when it is back.`,
    });
  }

  #alarmsRaised(alarms: string[]): void {
    const current = new Set(alarms.filter((alarm) => /^(memory|disk) alarm/.test(alarm)));
    const raised = [...current].filter((alarm) => !this.#alarms.has(alarm));
    this.#alarms = current;
    if (raised.length === 0) return;
    this.#notify('alarm', {
      cause: 'alarm',
      title: `Broker alarm on ${this.#profile()}`,
      body: `${raised.map((alarm) => alarm.charAt(0).toUpperCase() + alarm.slice(1)).join('. ')}: apps that send messages wait until it clears.`,
    });
  }

  async #compareQueues(generation: number, queues: SampledQueue[]): Promise<void> {
    const management = this.#options.management();
    const vhost = this.#options.vhost();
    if (!management || vhost === null) return;
    const targets = this.#options.enabled('dead-letters') ? await this.#deadLetterQueues(management, vhost, queues) : new Set<string>();
    if (generation !== this.#generation) return; // switched broker meanwhile
    const seen = new Map<string, { messages: number; consumers: number }>();
    for (const queue of queues) {
      const now = { messages: queue.messages ?? 0, consumers: queue.consumers ?? 0 };
      const before = this.#queues.get(queue.name) ?? (this.#baselined ? { messages: 0, consumers: 0 } : undefined);
      seen.set(queue.name, now);
      if (before && targets.has(queue.name) && now.messages > before.messages) {
        const added = now.messages - before.messages;
        this.#notify(`dead-letters:${queue.name}`, {
          cause: 'dead-letters',
          title: `Dead letters in ${queue.name}`,
          body: `${added} message${added === 1 ? '' : 's'} went to the dead-letter queue ${queue.name} (vhost ${vhost}, ${this.#profile()}): rejected, expired or over a limit. It holds ${now.messages}.`,
        });
      }
      if (before && before.consumers > 0 && now.consumers === 0) this.#lostConsumers.add(queue.name);
      if (now.consumers > 0) this.#lostConsumers.delete(queue.name);
      const ready = queue.messages_ready ?? 0;
      if (this.#lostConsumers.has(queue.name) && ready > 0) {
        this.#lostConsumers.delete(queue.name);
        this.#notify(`idle-queue:${queue.name}`, {
          cause: 'idle-queue',
          title: `No consumer on ${queue.name}`,
          body: `The last app reading queue ${queue.name} (vhost ${vhost}, ${this.#profile()}) went away while ${ready} message${ready === 1 ? '' : 's'} wait in it.`,
        });
      }
    }
    this.#queues = seen;
    this.#baselined = true;
    for (const name of this.#lostConsumers) if (!seen.has(name)) this.#lostConsumers.delete(name);
  }

  /** The queues of the vhost that other queues dead-letter into (see the class's rules). */
  async #deadLetterQueues(management: ManagementClient, vhost: string, queues: SampledQueue[]): Promise<Set<string>> {
    const targets = new Set<string>();
    const exchanges = new Set<string>();
    for (const queue of queues) {
      const policy = Array.isArray(queue.effective_policy_definition) ? {} : (queue.effective_policy_definition ?? {});
      const exchange = queue.arguments?.['x-dead-letter-exchange'] ?? policy['dead-letter-exchange'];
      const key = queue.arguments?.['x-dead-letter-routing-key'] ?? policy['dead-letter-routing-key'];
      if (typeof exchange !== 'string') continue;
      if (exchange === '') {
        if (typeof key === 'string') targets.add(key);
      } else exchanges.add(exchange);
    }
    if (exchanges.size === 0) return targets;
    if (!this.#bindings || this.#bindings.vhost !== vhost || this.#now() - this.#bindings.at >= (this.#options.bindingsEveryMs ?? 60_000)) {
      const list = await management.get<Binding[]>(apiPath('bindings', vhost), {
        query: { columns: 'source,destination,destination_type' },
        timeoutMs: 3000,
      });
      this.#bindings = { at: this.#now(), vhost, list };
    }
    for (const binding of this.#bindings.list)
      if (binding.destination_type === 'queue' && exchanges.has(binding.source)) targets.add(binding.destination);
    return targets;
  }

  /** Shows it unless switched off or shown for the same key within the quiet period; true when shown. */
  #notify(key: string, notice: Notice): boolean {
    if (!this.#options.enabled(notice.cause)) {
      this.#options.suppressed?.(notice, 'off');
      return false;
    }
    const last = this.#shownAt.get(key);
    if (last !== undefined && this.#now() - last < (this.#options.quietMs ?? FIVE_MINUTES)) {
      this.#options.suppressed?.(notice, 'quiet');
      return false;
    }
    this.#shownAt.set(key, this.#now());
    this.#show(notice);
    return true;
  }

  #show(notice: Notice): void {
    if (!this.#options.enabled(notice.cause)) return;
    this.#options.show(notice);
  }

  #profile(): string {
    return this.#options.profileName() ?? 'the broker';
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
