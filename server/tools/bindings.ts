import { z } from 'zod';
import type { Broker } from '../broker/broker.js';
import { type Binding, type ExchangeFacts, RouteError, type RoutingTopology, traceRoute } from '../broker/exchange-routing.js';
import { apiPath } from '../broker/management-client.js';
import { exchangeNotFound, orIfNotFound, queueNotFound, vhostNotFound } from './not-found.js';
import { type ExchangeInfo, describeBinding } from './exchanges.js';
import { capOutput, pageFooter, plural, quoted, table } from './output.js';
import { DEFAULT_PAGE_SIZE, confirm, exchangeName, objectName, paging, routingKey, table as argumentTable, vhost } from './schemas.js';
import { READ_ONLY, defineTool, destroys, writes } from './tool.js';
import { judgeBindingDeletion, judgeNewBinding } from './scope-effects.js';
import { inQuotes } from '../broker/one-line.js';

/** What names one binding: create_binding and delete_binding take the same fields. */
const bindingFields = {
  vhost,
  source: objectName('source exchange').describe('From exchange'),
  destination: objectName('destination').describe('Queue or exchange'),
  destination_type: z.enum(['queue', 'exchange']).optional().describe('Default queue'),
  routing_key: routingKey.optional().describe('Default ""'),
  arguments: argumentTable.optional().describe('Headers to match'),
};

function destinationSegment(type: 'queue' | 'exchange'): 'q' | 'e' {
  return type === 'queue' ? 'q' : 'e';
}

export const listBindings = defineTool({
  name: 'list_bindings',
  title: 'List bindings',
  group: 'exchanges',
  description: 'Bindings of a vhost, a queue, or an exchange.',
  input: z.strictObject({
    vhost,
    queue: objectName('queue name').optional().describe('Those to this queue'),
    exchange: objectName('exchange name').optional().describe('Those from and to it'),
    ...paging,
  }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    if (args.queue !== undefined && args.exchange !== undefined) {
      return { text: 'Give queue or exchange, not both.', isError: true };
    }
    let bindings: Binding[];
    let scope: string;
    if (args.queue !== undefined) {
      bindings = await broker.management.get<Binding[]>(apiPath('queues', vhostName, args.queue, 'bindings'), {
        notFound: queueNotFound(args.queue, vhostName),
      });
      scope = `of queue ${inQuotes(args.queue)}`;
    } else if (args.exchange !== undefined) {
      const notFound = exchangeNotFound(args.exchange, vhostName);
      const [out, into] = await Promise.all([
        broker.management.get<Binding[]>(apiPath('exchanges', vhostName, args.exchange, 'bindings', 'source'), { notFound }),
        broker.management.get<Binding[]>(apiPath('exchanges', vhostName, args.exchange, 'bindings', 'destination'), { notFound }),
      ]);
      bindings = [...out, ...into];
      scope = `from or to exchange ${inQuotes(args.exchange)}`;
    } else {
      bindings = await broker.management.get<Binding[]>(apiPath('bindings', vhostName), {
        notFound: vhostNotFound(vhostName),
      });
      scope = `in vhost ${inQuotes(vhostName)}`;
    }
    if (bindings.length === 0) return `No bindings ${scope}.`;
    const pageSize = args.page_size ?? DEFAULT_PAGE_SIZE;
    const pageCount = Math.ceil(bindings.length / pageSize);
    const page = Math.min(args.page ?? 1, pageCount);
    const rows = bindings
      .slice((page - 1) * pageSize, page * pageSize)
      .map((b) => [
        b.source === '' ? '(default)' : b.source,
        `${b.destination_type} ${b.destination}`,
        b.routing_key,
        b.arguments && Object.keys(b.arguments).length > 0 ? JSON.stringify(b.arguments) : '',
      ]);
    return capOutput(
      `Bindings ${scope}\n${table(['source', 'destination', 'routing_key', 'arguments'], rows)}\n${pageFooter({ page, pageCount, filteredCount: bindings.length }, 'list_bindings')}`,
    );
  },
});

