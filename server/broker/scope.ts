import { NamePatterns } from '../config/name-patterns.js';
import { type AnswerKind, type ApiRoute, queueOfRoute, readApiPath } from './api-route.js';
import { maskUri, uriVhost } from './amqp-uri.js';
import { BrokerError } from './broker-errors.js';
import { inQuotes } from './one-line.js';

/** A queue as the scope sees it. */
interface QueueRef {
  vhost: string;
  name: string;
}

/** A vhost's aggregated counts and rates, which include every queue in it. */
const VHOST_TOTALS = /^(messages|message_stats|recv_oct|send_oct)/;

/** Routes without a vhost that a scoped server may still change: an import says its vhosts in its body. */
const IMPORTS = new Set(['definitions', 'all-configuration']);

/** Broker-wide resources whose refusal says "them". */
const ACCOUNTS = new Set(['users', 'user-limits', 'global-parameters']);

/** Runtime parameter components whose effect the scope judges; under a scope no other may change. */
const JUDGED_COMPONENTS = new Set(['shovel', 'federation-upstream', 'federation-upstream-set']);

/** Shovel settings (AMQP 0-9-1, RabbitMQ 3.10 to 4.3) the scope knows the effect of. */
const SHOVEL_KEYS = new Set([
  'src-protocol',
  'dest-protocol',
  'src-uri',
  'src-exchange',
  'src-exchange-key',
  'src-queue',
  'src-queue-args',
  'src-consumer-args',
  'src-consumer-name',
  'src-prefetch-count',
  'prefetch-count',
  'src-delete-after',
  'delete-after',
  'src-predeclared',
  'dest-uri',
  'dest-exchange',
  'dest-exchange-key',
  'dest-queue',
  'dest-queue-args',
  'dest-predeclared',
  'dest-add-forward-headers',
  'add-forward-headers',
  'dest-add-timestamp-header',
  'add-timestamp-header',
  'dest-publish-properties',
  'publish-properties',
  'ack-mode',
  'reconnect-delay',
]);

