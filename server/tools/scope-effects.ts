import type { Broker } from '../broker/broker.js';
import type { Binding } from '../broker/exchange-routing.js';
import { apiPath } from '../broker/management-client.js';
import { uriVhost } from '../broker/amqp-uri.js';
import {
  ANY_MESSAGE,
  BROKER_FED_EXCHANGES,
  type ExchangeFacts,
  type MessageSet,
  type QueueFacts,
  type Reach,
  VhostTopology,
  emptyReach,
  oneMessage,
  through,
} from './hidden-reach.js';
import { plural } from './output.js';
import { policyImpact, removingPolicyKeys, shovelRemoves } from './effects.js';
import { inQuotes } from '../broker/one-line.js';

const TRACE_EXCHANGE = 'amq.rabbitmq.trace';
/**
 * What a topology write sets off beyond the object it names, judged for a scoped server before
 * it runs: a queue's dead letters, an exchange's alternate, a binding that would copy what a hidden
 * queue gets (a tap) or pass messages into one, a deletion that hidden queues depend on, tracing,
 * a shovel's two ends, a definitions import holding any of these. Each judge returns the refusal,
 * which says how many hidden queues (never which) and what would allow the write, or undefined.
 * With --vhosts alone nothing inside a vhost is hidden: only tracing and bindings from the
 * exchanges the broker itself feeds (amq.rabbitmq.trace, .log, .event) are judged.
 */

type Table = Record<string, unknown>;

function scopeNote(broker: Broker): string {
  return `this server's scope (--queues ${broker.scope.queues})`;
}

/** "1 queue outside this server's scope (--queues !*.audit)", and what could not be bounded; undefined when neither. */
function reached(broker: Broker, reach: Reach): string | undefined {
  const parts: string[] = [];
  if (reach.hidden.size > 0) parts.push(`${plural(reach.hidden.size, 'queue')} outside ${scopeNote(broker)}`);
  if (reach.unbounded.length > 0)
    parts.push(
      `queues this server cannot name in advance (${reach.unbounded[0]}), so it cannot show they stay inside ${scopeNote(broker)}`,
    );
  return parts.length > 0 ? parts.join(', and ') : undefined;
}

function merge(into: Reach, from: Reach): Reach {
  for (const queue of from.hidden) into.hidden.add(queue);
  into.unbounded.push(...from.unbounded.filter((reason) => !into.unbounded.includes(reason)));
  return into;
}

const WIDER = 'a server whose --queues covers those queues can do it';
const WIDER_SENTENCE = 'A server whose --queues covers those queues can do it.';

/** A queue about to be declared: where its dead letters go, and whether hidden queues' dead letters would come to it. */
export async function judgeNewQueue(
  broker: Broker,
  vhost: string,
  name: string,
  queueArguments: Table,
  topology?: VhostTopology,
): Promise<string | undefined> {
  if (!broker.scope.queues.restricts) return undefined;
  const whole = topology ?? (await VhostTopology.load(broker, vhost));
  const type = typeof queueArguments['x-queue-type'] === 'string' ? queueArguments['x-queue-type'] : undefined;
  const facts: QueueFacts = { name, type, arguments: queueArguments };
  const policies = whole.policiesFor(name, 'queue', type);
  const where = reached(broker, whole.reachOfDeadLetters(facts, ANY_MESSAGE, undefined, policies));
  if (where) {
    return `Queue ${inQuotes(name)} was not created: its dead letters (messages rejected, expired, or over a length or delivery limit), by its dead-letter exchange and routing key${policies.some((definition) => 'dead-letter-exchange' in definition) ? ' or those of a policy matching its name' : ''}, would reach ${where}. Give it a dead-letter exchange and routing key that reach only queues in scope (trace_route shows where a key goes), or none; ${WIDER}.`;
  }
  const sources = whole.deadLettersNaming(name);
  if (sources > 0) {
    return `Queue ${inQuotes(name)} was not created: ${plural(sources, 'queue')} outside ${scopeNote(broker)} dead-letter through the default exchange with routing keys that can name it, so it would receive their messages. Choose another name; ${WIDER}.`;
  }
  return undefined;
}

