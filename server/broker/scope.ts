import { NamePatterns } from '../config/name-patterns.js';
import { BrokerError } from './broker-errors.js';

/** A queue as the scope sees it. */
interface QueueRef {
  vhost: string;
  name: string;
}

/** Resources of the management API whose path holds the vhost right after the resource name. */
const VHOST_AT_1 = new Set([
  'queues',
  'exchanges',
  'bindings',
  'vhosts',
  'permissions',
  'topic-permissions',
  'policies',
  'operator-policies',
  'vhost-limits',
  'federation-links',
  'definitions',
  'aliveness-test',
  'consumers',
  'stream',
]);

/** Resources that belong to no vhost, which a scoped server may read but not change. */
const BROKER_WIDE = new Set(['users', 'user-limits', 'global-parameters']);

/** Keys of a definitions document (and similar) whose arrays hold objects with a vhost. */
const QUEUE_LISTS = new Set(['queues']);
const VHOST_LISTS = new Set(['vhosts']);

/**
 * The scope (`--vhosts`, `--queues`) is enforced below the tools, where every request passes: the
 * management client refuses paths that name an object out of scope and drops such objects from
 * every answer, and AMQP channels refuse queue operations on them. The escape hatch goes through
 * the same client, so it gets the same treatment. The check is by name, not by existence, so a
 * refusal reveals nothing about what exists.
 */
export class Scope {
  static readonly everything = new Scope([], []);
  readonly vhosts: NamePatterns;
  readonly queues: NamePatterns;

  constructor(vhosts: readonly string[], queues: readonly string[]) {
    this.vhosts = new NamePatterns(vhosts);
    this.queues = new NamePatterns(queues);
  }

  get active(): boolean {
    return this.vhosts.restricts || this.queues.restricts;
  }

  /** "vhosts prod-*; queues !*.secret" for the instructions and errors. */
  describe(): string {
    return [this.vhosts.restricts ? `vhosts ${this.vhosts}` : '', this.queues.restricts ? `queues ${this.queues}` : '']
      .filter(Boolean)
      .join('; ');
  }

  vhostAllowed(vhost: string): boolean {
    return this.vhosts.matches(vhost);
  }

  queueAllowed(vhost: string, queue: string): boolean {
    return this.vhostAllowed(vhost) && this.queues.matches(queue);
  }

  /** Throws the refusal for a vhost out of scope. */
  checkVhost(vhost: string): void {
    if (!this.vhostAllowed(vhost)) {
      throw new BrokerError(
        'forbidden',
        `Vhost '${vhost}' is outside this server's scope (--vhosts ${this.vhosts}): it cannot be read or changed here.`,
      );
    }
  }

  /** Throws the refusal for a queue out of scope. */
  checkQueue(vhost: string, queue: string): void {
    this.checkVhost(vhost);
    if (!this.queues.matches(queue)) {
      throw new BrokerError(
        'forbidden',
        `Queue '${queue}' in vhost '${vhost}' is outside this server's scope (--queues ${this.queues}): it cannot be read or changed here.`,
      );
    }
  }

  /**
   * Refuses a management API request (path without base path or query) that names something
   * out of scope. Changes to what is broker-wide (users, their limits, global parameters) are
   * refused outright: an account made here could reach every vhost.
   */
  checkPath(path: string, method = 'GET'): void {
    if (!this.active) return;
    const [resource, ...rest] = apiSegments(path);
    if (method !== 'GET' && resource && BROKER_WIDE.has(resource)) {
      throw new BrokerError('forbidden', `${resource} are broker-wide: a server limited by --vhosts or --queues cannot change them.`);
    }
    // Only what lives in a vhost may change: the cluster name, feature flags, rebalancing and the
    // like reach everything the scope hides.
    if (method !== 'GET' && resource && !VHOST_AT_1.has(resource) && resource !== 'parameters' && resource !== 'shovels') {
      throw new BrokerError('forbidden', `/api/${resource} is broker-wide: a server limited by --vhosts or --queues cannot change it.`);
    }
    const vhost = vhostOfApiPath(path);
    if (vhost === undefined) return;
    this.checkVhost(vhost);
    // A policy reaches every queue its pattern matches, now and later: the ones the scope hides too.
    if (method !== 'GET' && this.queues.restricts && (resource === 'policies' || resource === 'operator-policies')) {
      throw new BrokerError(
        'forbidden',
        `policies match queues by pattern, including queues outside this server's scope (--queues ${this.queues}): a server limited by --queues cannot set or delete them.`,
      );
    }

    if (resource === 'queues' && rest[1] !== undefined && rest[1] !== '') this.checkQueue(vhost, rest[1]);
    // The aliveness test declares a queue of this name and publishes to it.
    if (resource === 'aliveness-test') this.checkQueue(vhost, 'aliveness-test');
    // bindings/{vhost}/e/{exchange}/q/{queue}
    if (resource === 'bindings' && rest[3] === 'q' && rest[4] !== undefined) this.checkQueue(vhost, rest[4]);
  }

