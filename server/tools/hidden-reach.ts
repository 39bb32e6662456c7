import { BrokerError } from '../broker/broker-errors.js';
import type { Broker } from '../broker/broker.js';
import { type Binding, headersMatch } from '../broker/exchange-routing.js';
import { apiPath } from '../broker/management-client.js';
import { policyPatternMatcher } from '../broker/name-filter.js';
import { type KeyWord, keysOverlap, literalKey, topicPattern } from '../broker/topic-keys.js';
import { inQuotes } from '../broker/one-line.js';

/**
 * Where messages can go inside one vhost, read from its whole topology (queues the scope hides
 * included, never shown): bindings, exchange-to-exchange bindings, alternate exchanges and
 * dead-lettering, from arguments and from policies. The scope checks ask it which hidden queues
 * a write would reach, feed, or copy from; the answers are counts, and the names stay inside.
 */

/** What is known of the messages on a route: their routing key and headers, or what they must match. */
export interface MessageSet {
  /** The routing key when it is known (a publish, a direct binding, a dead-letter routing key). */
  key?: string;
  /** Further keys the message carries (CC): dead-lettering without a routing key routes by each. */
  alsoKeys?: readonly string[];
  /** Keys the routing key matches, as words (literal keys and topic patterns); none: any key. */
  keys: readonly (readonly KeyWord[])[];
  /** The headers when they are known; else any. */
  headers?: Record<string, unknown>;
  /** Header values headers bindings with x-match all require, when the headers are not known. */
  required?: Record<string, unknown>;
}

/** Any message at all. */
export const ANY_MESSAGE: MessageSet = { keys: [] };

/** One message whose routing key (and headers) are known. */
export function oneMessage(key: string, headers?: Record<string, unknown>, alsoKeys?: readonly string[]): MessageSet {
  return { key, keys: [literalKey(key)], ...(headers ? { headers } : {}), ...(alsoKeys ? { alsoKeys } : {}) };
}

/** What a route reaches that the scope hides, and what could not be followed (said as the reason to refuse). */
export interface Reach {
  hidden: Set<string>;
  unbounded: string[];
}

export function emptyReach(): Reach {
  return { hidden: new Set(), unbounded: [] };
}

type Table = Record<string, unknown>;

export interface QueueFacts {
  name: string;
  type?: string;
  arguments?: Table;
  effective_policy_definition?: Table;
  messages?: number;
}

export interface ExchangeFacts {
  name: string;
  type: string;
  arguments?: Table;
  policy?: string | null;
}

export interface PolicyFacts {
  name: string;
  pattern: string;
  'apply-to'?: string;
  priority?: number;
  definition: Table;
}

/** Where a queue's dead letters go: an exchange, with a routing key or with the messages' own. */
export interface DeadLetterTarget {
  exchange: string;
  key?: string;
}

/** The objects a definitions import (or a single write) adds, judged as if they were there. */
export interface TopologyAdditions {
  queues?: QueueFacts[];
  exchanges?: ExchangeFacts[];
  bindings?: Binding[];
}

/** Exchanges the broker itself publishes to: what they carry is not the vhost's traffic. */
export const BROKER_FED_EXCHANGES = new Set(['amq.rabbitmq.trace', 'amq.rabbitmq.log', 'amq.rabbitmq.event']);

const SIMULATED = new Set(['direct', 'fanout', 'topic', 'headers']);

