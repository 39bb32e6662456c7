import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { Server } from '@modelcontextprotocol/server';
import { BrokerError } from '../broker/broker-errors.js';
import { explainBrokerError } from './broker-advice.js';
import type { Broker } from '../broker/broker.js';
import type { Scrubber } from '../logging/secret-scrubber.js';
import { vhostTopology } from './topology-diagram.js';

interface PromptDefinition {
  name: string;
  title: string;
  description: string;
  arguments: { name: string; description: string; required: boolean }[];
  /** The prompt's lines; `vhost` is the caller's vhost argument, else the server's. */
  render(args: Record<string, string | undefined>, vhost: string, broker: Broker): Promise<string[]>;
}

const vhostArgument = { name: 'vhost', description: 'Virtual host (default: the configured one)', required: false };

/** Conversation starters for the investigations people run most: each says which tools to use, in what order, and what never to do without asking. */
export const prompts: PromptDefinition[] = [
  {
    name: 'dead_letter_triage',
    title: 'Dead-letter triage',
    description: 'Find dead-lettered messages, group them by reason and source, and propose fixes.',
    arguments: [vhostArgument, { name: 'queue', description: 'The dead-letter queue, if known', required: false }],
    async render(args, vhost) {
      const target = args.queue
        ? `the dead-letter queue '${args.queue}'`
        : 'the dead-letter queues (names like *.dlq, *dead*, or targets of x-dead-letter-exchange)';
      return [
        `Triage ${target} in vhost '${vhost}' on this RabbitMQ broker.`,
        '1. Find the queues: list_queues (filter by name), and list_policies with queue=<source queue> for the dead-letter-exchange and limits that send messages there.',
        '2. dead_letter_summary on each dead-letter queue: counts by x-death reason (rejected, expired, maxlen, delivery_limit), source queue and time, without consuming anything.',
        '3. peek_messages (never consume_messages) for a typical example body of each group.',
        '4. Explain the likely cause of each group (consumer rejects, TTL too short, length limit, poison messages) and what to change.',
        '5. Only if I confirm: replay them with move_messages (to_source: true sends each back to the queue it died in; a count limits how many), after the cause is fixed.',
      ];
    },
  },
  {
    name: 'backlog_diagnosis',
    title: 'Why is this queue growing?',
    description: 'Diagnose a growing queue: publish vs consume rates, consumers, prefetch, unacked, alarms.',
    arguments: [vhostArgument, { name: 'queue', description: 'The queue that grows', required: true }],
    async render(args, vhost) {
      return [
        `Queue '${args.queue}' in vhost '${vhost}' keeps growing. Find out why, using read-only tools only:`,
        `1. list_queues with name='${args.queue}': publish and delivery rates, ready vs unacked, consumers and their prefetch; list_policies with queue='${args.queue}' for the limits that apply.`,
        '2. If it has no consumers: list_connections (and show: consumers) to see whether the consuming application is connected at all.',
        '3. If it has consumers but many unacked: list_connections with show: channels for their prefetch and unacked counts (slow or stuck consumers), and whether acks happen (ack rate).',
        '4. get_overview with checks=true for memory or disk alarms that block publishers or slow the node.',
        '5. find_problem_queues for related symptoms elsewhere (a dead-letter loop, an upstream queue backing up).',
        '6. Conclude with the most likely cause, the evidence, and concrete next steps (scale consumers, raise prefetch, fix a failing consumer, add a length limit).',
      ];
    },
  },
  {
    name: 'topology_diagram',
    title: 'Topology diagram',
    description: 'The exchanges, queues and bindings of a vhost as a Mermaid diagram, with an explanation.',
    arguments: [vhostArgument],
    async render(_args, vhost, broker) {
      const diagram = await vhostTopology(broker, vhost);
      return [
        `Here is the current topology of vhost '${vhost}' as a Mermaid flowchart (exchanges as hexagons, queues as cylinders, edges labelled with binding keys):`,
        '',
        '```mermaid',
        diagram,
        '```',
        '',
        'Show the diagram, then explain how messages flow through it: which exchanges fan out, which routing keys reach which queues, and anything suspicious (queues nothing routes to, exchanges without bindings, cycles). trace_route answers "where does key K go" exactly.',
      ];
    },
  },
];

export function registerPrompts(server: Server, broker: Broker, scrub: Scrubber): void {
  server.setRequestHandler('prompts/list', () => ({
    prompts: prompts.map(({ name, title, description, arguments: args }) => ({ name, title, description, arguments: args })),
  }));
  server.setRequestHandler('prompts/get', async (request) => {
    const prompt = prompts.find((candidate) => candidate.name === request.params.name);
    if (!prompt)
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Unknown prompt ${request.params.name}; prompts/list shows the available ones`,
      );
    const args = request.params.arguments ?? {};
    for (const argument of prompt.arguments) {
      if (argument.required && !args[argument.name])
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${prompt.name} needs the argument ${argument.name}`);
    }
    let text: string;
    try {
      text = (await prompt.render(args, args.vhost ?? broker.defaultVhost, broker)).join('\n');
    } catch (error) {
      if (error instanceof BrokerError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, scrub(explainBrokerError(error)));
      throw error;
    }
    return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text: scrub(text) } }] };
  });
}