  /**
   * Refuses a request body that would reach something out of scope through the back door:
   * publishing to a queue via the default exchange, a definitions import or a shovel naming
   * such a queue or vhost.
   */
  checkBody(path: string, body: unknown): void {
    if (!this.active || body === null || typeof body !== 'object') return;
    const object = body as Record<string, unknown>;
    const [resource, first, second, third] = apiSegments(path);
    if (resource === 'exchanges' && first !== undefined && (second === '' || second === 'amq.default') && third === 'publish') {
      if (typeof object.routing_key === 'string') this.checkQueue(first, object.routing_key);
    }
    if (resource === 'definitions') {
      if (Array.isArray(object.users) && object.users.length > 0)
        throw new BrokerError('forbidden', 'users are broker-wide: a server limited by --vhosts or --queues cannot import them.');
      if (Array.isArray(object.global_parameters) && object.global_parameters.length > 0) {
        throw new BrokerError(
          'forbidden',
          'global parameters are broker-wide: a server limited by --vhosts or --queues cannot import them.',
        );
      }
      // A vhost-level import puts everything in that vhost, whatever vhost an item names.
      const target = first !== undefined && first !== '' ? first : undefined;
      for (const vhost of (object.vhosts as { name?: unknown }[] | undefined) ?? [])
        if (typeof vhost?.name === 'string') this.checkVhost(vhost.name);
      for (const key of ['queues', 'exchanges', 'bindings', 'policies', 'permissions', 'topic_permissions', 'parameters'] as const) {
        for (const item of (object[key] as Record<string, unknown>[] | undefined) ?? []) {
          if (!item || typeof item !== 'object') continue;
          const vhost = target ?? (typeof item.vhost === 'string' ? item.vhost : undefined);
          if (vhost === undefined) continue;
          this.checkVhost(vhost);
          const queue = key === 'queues' ? item.name : item.destination_type === 'queue' ? item.destination : undefined;
          if (typeof queue === 'string') this.checkQueue(vhost, queue);
          // A shovel or upstream inside the document is checked as if it were set on its own.
          if (key === 'parameters' && typeof item.component === 'string' && typeof item.name === 'string') {
            this.checkBody(
              `/api/parameters/${encodeURIComponent(item.component)}/${encodeURIComponent(vhost)}/${encodeURIComponent(item.name)}`,
              item,
            );
          }
        }
      }
    }
    if (resource === 'parameters' && (first === 'shovel' || first === 'federation-upstream')) {
      const value = (object.value ?? {}) as Record<string, unknown>;
      for (const side of ['src', 'dest']) {
        const uris = [value[`${side}-uri`], value.uri].flat().filter((uri): uri is string => typeof uri === 'string');
        for (const uri of uris) {
          const vhost = vhostOfUri(uri);
          if (vhost === undefined) continue;
          this.checkVhost(vhost);
          const queue = value[`${side}-queue`] ?? value.queue;
          if (typeof queue === 'string') this.checkQueue(vhost, queue);
        }
      }
    }
  }

  /**
   * An answer with everything out of scope removed: list items, paged items, the arrays of a
   * definitions document. A single object out of scope is refused as if its path had been.
   */
  filterBody<T>(path: string, body: T): T {
    if (!this.active || body === null || typeof body !== 'object') return body;
    const [resource = '', pathVhost] = apiSegments(path);
    // Items of a vhost's answer (a vhost's definitions) may carry no vhost of their own.
    const fallback = VHOST_AT_1.has(resource) && pathVhost ? pathVhost : undefined;
    if (Array.isArray(body)) return this.#filterList(body, resource, fallback) as T;
    const object = body as Record<string, unknown>;
    if (Array.isArray(object.items) && typeof object.page === 'number') {
      // The broker's counts include what the scope hides (and, with a name regex, would tell it
      // apart): only what is shown is counted.
      const { filtered_count: _filtered, total_count: _total, page_count: _pages, ...rest } = object;
      const items = this.#filterList(object.items, resource, fallback);
      return { ...rest, items, item_count: items.length } as T;
    }
    if (!this.#visible(object, resource)) this.#refuse(object, resource);
    let changed: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(object)) {
      if (!Array.isArray(value) || !value.some((item) => item && typeof item === 'object')) continue;
      changed ??= { ...object };
      changed[key] = this.#filterList(value, QUEUE_LISTS.has(key) ? 'queues' : VHOST_LISTS.has(key) ? 'vhosts' : key, fallback);
    }
    return (changed ?? object) as T;
  }

