import { inQuotes } from './one-line.js';
/**
 * How RabbitMQ routes a message, computed from the topology instead of by publishing: which
 * queues a routing key (and headers) would reach from an exchange, through exchange-to-exchange
 * bindings and alternate exchanges.
 */

export interface Binding {
  source: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments?: Record<string, unknown>;
  properties_key?: string;
}

export interface ExchangeFacts {
  name: string;
  type: string;
  internal?: boolean;
  /** From the exchange arguments or its policy. */
  alternateExchange?: string;
  /** For x-delayed-message: the type it routes like. */
  delayedType?: string;
}

export interface RoutingTopology {
  /** Null when the exchange does not exist. */
  exchange(name: string): Promise<ExchangeFacts | null>;
  bindingsFrom(exchange: string): Promise<Binding[]>;
  queueExists(name: string): Promise<boolean>;
}

export interface RouteStep {
  /** Human-readable path: "events --[order.*]--> exchange audit --[]--> queue q1". */
  path: string;
  queue: string;
}

export interface RouteResult {
  queues: string[];
  steps: RouteStep[];
  notes: string[];
}

/** Topic match: '*' is exactly one word, '#' zero or more; words are separated by dots. */
export function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split('.');
  const k = key.split('.');
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const id = `${i},${j}`;
    const known = memo.get(id);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === p.length) result = j === k.length;
    else if (p[i] === '#') result = match(i + 1, j) || (j < k.length && match(i, j + 1));
    else result = j < k.length && (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
    memo.set(id, result);
    return result;
  };
  return match(0, 0);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Headers exchange match, with x-match all (default), any, all-with-x and any-with-x. */
export function headersMatch(bindingArguments: Record<string, unknown> = {}, headers: Record<string, unknown> = {}): boolean {
  const mode = String(bindingArguments['x-match'] ?? 'all');
  const withX = mode.endsWith('-with-x');
  const pairs = Object.entries(bindingArguments).filter(([key]) => key !== 'x-match' && (withX || !key.startsWith('x-')));
  if (pairs.length === 0) return mode.startsWith('all');
  const hits = pairs.map(([key, value]) => Object.hasOwn(headers, key) && sameValue(headers[key], value));
  return mode.startsWith('any') ? hits.some(Boolean) : hits.every(Boolean);
}

const SIMULATED = new Set(['direct', 'fanout', 'topic', 'headers']);

function bindingMatches(type: string, binding: Binding, routingKey: string, headers: Record<string, unknown>): boolean {
  switch (type) {
    case 'fanout':
      return true;
    case 'direct':
      return binding.routing_key === routingKey;
    case 'topic':
      return topicMatches(binding.routing_key, routingKey);
    case 'headers':
      return headersMatch(binding.arguments, headers);
    default:
      return false;
  }
}

function label(binding: Binding, type: string): string {
  if (type === 'fanout') return '';
  if (type === 'headers') return JSON.stringify(binding.arguments ?? {});
  return binding.routing_key;
}

export async function traceRoute(
  topology: RoutingTopology,
  start: string,
  routingKey: string,
  headers: Record<string, unknown> = {},
): Promise<RouteResult> {
  const result: RouteResult = { queues: [], steps: [], notes: [] };
  const reached = new Set<string>();
  const visited = new Set<string>();

  const deliver = (queue: string, path: string) => {
    result.steps.push({ path: `${path} queue ${queue}`, queue });
    if (!reached.has(queue)) {
      reached.add(queue);
      result.queues.push(queue);
    }
  };

  /** Returns whether anything was reached from this exchange (to decide on its alternate). */
  const visit = async (name: string, path: string, depth: number): Promise<boolean> => {
    if (visited.has(name)) return false;
    visited.add(name);
    if (depth > 32) {
      result.notes.push(`stopped following exchange bindings after 32 hops at ${inQuotes(name)}`);
      return false;
    }
    if (name === '') {
      if (await topology.queueExists(routingKey)) {
        deliver(routingKey, `${path}(default exchange) --[${routingKey}]-->`);
        return true;
      }
      return false;
    }
    const exchange = await topology.exchange(name);
    if (!exchange) {
      result.notes.push(`exchange ${inQuotes(name)} does not exist`);
      return false;
    }
    const type = exchange.type === 'x-delayed-message' && exchange.delayedType ? exchange.delayedType : exchange.type;
    if (exchange.type === 'x-delayed-message') result.notes.push(`${inQuotes(name)} delays messages before routing them as ${type}`);
    const bindings = await topology.bindingsFrom(name);
    const here = `${path}${name}`;
    let routed = false;
    if (!SIMULATED.has(type)) {
      result.notes.push(
        `${inQuotes(name)} is a ${type} exchange, whose choice cannot be computed; each message goes to some of its ${bindings.length} bindings: ${bindings.map((b) => `${b.destination_type} ${b.destination}`).join(', ') || 'none'}`,
      );
      return bindings.length > 0;
    }
    for (const binding of bindings) {
      if (!bindingMatches(type, binding, routingKey, headers)) continue;
      const step = `${here} --[${label(binding, type)}]-->`;
      if (binding.destination_type === 'queue') {
        deliver(binding.destination, step);
        routed = true;
      } else if (await visit(binding.destination, `${step} exchange `, depth + 1)) {
        routed = true;
      }
    }
    if (!routed && exchange.alternateExchange) {
      result.notes.push(
        `nothing matched on ${inQuotes(name)}, so it goes to its alternate exchange ${inQuotes(exchange.alternateExchange)}`,
      );
      routed = await visit(exchange.alternateExchange, `${here} ==(alternate)==> exchange `, depth + 1);
    }
    return routed;
  };

  const first = start === '' ? null : await topology.exchange(start);
  if (start !== '' && !first) throw new RouteError(`exchange ${inQuotes(start)} not found`);
  if (first?.internal) result.notes.push(`${inQuotes(start)} is internal: clients cannot publish to it directly, only other exchanges`);
  await visit(start, '', 0);
  return result;
}

export class RouteError extends Error {}