/** An exchange about to be declared: where its alternate exchange sends what it cannot route. */
export async function judgeNewExchange(
  broker: Broker,
  vhost: string,
  name: string,
  type: string,
  exchangeArguments: Table,
  topology?: VhostTopology,
): Promise<string | undefined> {
  if (!broker.scope.queues.restricts) return undefined;
  const whole = topology ?? (await VhostTopology.load(broker, vhost));
  const facts: ExchangeFacts = { name, type, arguments: exchangeArguments };
  const alternates = whole.alternatesOf(facts, whole.policiesFor(name, 'exchange'));
  if (alternates.length === 0) return undefined;
  const reach = emptyReach();
  for (const alternate of alternates) whole.reachFromExchange(alternate, ANY_MESSAGE, reach);
  const where = reached(broker, reach);
  const named = alternates.map((alternate) => `${inQuotes(alternate)}`).join(', ');
  if (where) {
    return `Exchange ${inQuotes(name)} was not created: its alternate exchange ${named} (by its arguments or a policy matching its name) would pass what it cannot route to ${where}. Choose an alternate exchange that reaches only queues in scope (trace_route shows where a key goes), or none; ${WIDER}.`;
  }
  const sources = whole.with({ exchanges: [facts] }).deadLetterSourcesOf(name, ANY_MESSAGE);
  if (sources > 0) {
    return `Exchange ${inQuotes(name)} was not created: ${plural(sources, 'queue')} outside ${scopeNote(broker)} dead-letter to an exchange of that name, and its alternate exchange ${named} would pass their messages on. Choose another name or no alternate exchange; ${WIDER}.`;
  }
  return undefined;
}

/**
 * Why binding from a broker-fed exchange is refused under a scope, or undefined: the log and the
 * events name objects of every vhost; the trace carries every message of its own vhost, which
 * only --queues hides part of.
 */
function brokerFedRefusal(broker: Broker, source: string, destination: string, destinationType: string): string | undefined {
  const fed = BROKER_FED_EXCHANGES.has(source)
    ? source
    : destinationType === 'exchange' && BROKER_FED_EXCHANGES.has(destination)
      ? destination
      : undefined;
  if (!fed || (fed === TRACE_EXCHANGE && !broker.scope.queues.restricts)) return undefined;
  return `Binding not created: exchange ${inQuotes(fed)} carries what the broker itself publishes (with tracing on, a copy of every message published or delivered in the vhost; the log; events naming every object), which this server's scope (${broker.scope.describe()}) cannot limit. A server without --vhosts or --queues can bind to it.`;
}

/**
 * A binding about to be made: refused when what it takes would also reach hidden queues, or come
 * from them (a tap), and, bound to an exchange, when it would pass messages into hidden queues.
 * Exchange-to-exchange bindings are judged by everything downstream and upstream.
 */
export async function judgeNewBinding(
  broker: Broker,
  vhost: string,
  binding: Pick<Binding, 'source' | 'destination' | 'destination_type' | 'routing_key' | 'arguments'>,
  topology?: VhostTopology,
): Promise<string | undefined> {
  if (!broker.scope.active) return undefined;
  const fed = brokerFedRefusal(broker, binding.source, binding.destination, binding.destination_type);
  if (fed) return fed;
  if (!broker.scope.queues.restricts) return undefined;
  const whole = topology ?? (await VhostTopology.load(broker, vhost));
  const source = whole.exchange(binding.source);
  // A missing exchange: the broker answers that, and nothing is bound.
  if (!source) return undefined;
  const taken = through(ANY_MESSAGE, whole.routingType(source), binding);
  if (!taken) return undefined;
  const key = `key ${inQuotes(binding.routing_key)}${binding.arguments && Object.keys(binding.arguments).length > 0 ? ` and arguments ${JSON.stringify(binding.arguments)}` : ''}`;
  const passed =
    binding.destination_type === 'exchange'
      ? whole.reachFromExchange(binding.destination, taken)
      : whole.reachFromQueue(binding.destination, taken);
  const passedTo = reached(broker, passed);
  if (passedTo) {
    const how = binding.destination_type === 'exchange' ? 'would pass' : 'would dead-letter (rejected, expired, over a limit)';
    return `Binding not created: ${binding.destination_type} ${inQuotes(binding.destination)} ${how} the messages exchange ${inQuotes(binding.source)} routes with ${key} on to ${passedTo}. Bind a destination that reaches only queues in scope (trace_route shows where a key goes); ${WIDER}.`;
  }
  const where = reached(broker, whole.tapAt(binding.source, taken));
  if (where) {
    return `Binding not created: the messages exchange ${inQuotes(binding.source)} routes with ${key} also reach (or come from) ${where}, so ${binding.destination_type} ${inQuotes(binding.destination)} would get a copy of what the scope hides. Use a routing key (or headers) that no binding to such a queue shares (trace_route shows where a key goes); ${WIDER}.`;
  }
  return undefined;
}