/** Steps a question may take before its answer is "cannot be bounded". */
const MAX_STEPS = 20_000;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Whether a policy applies to a queue of this type; a type not known yet (the vhost's default decides) may be any. */
function appliesToQueues(applyTo: string | undefined, queueType: string | undefined): boolean {
  const to = applyTo ?? 'all';
  if (to === 'all' || to === 'queues') return true;
  if (queueType === undefined) return to === 'classic_queues' || to === 'quorum_queues' || to === 'streams';
  if (to === 'classic_queues') return (queueType ?? 'classic') === 'classic';
  if (to === 'quorum_queues') return queueType === 'quorum';
  if (to === 'streams') return queueType === 'stream';
  return false;
}

/**
 * The messages of `set` that a binding on an exchange of `type` passes on, or undefined when none
 * can. Exchange types the server does not simulate (plugins) pass everything on.
 */
export function through(set: MessageSet, type: string, binding: Pick<Binding, 'routing_key' | 'arguments'>): MessageSet | undefined {
  switch (type) {
    case 'fanout':
      return set;
    case 'direct': {
      if (set.key !== undefined) return set.key === binding.routing_key ? set : undefined;
      const keys = [...set.keys, literalKey(binding.routing_key)];
      return keysOverlap(keys) ? { ...set, key: binding.routing_key, keys } : undefined;
    }
    case 'topic': {
      const keys = [...set.keys, topicPattern(binding.routing_key)];
      return keysOverlap(keys) ? { ...set, keys } : undefined;
    }
    case 'headers':
      return throughHeaders(set, binding.arguments ?? {});
    default:
      return set;
  }
}

function throughHeaders(set: MessageSet, bindingArguments: Table): MessageSet | undefined {
  if (set.headers !== undefined) return headersMatch(bindingArguments, set.headers) ? set : undefined;
  const mode = String(bindingArguments['x-match'] ?? 'all');
  if (!mode.startsWith('all')) return set;
  const withX = mode.endsWith('-with-x');
  const required = { ...set.required };
  for (const [name, value] of Object.entries(bindingArguments)) {
    if (name === 'x-match' || (!withX && name.startsWith('x-'))) continue;
    if (Object.hasOwn(required, name) && JSON.stringify(required[name]) !== JSON.stringify(value)) return undefined;
    required[name] = value;
  }
  return { ...set, required };
}

function setId(set: MessageSet): string {
  return JSON.stringify([set.key, set.keys, set.headers, set.required]);
}

/** One vhost's whole topology, for the scope checks. Loaded with the management API's unscoped reads; never shown. */
export class VhostTopology {
  readonly vhost: string;
  readonly #hidden: (queue: string) => boolean;
  readonly #queues: Map<string, QueueFacts>;
  readonly #exchanges: Map<string, ExchangeFacts>;
  readonly #bindings: Binding[];
  readonly #bySource = new Map<string, Binding[]>();
  readonly #byDestination = new Map<string, Binding[]>();
  readonly #policies: { policy: PolicyFacts; matches: (name: string) => boolean }[];
  #steps = 0;

  private constructor(
    vhost: string,
    hidden: (queue: string) => boolean,
    queues: QueueFacts[],
    exchanges: ExchangeFacts[],
    bindings: Binding[],
    policies: { policy: PolicyFacts; matches: (name: string) => boolean }[],
  ) {
    this.vhost = vhost;
    this.#hidden = hidden;
    this.#queues = new Map(queues.map((queue) => [queue.name, queue]));
    this.#exchanges = new Map(exchanges.map((exchange) => [exchange.name, exchange]));
    this.#bindings = bindings;
    this.#policies = policies;
    for (const binding of bindings) {
      const destination = `${binding.destination_type} ${binding.destination}`;
      this.#bySource.set(binding.source, [...(this.#bySource.get(binding.source) ?? []), binding]);
      this.#byDestination.set(destination, [...(this.#byDestination.get(destination) ?? []), binding]);
    }
  }

  static async load(broker: Broker, vhost: string): Promise<VhostTopology> {
    // A vhost that does not exist holds nothing (the write itself then fails); any other failure to
    // read is an error: what cannot be read cannot be judged.
    const read = <T>(path: string, columns?: string) =>
      broker.management.getForScopeCheck<T>(path, columns ? { query: { columns } } : {}).catch((error: unknown) => {
        if (error instanceof BrokerError && error.code === 'not_found') return [] as T;
        throw error;
      });
    const [queues, exchanges, bindings, policies] = await Promise.all([
      read<QueueFacts[]>(apiPath('queues', vhost), 'name,type,arguments,effective_policy_definition,messages'),
      read<ExchangeFacts[]>(apiPath('exchanges', vhost), 'name,type,arguments,policy'),
      read<Binding[]>(apiPath('bindings', vhost)),
      read<PolicyFacts[]>(apiPath('policies', vhost)),
    ]);
    const compiled = await Promise.all(policies.map(async (policy) => ({ policy, matches: await policyPatternMatcher(policy.pattern) })));
    return new VhostTopology(vhost, (queue) => !broker.scope.queueAllowed(vhost, queue), queues, exchanges, bindings, compiled);
  }

  /** The same topology with objects added (a definitions import, judged before it runs). */
  with(additions: TopologyAdditions): VhostTopology {
    return new VhostTopology(
      this.vhost,
      this.#hidden,
      [...this.#queues.values(), ...(additions.queues ?? [])],
      [...this.#exchanges.values(), ...(additions.exchanges ?? [])],
      [...this.#bindings, ...(additions.bindings ?? [])],
      this.#policies,
    );
  }

  isHidden(queue: string): boolean {
    return this.#hidden(queue);
  }

  queue(name: string): QueueFacts | undefined {
    return this.#queues.get(name);
  }

  exchange(name: string): ExchangeFacts | undefined {
    return this.#exchanges.get(name);
  }

  queues(): QueueFacts[] {
    return [...this.#queues.values()];
  }

  exchanges(): ExchangeFacts[] {
    return [...this.#exchanges.values()];
  }

  bindingsFrom(exchange: string): Binding[] {
    return this.#bySource.get(exchange) ?? [];
  }

  bindingsTo(destination: string, type: 'queue' | 'exchange'): Binding[] {
    return this.#byDestination.get(`${type} ${destination}`) ?? [];
  }

  /** How an exchange routes: an x-delayed-message exchange as the type it delays for. */
  routingType(exchange: ExchangeFacts): string {
    const delayed = exchange.arguments?.['x-delayed-type'];
    return exchange.type === 'x-delayed-message' && typeof delayed === 'string' ? delayed : exchange.type;
  }

  /** Definitions of the policies that would apply to a new object of this name (every match: the highest priority is not assumed). */
  policiesFor(name: string, kind: 'queue' | 'exchange', queueType?: string): Table[] {
    return this.#policies
      .filter(({ policy, matches }) => {
        const applyTo = policy['apply-to'] ?? 'all';
        const applies = kind === 'exchange' ? applyTo === 'all' || applyTo === 'exchanges' : appliesToQueues(applyTo, queueType);
        return applies && matches(name);
      })
      .map(({ policy }) => policy.definition);
  }

  /** The definition of the policy an exchange names. */
  #policyNamed(name: string | null | undefined): Table | undefined {
    return name ? this.#policies.find(({ policy }) => policy.name === name)?.policy.definition : undefined;
  }

  /** An exchange's alternate exchanges: its argument and its policy's (both, whichever RabbitMQ picks). */
  alternatesOf(exchange: ExchangeFacts, policies: Table[] = [this.#policyNamed(exchange.policy) ?? {}]): string[] {
    const candidates = [exchange.arguments?.['alternate-exchange'], ...policies.map((definition) => definition['alternate-exchange'])];
    return [...new Set(candidates.map(text).filter((name): name is string => name !== undefined))];
  }

  /**
   * Where a queue's dead letters may go: from its arguments and its policies, each pairing RabbitMQ
   * could make (an argument wins over a policy, key by key). Streams do not dead-letter.
   */
  deadLetterTargets(queue: QueueFacts, policies: Table[] = [queue.effective_policy_definition ?? {}]): DeadLetterTarget[] {
    if (queue.type === 'stream' || queue.arguments?.['x-queue-type'] === 'stream') return [];
    const argumentExchange = text(queue.arguments?.['x-dead-letter-exchange']);
    const argumentKey = text(queue.arguments?.['x-dead-letter-routing-key']);
    const targets = new Map<string, DeadLetterTarget>();
    const add = (exchange: string | undefined, key: string | undefined) => {
      if (exchange !== undefined) targets.set(JSON.stringify([exchange, key]), { exchange, ...(key !== undefined ? { key } : {}) });
    };
    for (const definition of [...policies, {}]) {
      const policyExchange = text(definition['dead-letter-exchange']);
      const policyKey = text(definition['dead-letter-routing-key']);
      add(argumentExchange ?? policyExchange, argumentKey ?? policyKey);
      // Should the policy win instead, key by key.
      add(policyExchange ?? argumentExchange, policyKey ?? argumentKey);
    }
    return [...targets.values()];
  }

  /**
   * The hidden queues messages of `set` published to exchange `name` may reach: through its
   * bindings and exchange-to-exchange bindings, alternate exchanges, and the dead letters of every
   * queue they reach (which go on as far as they can).
   */
  reachFromExchange(name: string, set: MessageSet, reach: Reach = emptyReach()): Reach {
    this.#steps = 0;
    this.#fromExchange(name, set, reach, new Set());
    return reach;
  }

  /** What messages of `set` put into queue `name` reach: the queue itself when it is hidden, and its dead letters. */
  reachFromQueue(name: string, set: MessageSet, reach: Reach = emptyReach(), policies?: Table[]): Reach {
    this.#steps = 0;
    this.#intoQueue(name, set, reach, new Set(), policies);
    return reach;
  }

  /** Where dead letters of a queue (existing or about to be) go, for messages of `set`. */
  reachOfDeadLetters(queue: QueueFacts, set: MessageSet, reach: Reach = emptyReach(), policies?: Table[]): Reach {
    this.#steps = 0;
    this.#deadLetters(queue, set, reach, new Set(), policies);
    return reach;
  }

  /**
   * The hidden queues that messages of `set` arriving at exchange `name` also reach, or were taken
   * from: what a new binding there taking `set` would copy (a tap). Counted: the exchange's other
   * bindings sharing messages with `set`, its alternate exchanges (which would lose them),
   * everything upstream (exchange bindings and alternate exchanges into it, followed back), and
   * hidden queues whose dead letters come here.
   */
  tapAt(name: string, set: MessageSet): Reach {
    this.#steps = 0;
    const reach = emptyReach();
    const seen = new Set<string>();
    const exchange = this.exchange(name);
    if (!exchange) return reach;
    const type = this.routingType(exchange);
    for (const binding of this.bindingsFrom(name)) {
      const passed = through(set, type, binding);
      if (passed) this.#follow(binding, passed, reach, seen);
    }
    for (const alternate of this.alternatesOf(exchange)) this.#fromExchange(alternate, set, reach, seen);
    this.#upstream(name, set, reach, new Set([name]), seen);
    return reach;
  }

  /** How many hidden queues dead-letter to exchange `name` with messages that `set` shares. */
  deadLetterSourcesOf(name: string, set: MessageSet): number {
    const reach = emptyReach();
    this.#deadLetterSources(name, set, reach);
    return reach.hidden.size;
  }

  /**
   * How many hidden queues the default exchange would hand dead letters to a queue named `name`
   * for: their dead-letter routing key is that name or, without one, a routing key their messages
   * arrive with can be.
   */
  deadLettersNaming(name: string): number {
    let count = 0;
    for (const queue of this.#queues.values()) {
      if (!this.#hidden(queue.name)) continue;
      const targets = this.deadLetterTargets(queue).filter((target) => target.exchange === '');
      if (targets.some((target) => (target.key !== undefined ? target.key === name : this.#mayArriveWith(queue.name, name)))) count++;
    }
    return count;
  }

  /** Whether messages may arrive in `queue` with routing key `key`, by its bindings. */
  #mayArriveWith(queue: string, key: string): boolean {
    return this.bindingsTo(queue, 'queue').some((binding) => {
      if (binding.source === '') return binding.routing_key === key;
      const exchange = this.exchange(binding.source);
      const type = exchange ? this.routingType(exchange) : 'unknown';
      if (type === 'direct') return binding.routing_key === key;
      if (type === 'topic') return keysOverlap([topicPattern(binding.routing_key), literalKey(key)]);
      return true;
    });
  }

  /** Hidden queues whose dead letters come to exchange `name` with messages that `set` shares. */
  #deadLetterSources(name: string, set: MessageSet, reach: Reach): void {
    for (const queue of this.#queues.values()) {
      if (!this.#hidden(queue.name)) continue;
      for (const target of this.deadLetterTargets(queue)) {
        if (target.exchange !== name) continue;
        if (target.key === undefined || keysOverlap([...set.keys, literalKey(target.key)])) reach.hidden.add(queue.name);
      }
    }
  }

  #upstream(name: string, set: MessageSet, reach: Reach, visited: Set<string>, seen: Set<string>): void {
    this.#deadLetterSources(name, set, reach);
    for (const binding of this.bindingsTo(name, 'exchange')) {
      const source = this.exchange(binding.source);
      if (!source || visited.has(binding.source)) continue;
      const passed = through(set, this.routingType(source), binding);
      if (!passed) continue;
      visited.add(binding.source);
      this.#fromExchange(binding.source, passed, reach, seen);
      this.#upstream(binding.source, passed, reach, visited, seen);
    }
    for (const exchange of this.#exchanges.values()) {
      if (visited.has(exchange.name) || !this.alternatesOf(exchange).includes(name)) continue;
      visited.add(exchange.name);
      this.#upstream(exchange.name, set, reach, visited, seen);
    }
  }

  #budget(reach: Reach): boolean {
    if (++this.#steps <= MAX_STEPS) return true;
    if (!reach.unbounded.includes(TOO_LARGE)) reach.unbounded.push(TOO_LARGE);
    return false;
  }

  #follow(binding: Binding, set: MessageSet, reach: Reach, seen: Set<string>): void {
    if (binding.destination_type === 'queue') this.#intoQueue(binding.destination, set, reach, seen);
    else this.#fromExchange(binding.destination, set, reach, seen);
  }

  #fromExchange(name: string, set: MessageSet, reach: Reach, seen: Set<string>): void {
    const id = `e ${name} ${setId(set)}`;
    if (seen.has(id) || !this.#budget(reach)) return;
    seen.add(id);
    if (name === '') {
      if (set.key !== undefined) this.#intoQueue(set.key, set, reach, seen);
      else
        reach.unbounded.push('messages that keep their own routing keys reach, through the default exchange, whatever queue a key names');
      return;
    }
    const exchange = this.exchange(name);
    if (!exchange) return;
    const type = this.routingType(exchange);
    let matched = false;
    for (const binding of this.bindingsFrom(name)) {
      const passed = through(set, type, binding);
      if (!passed) continue;
      matched = true;
      this.#follow(binding, passed, reach, seen);
    }
    // A message whose key and headers are known goes to the alternate only when nothing matched.
    const known = set.key !== undefined && set.headers !== undefined && SIMULATED.has(type);
    if (!known || !matched) for (const alternate of this.alternatesOf(exchange)) this.#fromExchange(alternate, set, reach, seen);
  }

  #intoQueue(name: string, set: MessageSet, reach: Reach, seen: Set<string>, policies?: Table[]): void {
    if (this.#hidden(name)) {
      reach.hidden.add(name);
      return;
    }
    const queue = this.queue(name);
    if (queue) this.#deadLetters(queue, set, reach, seen, policies);
  }

  #deadLetters(queue: QueueFacts, set: MessageSet, reach: Reach, seen: Set<string>, policies?: Table[]): void {
    const id = `q ${queue.name} ${setId(set)}`;
    if (seen.has(id)) return;
    seen.add(id);
    for (const target of this.deadLetterTargets(queue, policies)) {
      // Dead letters gain x-death headers; a headers exchange is judged as for any headers.
      if (target.key !== undefined) {
        this.#fromExchange(target.exchange, oneMessage(target.key), reach, seen);
        continue;
      }
      if (set.key !== undefined) {
        for (const key of new Set([set.key, ...(set.alsoKeys ?? [])])) this.#fromExchange(target.exchange, oneMessage(key), reach, seen);
      } else if (target.exchange === '') {
        reach.unbounded.push(
          `queue ${inQuotes(queue.name)} dead-letters to the default exchange with each message's own routing key, which may name any queue`,
        );
      } else this.#fromExchange(target.exchange, { ...set, headers: undefined }, reach, seen);
    }
  }
}

const TOO_LARGE = 'the topology is too large to follow every route';