/** Keys of an answer whose arrays hold objects of a known kind. */
const NESTED_KINDS: Record<string, AnswerKind> = { queues: 'queues', vhosts: 'vhosts', parameters: 'parameters' };

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
        `Vhost ${inQuotes(vhost)} is outside this server's scope (--vhosts ${this.vhosts}): it cannot be read or changed here.`,
      );
    }
  }

  /** Throws the refusal for a queue out of scope. */
  checkQueue(vhost: string, queue: string): void {
    this.checkVhost(vhost);
    if (!this.queues.matches(queue)) {
      throw new BrokerError(
        'forbidden',
        `Queue ${inQuotes(queue)} in vhost ${inQuotes(vhost)} is outside this server's scope (--queues ${this.queues}): it cannot be read or changed here.`,
      );
    }
  }

  /**
   * The route of a management API path (its query, if any, ignored), read as the broker reads it.
   * Under a scope, a path the broker would read otherwise than the server, or that names no route
   * the server knows, is refused: what it does cannot be judged.
   */
  routeOf(path: string): ApiRoute | undefined {
    const reading = readApiPath(path.split('?')[0] ?? '');
    if ('route' in reading) return reading.route;
    if (!this.active) return undefined;
    if (reading.unknownPath === undefined) throw new BrokerError('invalid', `${path.split('?')[0]}: ${reading.problem}.`);
    throw new BrokerError(
      'forbidden',
      `${path.split('?')[0]}: ${reading.problem}, so what it does cannot be judged. A server without --vhosts or --queues, at --allow-destructive, sends it.`,
    );
  }

  /**
   * Refuses a management API request (path without base path) that names something out of
   * scope, or that changes what is broker-wide (users, their limits, global parameters, the
   * cluster): an account made here could reach every vhost.
   */
  checkPath(path: string, method = 'GET'): void {
    if (!this.active) return;
    const route = this.routeOf(path);
    if (route) this.checkRoute(route, method);
  }

  /** checkPath for a route already read. */
  checkRoute(route: ApiRoute, method = 'GET'): void {
    if (!this.active) return;
    const { template, bindings } = route;
    const resource = template.split('/')[0] ?? '';
    const vhost = bindings.vhost;
    if (method !== 'GET' && vhost === undefined && !IMPORTS.has(template)) {
      if (ACCOUNTS.has(resource)) {
        throw new BrokerError(
          'forbidden',
          `${resource} are broker-wide: a server limited by --vhosts or --queues cannot change them. A server without --vhosts or --queues can.`,
        );
      }
      // The cluster name, feature flags, rebalancing, connections (whose vhost the path does not say) reach what the scope hides.
      throw new BrokerError(
        'forbidden',
        `/api/${template} is broker-wide: a server limited by --vhosts or --queues cannot change it. A server without --vhosts or --queues can.`,
      );
    }
    if (vhost !== undefined) this.checkVhost(vhost);
    if (method !== 'GET' && this.queues.restricts) {
      // A policy reaches every queue its pattern matches, now and later: the ones the scope hides too.
      if (resource === 'policies' || resource === 'operator-policies') this.#refusePolicies();
      if (resource === 'traces') {
        throw new BrokerError(
          'forbidden',
          `a trace copies every message of the vhost, those of queues outside this server's scope (--queues ${this.queues}) too: a server limited by --queues cannot set or delete one. A server without --queues can.`,
        );
      }
    }
    if (method !== 'GET' && template === 'parameters/:component/:vhost/:name' && !JUDGED_COMPONENTS.has(bindings.component ?? '')) {
      throw new BrokerError(
        'forbidden',
        `runtime parameters of component ${inQuotes(bindings.component)} have effects this server cannot judge: a server limited by --vhosts or --queues sets only shovels and federation upstreams. A server without --vhosts or --queues can.`,
      );
    }
    const queue = queueOfRoute(route);
    if (queue !== undefined && vhost !== undefined) this.checkQueue(vhost, queue);
    // The aliveness test declares a queue of this name and publishes to it.
    if (template === 'aliveness-test/:vhost' && vhost !== undefined) this.checkQueue(vhost, 'aliveness-test');
  }

  /**
   * Refuses a request body that would reach something out of scope through the back door:
   * publishing to a queue via the default exchange, a definitions import, a shovel or federation
   * upstream connecting to a vhost or queue out of scope, the firehose under --queues.
   */
  checkBody(path: string, body: unknown): void {
    if (!this.active) return;
    const route = this.routeOf(path);
    if (route) this.checkRouteBody(route, body);
  }

  /** checkBody for a route already read. */
  checkRouteBody(route: ApiRoute, body: unknown): void {
    if (!this.active || body === null || typeof body !== 'object') return;
    const object = body as Record<string, unknown>;
    const { template, bindings } = route;
    if (template === 'exchanges/:vhost/:exchange/publish' && bindings.exchange === '' && bindings.vhost !== undefined) {
      if (typeof object.routing_key === 'string') this.checkQueue(bindings.vhost, object.routing_key);
    }
    if (template === 'vhosts/:vhost' && object.tracing === true) this.#refuseTracing();
    if (IMPORTS.has(template) || template === 'definitions/:vhost') this.#checkDefinitions(bindings.vhost, object);
    if (template === 'parameters/:component/:vhost/:name' && bindings.vhost !== undefined) {
      this.checkParameter(bindings.component ?? '', bindings.vhost, object.value);
    }
  }

  #refusePolicies(): never {
    throw new BrokerError(
      'forbidden',
      `policies match queues by pattern, including queues outside this server's scope (--queues ${this.queues}): a server limited by --queues cannot set or delete them. A server without --queues can.`,
    );
  }

  /** Under --queues only: with --vhosts alone, everything tracing copies stays in a vhost in scope. */
  #refuseTracing(): void {
    if (!this.queues.restricts) return;
    throw new BrokerError(
      'forbidden',
      `tracing copies every message published or delivered in the vhost, those of queues outside this server's scope (--queues ${this.queues}) too: a server limited by --queues cannot turn it on. A server without --queues can.`,
    );
  }

  /** A definitions document to import (into one vhost when `target` is set). */
  #checkDefinitions(target: string | undefined, object: Record<string, unknown>): void {
    if (Array.isArray(object.users) && object.users.length > 0)
      throw new BrokerError(
        'forbidden',
        'users are broker-wide: a server limited by --vhosts or --queues cannot import them. A server without --vhosts or --queues can.',
      );
    if (Array.isArray(object.global_parameters) && object.global_parameters.length > 0) {
      throw new BrokerError(
        'forbidden',
        'global parameters are broker-wide: a server limited by --vhosts or --queues cannot import them. A server without --vhosts or --queues can.',
      );
    }
    // A vhost-level import puts everything in that vhost, whatever vhost an item names.
    const into = target !== undefined && target !== '' ? target : undefined;
    for (const vhost of (object.vhosts as { name?: unknown; tracing?: unknown }[] | undefined) ?? []) {
      if (typeof vhost?.name === 'string') this.checkVhost(vhost.name);
      if (vhost?.tracing === true) this.#refuseTracing();
    }
    // As set on their own: under --queues no policy, whose pattern matches hidden queues too.
    if (this.queues.restricts && Array.isArray(object.policies) && object.policies.length > 0) this.#refusePolicies();
    for (const key of ['queues', 'exchanges', 'bindings', 'policies', 'permissions', 'topic_permissions', 'parameters'] as const) {
      for (const item of (object[key] as Record<string, unknown>[] | undefined) ?? []) {
        if (!item || typeof item !== 'object') continue;
        const vhost = into ?? (typeof item.vhost === 'string' ? item.vhost : undefined);
        if (vhost === undefined) continue;
        this.checkVhost(vhost);
        const queue = key === 'queues' ? item.name : item.destination_type === 'queue' ? item.destination : undefined;
        if (typeof queue === 'string') this.checkQueue(vhost, queue);
        // A shovel or upstream inside the document is checked as if it were set on its own.
        if (key === 'parameters') this.checkParameter(typeof item.component === 'string' ? item.component : '', vhost, item.value);
      }
    }
  }

  /**
   * Refuses a runtime parameter (a shovel, a federation upstream or set) that would connect to a
   * vhost or reach a queue out of scope, with its URIs read as the broker reads them; under a
   * scope, only what the server can judge is allowed.
   */
  checkParameter(component: string, vhost: string, value: unknown): void {
    if (!this.active) return;
    this.checkVhost(vhost);
    if (!JUDGED_COMPONENTS.has(component)) {
      throw new BrokerError(
        'forbidden',
        `runtime parameters of component ${inQuotes(component)} have effects this server cannot judge: a server limited by --vhosts or --queues sets only shovels and federation upstreams. A server without --vhosts or --queues can.`,
      );
    }
    const settings = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
    if (component === 'shovel') this.#checkShovel(settings);
    else this.#checkUpstream(component, vhost, settings);
  }

  #checkShovel(settings: Record<string, unknown>): void {
    const refuse = (why: string) => {
      throw new BrokerError(
        'forbidden',
        `${why}: a server limited by --vhosts or --queues cannot set this shovel. A server without --vhosts or --queues can.`,
      );
    };
    const unknown = Object.keys(settings).filter((key) => !SHOVEL_KEYS.has(key));
    if (unknown.length > 0) refuse(`the shovel setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} cannot be judged here`);
    for (const side of ['src', 'dest'] as const) {
      const protocol = settings[`${side}-protocol`] ?? 'amqp091';
      if (protocol !== 'amqp091')
        refuse(`${side}-protocol ${String(protocol)} addresses queues in a way not judged here (only amqp091 is)`);
    }
    const vhosts = {
      src: this.#uriVhosts(settings['src-uri'], '/', 'src-uri'),
      dest: this.#uriVhosts(settings['dest-uri'], '/', 'dest-uri'),
    };
    for (const side of ['src', 'dest'] as const) {
      for (const vhost of vhosts[side]) {
        this.checkVhost(vhost);
        const queue = settings[`${side}-queue`];
        if (typeof queue === 'string') this.checkQueue(vhost, queue);
      }
    }
  }

  #checkUpstream(component: string, vhost: string, settings: Record<string, unknown>): void {
    if (this.queues.restricts) {
      throw new BrokerError(
        'forbidden',
        `a federation ${component === 'federation-upstream-set' ? 'upstream set' : 'upstream'} is applied by policies, which match queues and exchanges by pattern, those outside this server's scope (--queues ${this.queues}) too, and moves their messages: a server limited by --queues cannot set or delete one. A server without --queues can.`,
      );
    }
    // A URI without a path connects to the upstream's own vhost.
    if (component === 'federation-upstream') for (const uri of this.#uriVhosts(settings.uri, vhost, 'uri')) this.checkVhost(uri);
  }

  /** The vhosts a URI setting (one URI or a list) connects to, read as the broker reads them. */
  #uriVhosts(setting: unknown, defaultVhost: string, name: string): string[] {
    const uris = [setting].flat().filter((uri) => uri !== undefined);
    return uris.map((uri) => {
      if (typeof uri !== 'string') throw new BrokerError('invalid', `${name} must be a string or a list of strings.`);
      const reading = uriVhost(uri, defaultVhost);
      if ('problem' in reading)
        throw new BrokerError('invalid', `${name} ${maskUri(uri)} cannot be read one way only: ${reading.problem}.`);
      return reading.vhost;
    });
  }

  /**
   * An answer with everything out of scope removed: list items, paged items, the arrays of a
   * definitions document, nested lists (a channel's consumers). A single object out of scope is
   * refused as if its path had been.
   */
  filterBody<T>(path: string, body: T): T {
    if (!this.active || body === null || typeof body !== 'object') return body;
    const route = this.routeOf(path);
    if (!route) return body;
    const kind = route.answer;
    // Items of a vhost's answer (a vhost's definitions) may carry no vhost of their own.
    const fallback = route.bindings.vhost;
    const totals = (item: unknown) => (kind === 'vhosts' ? this.#withoutVhostTotals(item) : item);
    if (Array.isArray(body)) return this.#filterList(body, kind, fallback).map(totals) as T;
    const object = body as Record<string, unknown>;
    if (Array.isArray(object.items) && typeof object.page === 'number') {
      // The broker's counts include what the scope hides (and, with a name regex, would tell it
      // apart): only what is shown is counted.
      const { filtered_count: _filtered, total_count: _total, page_count: _pages, ...rest } = object;
      const items = this.#filterList(object.items, kind, fallback).map(totals);
      return { ...rest, items, item_count: items.length } as T;
    }
    if (!this.#visible(object, kind, fallback)) this.#refuse(object, kind, fallback);
    return totals(this.#filterNested(object, fallback)) as T;
  }

  /**
   * Under --queues a vhost's message counts and rates include its hidden queues (how many messages
   * they hold, how busy they are): they are left out; the visible queues' own counts remain.
   */
  #withoutVhostTotals(item: unknown): unknown {
    if (!this.queues.restricts || item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    return Object.fromEntries(Object.entries(item).filter(([key]) => !VHOST_TOTALS.test(key)));
  }

  #filterList(items: unknown[], kind: AnswerKind, fallback?: string): unknown[] {
    return items
      .filter((item) => item === null || typeof item !== 'object' || this.#visible(item as Record<string, unknown>, kind, fallback))
      .map((item) =>
        item && typeof item === 'object' && !Array.isArray(item) ? this.#filterNested(item as Record<string, unknown>, fallback) : item,
      );
  }

  /** An object whose arrays of objects (a definitions document's, a channel's consumers) keep only what is in scope. */
  #filterNested(object: Record<string, unknown>, fallback?: string): Record<string, unknown> {
    let changed: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(object)) {
      if (!Array.isArray(value) || !value.some((item) => item && typeof item === 'object')) continue;
      changed ??= { ...object };
      changed[key] = this.#filterList(value, NESTED_KINDS[key] ?? 'objects', fallback);
    }
    return changed ?? object;
  }

  #visible(item: Record<string, unknown>, kind: AnswerKind, fallback?: string): boolean {
    const own = typeof item.vhost === 'string' ? item.vhost : typeof item.virtual_host === 'string' ? item.virtual_host : undefined;
    const vhost = own ?? (kind === 'vhosts' && typeof item.name === 'string' ? item.name : fallback);
    if (vhost !== undefined && !this.vhostAllowed(vhost)) return false;
    const queue = queueOf(item, kind, vhost);
    if (queue && !this.queueAllowed(queue.vhost, queue.name)) return false;
    if (vhost === undefined) return true;
    try {
      // A runtime parameter, wherever it is answered (4.x answers shovels/vhost/{vhost}/{name} with one).
      if (typeof item.component === 'string' && JUDGED_COMPONENTS.has(item.component) && 'value' in item) {
        this.checkParameter(item.component, vhost, item.value);
      } else if (kind === 'shovels') this.#checkShovel(shovelSettings(item));
      if (kind === 'federation-links') this.#checkLink(vhost, item);
    } catch (error) {
      if (error instanceof BrokerError) return false;
      throw error;
    }
    return true;
  }

  /** A federation link: its local queue or exchange, the upstream's vhost and queue. */
  #checkLink(vhost: string, link: Record<string, unknown>): void {
    if (typeof link.queue === 'string') this.checkQueue(vhost, link.queue);
    for (const upstreamVhost of this.#uriVhosts(link.uri, vhost, 'uri')) {
      this.checkVhost(upstreamVhost);
      if (typeof link.upstream_queue === 'string') this.checkQueue(upstreamVhost, link.upstream_queue);
    }
  }

  #refuse(item: Record<string, unknown>, kind: AnswerKind, fallback?: string): never {
    const vhost = typeof item.vhost === 'string' ? item.vhost : kind === 'vhosts' ? String(item.name) : fallback;
    const queue = queueOf(item, kind, vhost);
    if (queue) this.checkQueue(queue.vhost, queue.name);
    if (vhost !== undefined) this.checkVhost(vhost);
    throw new BrokerError('forbidden', "That object is outside this server's scope.");
  }
}