  #filterList(items: unknown[], resource: string, fallback?: string): unknown[] {
    return items.filter(
      (item) => item === null || typeof item !== 'object' || this.#visible(item as Record<string, unknown>, resource, fallback),
    );
  }

  #visible(item: Record<string, unknown>, resource: string, fallback?: string): boolean {
    const own = typeof item.vhost === 'string' ? item : fallback !== undefined ? { ...item, vhost: fallback } : item;
    const vhost =
      typeof own.vhost === 'string' ? own.vhost : resource === 'vhosts' && typeof item.name === 'string' ? item.name : undefined;
    if (vhost !== undefined && !this.vhostAllowed(vhost)) return false;
    const queue = queueOf(own, resource);
    return !queue || this.queueAllowed(queue.vhost, queue.name);
  }

  #refuse(item: Record<string, unknown>, resource: string): never {
    const queue = queueOf(item, resource);
    if (queue) this.checkQueue(queue.vhost, queue.name);
    this.checkVhost(String(item.vhost ?? item.name));
    throw new BrokerError('forbidden', "That object is outside this server's scope.");
  }
}

/** The queue an item names, if any: a queue, a binding to a queue, a consumer of a queue. */
function queueOf(item: Record<string, unknown>, resource: string): QueueRef | undefined {
  if (typeof item.vhost === 'string') {
    if (resource === 'queues' && typeof item.name === 'string') return { vhost: item.vhost, name: item.name };
    if (item.destination_type === 'queue' && typeof item.destination === 'string') return { vhost: item.vhost, name: item.destination };
  }
  const queue = item.queue as { name?: unknown; vhost?: unknown } | undefined;
  if (queue && typeof queue === 'object' && typeof queue.name === 'string' && typeof queue.vhost === 'string') {
    return { vhost: queue.vhost, name: queue.name };
  }
  return undefined;
}

/** The vhost an AMQP URI names ("amqp://host/%2Fprod" → "/prod"; none means "/"); undefined if it is not one. */
function vhostOfUri(uri: string): string | undefined {
  const match = /^amqps?:\/\/[^/]*(?:\/([^?]*))?/.exec(uri);
  if (!match) return undefined;
  return match[1] ? safeDecode(match[1]) : '/';
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A management API path as decoded segments: "/api/queues/%2F/orders" → ["queues", "/", "orders"]. */
export function apiSegments(path: string): string[] {
  return path
    .replace(/^\/api\//, '')
    .split('/')
    .map((segment) => safeDecode(segment));
}

/** The vhost a management API path is about ("/api/queues/<vhost>/…"), if it names one. */
export function vhostOfApiPath(path: string): string | undefined {
  const [resource, ...rest] = apiSegments(path.split('?')[0] ?? '');
  let vhost: string | undefined;
  if (resource && VHOST_AT_1.has(resource)) vhost = rest[0];
  else if (resource === 'parameters') vhost = rest[1];
  else if (resource === 'shovels') vhost = rest[0] === 'vhost' ? rest[1] : rest[0];
  return vhost === '' ? undefined : vhost;
}

/** amqplib channel methods whose first argument is a queue name. */
const QUEUE_METHODS = new Set([
  'assertQueue',
  'checkQueue',
  'deleteQueue',
  'purgeQueue',
  'bindQueue',
  'unbindQueue',
  'consume',
  'get',
  'sendToQueue',
]);

/**
 * The channel as tools see it when a scope is set: queue operations on a queue out of scope,
 * and publishing to one through the default exchange, throw before anything reaches the broker.
 */
export function scopedChannel<C extends object>(channel: C, scope: Scope, vhost: string): C {
  if (!scope.queues.restricts) return channel;
  const proxy = new Proxy(channel, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof property === 'string' && QUEUE_METHODS.has(property)) {
        return (queue: unknown, ...rest: unknown[]) => {
          if (typeof queue === 'string' && queue !== '') scope.checkQueue(vhost, queue);
          return (value as (...args: unknown[]) => unknown).call(target, queue, ...rest);
        };
      }
      if (property === 'publish') {
        return (exchange: unknown, routingKey: unknown, ...rest: unknown[]) => {
          if (exchange === '' && typeof routingKey === 'string') scope.checkQueue(vhost, routingKey);
          return (value as (...args: unknown[]) => unknown).call(target, exchange, routingKey, ...rest);
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
  originals.set(proxy, channel);
  return proxy;
}

const originals = new WeakMap<object, object>();

/** The channel behind a scoped one (itself when it is not scoped). */
export function unscoped<C extends object>(channel: C): C {
  return (originals.get(channel) as C | undefined) ?? channel;
}