export const createBinding = defineTool({
  name: 'create_binding',
  title: 'Create binding',
  group: 'exchanges',
  description: 'Bind an exchange to a queue or exchange.',
  input: z.strictObject(bindingFields),
  annotations: writes(true),
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const type = args.destination_type ?? 'queue';
    const key = args.routing_key ?? '';
    const path = apiPath('bindings', vhostName, 'e', args.source, destinationSegment(type), args.destination);
    // The scope of what it names first: a refusal of what it sets off must not come before it.
    broker.scope.checkPath(path, 'POST');
    const refusal = await judgeNewBinding(broker, vhostName, {
      source: args.source,
      destination: args.destination,
      destination_type: type,
      routing_key: key,
      arguments: args.arguments ?? {},
    });
    if (refusal) return { text: refusal, isError: true };
    await broker.management.post(
      path,
      { routing_key: key, arguments: args.arguments ?? {} },
      { notFound: `exchange ${inQuotes(args.source)} or ${type} ${inQuotes(args.destination)} not found in vhost ${inQuotes(vhostName)}` },
    );
    return `Bound exchange ${inQuotes(args.source)} → ${type} ${inQuotes(args.destination)} with key ${inQuotes(key)}${args.arguments ? ` and arguments ${JSON.stringify(args.arguments)}` : ''} in vhost ${inQuotes(vhostName)}.`;
  },
});

function sameArguments(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const canonical = (value: Record<string, unknown> | undefined) =>
    JSON.stringify(Object.entries(value ?? {}).sort(([x], [y]) => x.localeCompare(y)));
  return canonical(a) === canonical(b);
}

export const deleteBinding = defineTool({
  name: 'delete_binding',
  title: 'Delete binding',
  group: 'exchanges',
  description: 'Remove a binding.',
  input: z.strictObject({ ...bindingFields, confirm }),
  annotations: destroys(true),
  async handler(args, { broker, confirm }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    const type = args.destination_type ?? 'queue';
    const key = args.routing_key ?? '';
    const path = apiPath('bindings', vhostName, 'e', args.source, destinationSegment(type), args.destination);
    const between = await broker.management.get<Binding[]>(path, {
      notFound: `exchange ${inQuotes(args.source)} or ${type} ${inQuotes(args.destination)} not found in vhost ${inQuotes(vhostName)}`,
    });
    const sameKey = between.filter((b) => b.routing_key === key);
    const matches = args.arguments ? sameKey.filter((b) => sameArguments(b.arguments, args.arguments)) : sameKey;
    if (matches.length === 0) {
      const existing = between.map(
        (b) => `${inQuotes(b.routing_key)}${b.arguments && Object.keys(b.arguments).length > 0 ? ` ${JSON.stringify(b.arguments)}` : ''}`,
      );
      return {
        text: `No binding from ${inQuotes(args.source)} to ${type} ${inQuotes(args.destination)} with key ${inQuotes(key)}${args.arguments ? ' and those arguments' : ''}. Existing keys between them: ${existing.join(', ') || 'none'}.`,
        isError: true,
      };
    }
    if (matches.length > 1) {
      return {
        text: `${matches.length} bindings have key ${inQuotes(key)} and differ by arguments: ${matches.map((b) => JSON.stringify(b.arguments)).join(', ')}. Pass arguments to pick one.`,
        isError: true,
      };
    }
    const binding = matches[0] as Binding;
    const refusal = await judgeBindingDeletion(broker, vhostName, binding);
    if (refusal) return { text: refusal, isError: true };
    const declined = await confirm(args.confirm, `would remove binding ${describeBinding(binding)} in vhost ${inQuotes(vhostName)}`);
    if (declined) return declined;
    await broker.management.delete(
      apiPath('bindings', vhostName, 'e', args.source, destinationSegment(type), args.destination, binding.properties_key ?? '~'),
      {
        notFound: 'that binding was already removed',
      },
    );
    return `Removed binding ${describeBinding(binding)} in vhost ${inQuotes(vhostName)}.`;
  },
});

type Fetch = <T>(path: string, options?: { query?: Record<string, string> }) => Promise<T>;

/**
 * The topology as the routing simulator sees it, read lazily from the management API (each
 * object once per topology). `fetch` is the scoped client by default; the scope checks read the
 * whole topology, hidden queues included, and never show it.
 */