/** The queue an item names, if any: a queue, a binding to a queue, a consumer of a queue. */
function queueOf(item: Record<string, unknown>, kind: AnswerKind, vhost: string | undefined): QueueRef | undefined {
  if (vhost !== undefined) {
    if (kind === 'queues' && typeof item.name === 'string') return { vhost, name: item.name };
    if (item.destination_type === 'queue' && typeof item.destination === 'string') return { vhost, name: item.destination };
  }
  const queue = item.queue as { name?: unknown; vhost?: unknown } | undefined;
  if (queue && typeof queue === 'object' && typeof queue.name === 'string' && typeof queue.vhost === 'string') {
    return { vhost: queue.vhost, name: queue.name };
  }
  return undefined;
}

/** A running shovel's status (src_uri, dest_queue…) as the settings it was made from (src-uri, dest-queue…). */
function shovelSettings(status: Record<string, unknown>): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(status)) {
    const setting = key.replaceAll('_', '-');
    if (/^(src|dest)-/.test(setting) && setting !== 'src-protocol' && setting !== 'dest-protocol') settings[setting] = value;
  }
  return settings;
}

/**
 * A management API path as decoded segments: "/api/queues/%2F/orders" → ["queues", "/", "orders"].
 * For naming what a path is about; what it does is judged on its route (Scope.routeOf).
 */
export function apiSegments(path: string): string[] {
  const reading = readApiPath(path.split('?')[0] ?? '');
  if ('route' in reading)
    return reading.route.path
      .replace(/^\/api\//, '')
      .split('/')
      .map((segment) => decodeURIComponent(segment));
  return path
    .replace(/^\/api\//, '')
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

/** The vhost a management API path is about ("/api/queues/<vhost>/…"), if it names one. */
export function vhostOfApiPath(path: string): string | undefined {
  const reading = readApiPath(path.split('?')[0] ?? '');
  return 'route' in reading ? reading.route.bindings.vhost : undefined;
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