/** An exchange about to be deleted: refused while hidden queues get messages through it (bindings, alternate, dead letters). */
export async function judgeExchangeDeletion(broker: Broker, vhost: string, name: string): Promise<string | undefined> {
  if (!broker.scope.queues.restricts) return undefined;
  const whole = await VhostTopology.load(broker, vhost);
  if (!whole.exchange(name)) return undefined;
  const fed = whole.reachFromExchange(name, ANY_MESSAGE).hidden;
  const deadLettering = whole.deadLetterSourcesOf(name, ANY_MESSAGE);
  if (fed.size + deadLettering === 0) return undefined;
  const how = [
    fed.size > 0 ? `feeds ${plural(fed.size, 'queue')} (through its bindings, exchange bindings or alternate exchange)` : '',
    deadLettering > 0 ? `is the dead-letter exchange of ${plural(deadLettering, 'queue')}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return `Exchange ${inQuotes(name)} was not deleted: it ${how} outside ${scopeNote(broker)}; deleting it would cut them off, and its bindings would go with it. ${WIDER_SENTENCE}`;
}

/** A binding about to be removed: refused when hidden queues would lose its messages, or get them through an alternate exchange instead. */
export async function judgeBindingDeletion(broker: Broker, vhost: string, binding: Binding): Promise<string | undefined> {
  if (!broker.scope.queues.restricts) return undefined;
  const whole = await VhostTopology.load(broker, vhost);
  const source = whole.exchange(binding.source);
  if (!source) return undefined;
  const carried = through(ANY_MESSAGE, whole.routingType(source), binding) ?? ANY_MESSAGE;
  if (binding.destination_type === 'exchange') {
    const lost = whole.reachFromExchange(binding.destination, carried).hidden.size;
    if (lost > 0) {
      return `Binding not removed: exchange ${inQuotes(binding.destination)} passes what it carries on to ${plural(lost, 'queue')} outside ${scopeNote(broker)}, which would stop getting it. ${WIDER_SENTENCE}`;
    }
  }
  return unroutedRefusal(broker, whole, [binding], `Binding not removed`);
}

/** When messages a binding carries would, once it is gone, go to an alternate exchange that reaches hidden queues. */
function unroutedRefusal(broker: Broker, whole: VhostTopology, bindings: Binding[], lead: string): string | undefined {
  const reach = emptyReach();
  const alternates = new Set<string>();
  for (const binding of bindings) {
    const source = whole.exchange(binding.source);
    if (!source || binding.source === '') continue;
    const carried = through(ANY_MESSAGE, whole.routingType(source), binding) ?? ANY_MESSAGE;
    for (const alternate of whole.alternatesOf(source)) {
      const before = reach.hidden.size;
      whole.reachFromExchange(alternate, carried, reach);
      if (reach.hidden.size > before) alternates.add(binding.source);
    }
  }
  if (reach.hidden.size === 0) return undefined;
  const exchanges = [...alternates].map((name) => `${inQuotes(name)}`).join(', ');
  return `${lead}: messages exchange ${exchanges} routes through it would instead go to its alternate exchange, which passes them to ${plural(reach.hidden.size, 'queue')} outside ${scopeNote(broker)}. ${WIDER_SENTENCE}`;
}

/** A queue about to be deleted: refused when hidden queues dead-letter into it, or its messages would go to an alternate exchange reaching hidden queues. */
export async function judgeQueueDeletion(broker: Broker, vhost: string, name: string): Promise<string | undefined> {
  if (!broker.scope.queues.restricts) return undefined;
  const whole = await VhostTopology.load(broker, vhost);
  const sources = whole.deadLettersNaming(name);
  if (sources > 0) {
    return `Queue ${inQuotes(name)} was not deleted: ${plural(sources, 'queue')} outside ${scopeNote(broker)} dead-letter into it, and their dead letters would then be dropped. ${WIDER_SENTENCE}`;
  }
  return unroutedRefusal(broker, whole, whole.bindingsTo(name, 'queue'), `Queue ${inQuotes(name)} was not deleted`);
}

/** How many queues of a vhost the scope hides (all of them are deleted with it). */
export async function hiddenQueuesIn(broker: Broker, vhost: string): Promise<number> {
  if (!broker.scope.queues.restricts) return 0;
  const queues = await broker.management.getForScopeCheck<{ name: string }[]>(apiPath('queues', vhost), { query: { columns: 'name' } });
  return queues.filter((queue) => !broker.scope.queueAllowed(vhost, queue.name)).length;
}

/** A vhost about to be deleted: refused while it holds queues the scope hides. */
export async function judgeVhostDeletion(broker: Broker, vhost: string): Promise<string | undefined> {
  const hidden = await hiddenQueuesIn(broker, vhost);
  if (hidden === 0) return undefined;
  return `Vhost ${inQuotes(vhost)} was not deleted: it holds ${plural(hidden, 'queue')} outside ${scopeNote(broker)}, which would be deleted with it, messages and all. A server whose --queues covers every queue in it can delete it.`;
}

/**
 * A vhost's settings about to be set: tracing copies every message of the vhost, those of queues
 * --queues hides too (with --vhosts alone, the vhost and all it carries are in scope).
 */
export function judgeVhostSettings(broker: Broker, vhost: string, settings: Table): string | undefined {
  // The broker reads "true" (a string) as true too.
  const tracing = settings.tracing;
  if (!broker.scope.queues.restricts || tracing === undefined || tracing === false || tracing === 'false') return undefined;
  return `Vhost ${inQuotes(vhost)} was not changed: tracing copies every message published or delivered in it to exchange amq.rabbitmq.trace, those of queues outside this server's scope (${broker.scope.describe()}) too. Leave tracing off; a server without --queues can turn it on.`;
}

/** Permissions grant by pattern: under --queues they reach hidden queues too. */
export function judgePermissions(broker: Broker, what: string): string | undefined {
  if (!broker.scope.queues.restricts) return undefined;
  return `${what}: permissions match queues by pattern, including queues outside ${scopeNote(broker)}, so a server limited by --queues cannot set or delete them. A server without --queues can.`;
}

/** The vhosts a shovel's URI (or list of URIs) connects to, as the broker reads them; `fallback` without one. */
function uriVhosts(uris: unknown, fallback: string): { vhosts: string[] } | { problem: string } {
  const given = [uris].flat().filter((uri): uri is string => typeof uri === 'string');
  if (given.length === 0) return { vhosts: [fallback] };
  const vhosts: string[] = [];
  for (const uri of given) {
    const reading = uriVhost(uri);
    if ('problem' in reading) return reading;
    vhosts.push(reading.vhost);
  }
  return { vhosts: [...new Set(vhosts)] };
}

/**
 * A shovel about to be set (`value`: its settings with both URIs): from an exchange it binds a
 * queue of its own there, which is judged as a binding (a tap); what it delivers is judged as a
 * publish to its destination, with the routing keys the messages keep. A list of URIs is judged
 * for each (the broker picks one).
 */
export async function judgeShovel(broker: Broker, vhost: string, name: string, value: Table): Promise<string | undefined> {
  if (!broker.scope.active) return undefined;
  const lead = `Shovel ${inQuotes(name)} was not set`;
  const sourceExchange = typeof value['src-exchange'] === 'string' ? value['src-exchange'] : undefined;
  const sourceKey = typeof value['src-exchange-key'] === 'string' ? value['src-exchange-key'] : '';
  if (sourceExchange !== undefined) {
    const fed = brokerFedRefusal(broker, sourceExchange, '', 'queue');
    if (fed) return fed.replace('Binding not created', lead);
  }
  if (!broker.scope.queues.restricts) return undefined;
  const sources = uriVhosts(value['src-uri'], vhost);
  const destinations = uriVhosts(value['dest-uri'], vhost);
  for (const reading of [sources, destinations])
    if ('problem' in reading) return `${lead}: ${reading.problem}. Give URIs the broker reads one way.`;
  let carried: MessageSet = ANY_MESSAGE;
  for (const sourceVhost of 'vhosts' in sources ? sources.vhosts : []) {
    if (sourceExchange === undefined) break;
    const source = await VhostTopology.load(broker, sourceVhost);
    const exchange = source.exchange(sourceExchange);
    if (!exchange) continue;
    carried = through(ANY_MESSAGE, source.routingType(exchange), { routing_key: sourceKey, arguments: {} }) ?? ANY_MESSAGE;
    const where = reached(broker, source.tapAt(sourceExchange, carried));
    if (where) {
      return `${lead}: it would bind a queue of its own to exchange ${inQuotes(sourceExchange)} with key ${inQuotes(sourceKey)}, whose messages also reach (or come from) ${where}, and carry a copy of them away. Use a source key no binding to such a queue shares, or a source queue in scope; ${WIDER}.`;
    }
  }
  const reach = await shovelDelivers(broker, vhost, value, carried);
  const where = reached(broker, reach);
  if (!where) return undefined;
  const destinationKey = typeof value['dest-exchange-key'] === 'string' ? value['dest-exchange-key'] : undefined;
  const to =
    typeof value['dest-queue'] === 'string'
      ? `queue ${inQuotes(value['dest-queue'])}`
      : `exchange ${inQuotes(String(value['dest-exchange']))}${destinationKey !== undefined ? ` with key ${inQuotes(destinationKey)}` : ' with the keys the messages keep'}`;
  return `${lead}: what it delivers to ${to} would reach ${where}. Give it a destination that reaches only queues in scope (trace_route shows where a key goes); ${WIDER}.`;
}

/** Where what a shovel delivers goes, in each vhost its destination URIs name. */
async function shovelDelivers(broker: Broker, vhost: string, value: Table, carried: MessageSet): Promise<Reach> {
  const reach = emptyReach();
  const destinations = uriVhosts(value['dest-uri'], vhost);
  if ('problem' in destinations) return { hidden: reach.hidden, unbounded: [destinations.problem] };
  const queue = typeof value['dest-queue'] === 'string' ? value['dest-queue'] : undefined;
  const exchange = typeof value['dest-exchange'] === 'string' ? value['dest-exchange'] : undefined;
  const key = typeof value['dest-exchange-key'] === 'string' ? value['dest-exchange-key'] : undefined;
  for (const destinationVhost of destinations.vhosts) {
    const destination = await VhostTopology.load(broker, destinationVhost);
    // Hidden queues of every vhost count apart: a name may be hidden in two of them.
    const found =
      queue !== undefined
        ? destination.reachFromQueue(queue, carried)
        : exchange !== undefined
          ? destination.reachFromExchange(exchange, key !== undefined ? oneMessage(key) : carried)
          : emptyReach();
    for (const hidden of found.hidden) reach.hidden.add(`${destinationVhost} ${hidden}`);
    merge(reach, { hidden: new Set(), unbounded: found.unbounded });
  }
  return reach;
}

/** A shovel about to be deleted: refused while it moves messages out of, or into, hidden queues (they would stop). */
export async function judgeShovelDeletion(broker: Broker, vhost: string, name: string, value: Table): Promise<string | undefined> {
  if (!broker.scope.queues.restricts) return undefined;
  const reach = await shovelDelivers(broker, vhost, value, ANY_MESSAGE);
  const sources = uriVhosts(value['src-uri'], vhost);
  const sourceQueue = value['src-queue'];
  if (typeof sourceQueue === 'string' && 'vhosts' in sources)
    for (const sourceVhost of sources.vhosts)
      if (!broker.scope.queueAllowed(sourceVhost, sourceQueue)) reach.hidden.add(`source ${sourceVhost} ${sourceQueue}`);
  if (reach.hidden.size === 0) return undefined;
  return `Shovel ${inQuotes(name)} was not deleted: it moves messages out of or into ${plural(reach.hidden.size, 'queue')} outside ${scopeNote(broker)}, which would stop. ${WIDER_SENTENCE}`;
}

/** A federation upstream takes effect through policies, whose patterns match hidden queues (a policy using the set 'all' takes a new one at once). */
export function judgeFederationUpstream(broker: Broker, what: string): string | undefined {
  if (!broker.scope.queues.restricts) return undefined;
  return `${what}: an upstream is used by the policies that name it (or the set 'all'), whose patterns match queues and exchanges outside ${scopeNote(broker)}, so a server limited by --queues cannot set or delete one. A server without --queues can.`;
}

/**
 * Messages put straight into queue `name` (moved there, replayed to it): refused when its dead
 * letters (rejected, expired, over a limit) could reach hidden queues.
 */
export async function judgeDeliveryInto(
  broker: Broker,
  vhost: string,
  name: string,
  topology?: VhostTopology,
): Promise<string | undefined> {
  if (!broker.scope.queues.restricts) return undefined;
  const whole = topology ?? (await VhostTopology.load(broker, vhost));
  const where = reached(broker, whole.reachFromExchange('', oneMessage(name)));
  if (!where) return undefined;
  return `queue ${inQuotes(name)} dead-letters (messages rejected, expired, or over a length or delivery limit) into ${where}, so what is put there could end up in them. Choose a queue whose dead letters stay in scope; ${WIDER}`;
}

/** The hidden queues messages published with these routing keys (the key, then CC and BCC) and headers could reach, dead letters included. */
export function judgeMessages(whole: VhostTopology, exchange: string, keys: readonly string[], headers: Table): Reach {
  const reach = emptyReach();
  for (const key of keys) merge(reach, whole.reachFromExchange(exchange, oneMessage(key, headers, keys)));
  return reach;
}

/** What judgeDefinitions found: a refusal under the scope, and what the import would remove (for the preview and the level). */
export interface DefinitionsJudgement {
  refusal?: string;
  removes: string[];
}

type Item = Record<string, unknown>;

function itemsOf(document: Item, key: string): Item[] {
  const items = document[key];
  return Array.isArray(items) ? items.filter((item): item is Item => !!item && typeof item === 'object') : [];
}

/**
 * A definitions document about to be imported (POST /api/definitions, or …/{vhost} when `target`
 * is given), judged as each of its objects would be on its own: a policy as by set_configuration
 * (refused under --queues, since its pattern matches hidden queues; destructive by its keys), a
 * vhost with tracing, queues' dead letters, exchanges' alternates, bindings (taps and routes into
 * hidden queues, judged with the document's own exchanges and bindings in place), shovels. Also
 * for the escape hatch's POST of the same document.
 */
export async function judgeDefinitions(broker: Broker, document: Item, target: string | undefined): Promise<DefinitionsJudgement> {
  const scope = broker.scope;
  const removes: string[] = [];
  const vhostOf = (item: Item) => target ?? (typeof item.vhost === 'string' ? item.vhost : undefined);
  const policies = [...itemsOf(document, 'policies'), ...itemsOf(document, 'operator_policies')];
  if (policies.length > 0 && scope.queues.restricts) {
    return {
      refusal: `The document holds ${policies.length === 1 ? '1 policy' : `${policies.length} policies`}: policies match queues by pattern, including queues outside ${scopeNote(broker)}, so a server limited by --queues cannot import them (set_configuration refuses them too). Import the document without its policies, or use a server without --queues.`,
      removes,
    };
  }
  for (const policy of policies) {
    const vhost = vhostOf(policy);
    const definition = (policy.definition ?? {}) as Table;
    const keys = removingPolicyKeys(definition, typeof policy['apply-to'] === 'string' ? policy['apply-to'] : undefined);
    if (vhost === undefined || keys.length === 0 || typeof policy.pattern !== 'string') continue;
    const impact = await policyImpact(broker, vhost, {
      pattern: policy.pattern,
      'apply-to': typeof policy['apply-to'] === 'string' ? policy['apply-to'] : undefined,
      definition,
    });
    removes.push(`policy ${inQuotes(String(policy.name))} in vhost ${inQuotes(vhost)} sets ${keys.join(', ')}: ${impact}`);
  }
  for (const parameter of itemsOf(document, 'parameters')) {
    if (parameter.component !== 'shovel') continue;
    const taken = shovelRemoves((parameter.value ?? {}) as Table);
    if (taken) removes.push(`shovel ${inQuotes(String(parameter.name))} ${taken}`);
  }
  if (!scope.active) return { removes };

  // A vhost-level import ignores vhosts, users and permissions.
  if (target === undefined) {
    for (const vhost of itemsOf(document, 'vhosts')) {
      const refusal = judgeVhostSettings(broker, String(vhost.name), vhost);
      if (refusal) return { refusal: refusal.replace('was not changed', 'was not imported'), removes };
    }
    const permissions = itemsOf(document, 'permissions').length + itemsOf(document, 'topic_permissions').length;
    const refusal = permissions > 0 ? judgePermissions(broker, 'The document was not imported') : undefined;
    if (refusal) return { refusal, removes };
  }

  const vhosts = new Set<string>();
  for (const key of ['queues', 'exchanges', 'bindings', 'parameters'])
    for (const item of itemsOf(document, key)) {
      const vhost = vhostOf(item);
      if (vhost !== undefined) vhosts.add(vhost);
    }
  for (const vhost of vhosts) {
    const mine = (key: string) => itemsOf(document, key).filter((item) => vhostOf(item) === vhost);
    const bindings = mine('bindings').map((item) => ({
      source: String(item.source),
      destination: String(item.destination),
      destination_type: item.destination_type === 'exchange' ? ('exchange' as const) : ('queue' as const),
      routing_key: typeof item.routing_key === 'string' ? item.routing_key : '',
      arguments: (item.arguments ?? {}) as Table,
    }));
    for (const binding of bindings) {
      const fed = brokerFedRefusal(broker, binding.source, binding.destination, binding.destination_type);
      if (fed) return { refusal: fed, removes };
    }
    for (const parameter of mine('parameters')) {
      if (parameter.component !== 'shovel') continue;
      const refusal = await judgeShovel(broker, vhost, String(parameter.name), (parameter.value ?? {}) as Table);
      if (refusal) return { refusal, removes };
    }
    if (!scope.queues.restricts) continue;
    const queues: QueueFacts[] = mine('queues').map((item) => ({
      name: String(item.name),
      arguments: (item.arguments ?? {}) as Table,
      type:
        typeof (item.arguments as Table | undefined)?.['x-queue-type'] === 'string'
          ? String((item.arguments as Table)['x-queue-type'])
          : undefined,
    }));
    const exchanges: ExchangeFacts[] = mine('exchanges').map((item) => ({
      name: String(item.name),
      type: String(item.type),
      arguments: (item.arguments ?? {}) as Table,
    }));
    // Judged with everything the document adds in place, so that its objects are judged together.
    const whole = (await VhostTopology.load(broker, vhost)).with({ queues, exchanges, bindings });
    for (const queue of queues) {
      const refusal = await judgeNewQueue(broker, vhost, queue.name, queue.arguments ?? {}, whole);
      if (refusal) return { refusal, removes };
    }
    for (const exchange of exchanges) {
      const refusal = await judgeNewExchange(broker, vhost, exchange.name, exchange.type, exchange.arguments ?? {}, whole);
      if (refusal) return { refusal, removes };
    }
    for (const binding of bindings) {
      const refusal = await judgeNewBinding(broker, vhost, binding, whole);
      if (refusal) return { refusal, removes };
    }
  }
  return { removes };
}
