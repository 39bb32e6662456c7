import type { Broker } from '../broker/broker.js';
import type { Binding } from '../broker/exchange-routing.js';
import { apiPath } from '../broker/management-client.js';

const MAX_EDGES = 200;

function nodeId(kind: 'x' | 'q', name: string): string {
  return `${kind}_${Buffer.from(name).toString('hex').slice(0, 40) || 'default'}`;
}

function label(text: string): string {
  return text.replace(/"/g, '#quot;');
}

/**
 * A Mermaid flowchart of a vhost: exchanges (with their type) on the left, queues on the right,
 * one edge per binding labelled with its key. The default exchange's implicit bindings and
 * RabbitMQ's own amq.* exchanges without bindings are left out: they are noise in a diagram.
 */
export function mermaidTopology(exchanges: readonly { name: string; type: string }[], bindings: readonly Binding[]): string {
  const used = new Set(bindings.map((binding) => binding.source));
  const shown = exchanges.filter((exchange) => exchange.name !== '' && (!exchange.name.startsWith('amq.') || used.has(exchange.name)));
  const queues = [...new Set(bindings.filter((b) => b.destination_type === 'queue' && b.source !== '').map((b) => b.destination))];
  const lines = ['flowchart LR'];
  for (const exchange of shown) lines.push(`  ${nodeId('x', exchange.name)}{{"${label(exchange.name)} (${exchange.type})"}}`);
  for (const queue of queues) lines.push(`  ${nodeId('q', queue)}[("${label(queue)}")]`);
  const edges = bindings.filter((binding) => binding.source !== '');
  for (const binding of edges.slice(0, MAX_EDGES)) {
    const target = nodeId(binding.destination_type === 'queue' ? 'q' : 'x', binding.destination);
    const key = binding.routing_key ? `|"${label(binding.routing_key)}"|` : '';
    lines.push(`  ${nodeId('x', binding.source)} -->${key} ${target}`);
  }
  if (edges.length > MAX_EDGES) lines.push(`  %% ${edges.length - MAX_EDGES} more bindings not drawn`);
  return lines.join('\n');
}

export async function vhostTopology(broker: Broker, vhost: string): Promise<string> {
  const notFound = `vhost '${vhost}' not found`;
  const [exchanges, bindings] = await Promise.all([
    broker.management.get<{ name: string; type: string }[]>(apiPath('exchanges', vhost), { query: { columns: 'name,type' }, notFound }),
    broker.management.get<Binding[]>(apiPath('bindings', vhost), { notFound }),
  ]);
  return mermaidTopology(exchanges, bindings);
}