export function managementTopology(broker: Broker, vhostName: string, fetch?: Fetch): RoutingTopology {
  const get: Fetch = fetch ?? ((path, options) => broker.management.get(path, options));
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let known = cache.get(key) as Promise<T> | undefined;
    if (!known) {
      known = load();
      cache.set(key, known);
    }
    return known;
  };
  const policyDefinition = (name: string) =>
    once(`p ${name}`, () =>
      get<{ definition: Record<string, unknown> }>(apiPath('policies', vhostName, name))
        .then((policy) => policy.definition)
        .catch(() => ({}) as Record<string, unknown>),
    );
  return {
    async exchange(name): Promise<ExchangeFacts | null> {
      const exchange = await orIfNotFound(
        once(`e ${name}`, () => get<ExchangeInfo>(apiPath('exchanges', vhostName, name))),
        null,
      );
      if (!exchange) return null;
      const fromPolicy = exchange.policy ? (await policyDefinition(exchange.policy))['alternate-exchange'] : undefined;
      const alternate = exchange.arguments?.['alternate-exchange'] ?? fromPolicy;
      const delayed = exchange.arguments?.['x-delayed-type'];
      return {
        name,
        type: exchange.type,
        internal: exchange.internal,
        alternateExchange: typeof alternate === 'string' ? alternate : undefined,
        delayedType: typeof delayed === 'string' ? delayed : undefined,
      };
    },
    bindingsFrom: (name) => once(`b ${name}`, () => get<Binding[]>(apiPath('exchanges', vhostName, name, 'bindings', 'source'))),
    async queueExists(name) {
      if (name === '') return false;
      return orIfNotFound(
        once(`q ${name}`, () => get(apiPath('queues', vhostName, name), { query: { columns: 'name' } })).then(() => true),
        false,
      );
    },
  };
}

/** The routing keys a message is routed with: its own, then its CC and BCC headers (RabbitMQ sender-selected distribution). */
export function routingKeysOf(routingKey: string, headers: Record<string, unknown> = {}): string[] {
  const extra = ['CC', 'BCC'].flatMap((name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.filter((key): key is string => typeof key === 'string') : typeof value === 'string' ? [value] : [];
  });
  return [...new Set([routingKey, ...extra])];
}

/**
 * How many queues outside the scope trace_route's message is routed to (bindings, exchange bindings,
 * alternate exchanges): a count, never a name. What a publish would reach beyond its route (dead
 * letters) is scope-effects.ts's to judge.
 */
async function hiddenQueuesRouted(
  broker: Broker,
  vhostName: string,
  exchange: string,
  routingKey: string,
  headers: Record<string, unknown>,
): Promise<number> {
  if (!broker.scope.queues.restricts) return 0;
  const whole = managementTopology(broker, vhostName, (path, options) => broker.management.getForScopeCheck(path, options));
  const route = await traceRoute(whole, exchange, routingKey, headers).catch(() => ({ queues: [] as string[] }));
  return route.queues.filter((queue) => !broker.scope.queueAllowed(vhostName, queue)).length;
}

export const traceRouteTool = defineTool({
  name: 'trace_route',
  title: 'Trace a route',
  group: 'exchanges',
  description: 'Which queues a message would reach, by which bindings.',
  input: z.strictObject({
    vhost,
    exchange: exchangeName.describe('"" is the default exchange'),
    routing_key: routingKey.describe("The message's"),
    headers: argumentTable.optional().describe('For headers exchanges'),
  }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    let result;
    try {
      result = await traceRoute(managementTopology(broker, vhostName), args.exchange, args.routing_key, args.headers ?? {});
    } catch (error) {
      if (error instanceof RouteError) return { text: `${exchangeNotFound(args.exchange, vhostName)}.`, isError: true };
      throw error;
    }
    const head = `Routing key ${inQuotes(args.routing_key)} on exchange ${quoted(args.exchange)} in vhost ${inQuotes(vhostName)}`;
    const hidden = await hiddenQueuesRouted(broker, vhostName, args.exchange, args.routing_key, args.headers ?? {});
    const hiddenNote = hidden > 0 ? `; it also reaches ${plural(hidden, 'queue')} outside this server's scope (not shown)` : '';
    const notes =
      result.notes.length > 0 || hidden > 0 ? `\nnotes: ${[...result.notes, hiddenNote.slice(2)].filter(Boolean).join('; ')}` : '';
    if (result.queues.length === 0) {
      if (hidden > 0)
        return `${head} reaches only ${plural(hidden, 'queue')} outside this server's scope (not shown): it is not dropped.${notes}`;
      return `${head} reaches no queue: the message would be dropped (or returned to a publisher using mandatory).${notes}`;
    }
    const paths = result.steps.slice(0, 50).map((step) => `  ${step.path}`);
    return capOutput(
      `${head} reaches ${plural(result.queues.length, 'queue')}: ${result.queues.join(', ')}\npaths:\n${paths.join('\n')}${notes}`,
    );
  },
});
