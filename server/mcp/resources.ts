import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { Server } from '@modelcontextprotocol/server';
import { BrokerError } from '../broker/broker-errors.js';
import { explainBrokerError } from './broker-advice.js';
import type { Broker } from '../broker/broker.js';
import type { Scrubber } from '../logging/secret-scrubber.js';
import { vhostDefinitionsJson } from '../tools/definitions/definitions-tools.js';
import { overviewText } from '../tools/health.js';
import { queueDetail } from '../tools/queues.js';
import { vhostTopology } from './topology-diagram.js';

export const OVERVIEW_URI = 'rabbitmq://overview';
const QUEUE_TEMPLATE = 'rabbitmq://vhosts/{vhost}/queues/{queue}';
const TOPOLOGY_TEMPLATE = 'rabbitmq://vhosts/{vhost}/topology';
const DEFINITIONS_TEMPLATE = 'rabbitmq://vhosts/{vhost}/definitions';
/** The MCP error code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;
const QUEUE_URI = /^rabbitmq:\/\/vhosts\/([^/]+)\/queues\/([^/]+)$/;
const TOPOLOGY_URI = /^rabbitmq:\/\/vhosts\/([^/]+)\/topology$/;
const DEFINITIONS_URI = /^rabbitmq:\/\/vhosts\/([^/]+)\/definitions$/;

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `"${part}" is not a valid URI component`);
  }
}

/** Read-only views of the broker as MCP resources; vhost and queue names are URL-encoded in URIs. */
export function registerResources(server: Server, broker: Broker, scrub: Scrubber): void {
  server.setRequestHandler('resources/list', () => ({
    resources: [
      {
        uri: OVERVIEW_URI,
        name: 'broker-overview',
        title: 'Broker overview',
        description: 'Version, totals, message rates, alarms and listeners of the broker.',
        mimeType: 'text/plain',
      },
    ],
  }));

  server.setRequestHandler('resources/templates/list', () => ({
    resourceTemplates: [
      {
        uriTemplate: QUEUE_TEMPLATE,
        name: 'queue',
        title: 'Queue',
        description: 'One queue in detail: arguments, policy, counts, rates, consumers, bindings. Names are URL-encoded (vhost / is %2F).',
        mimeType: 'text/plain',
      },
      {
        uriTemplate: TOPOLOGY_TEMPLATE,
        name: 'topology',
        title: 'Vhost topology',
        description: 'Exchanges, queues and bindings of a vhost as a Mermaid flowchart.',
        mimeType: 'text/vnd.mermaid',
      },
      {
        uriTemplate: DEFINITIONS_TEMPLATE,
        name: 'definitions',
        title: 'Vhost definitions',
        description: 'Queues, exchanges, bindings, policies and parameters of a vhost as a definitions JSON document, credentials masked.',
        mimeType: 'application/json',
      },
    ],
  }));

  server.setRequestHandler('resources/read', async (request) => {
    const { uri } = request.params;
    let text: string;
    let mimeType = 'text/plain';
    try {
      const queue = QUEUE_URI.exec(uri);
      const topology = TOPOLOGY_URI.exec(uri);
      const definitions = DEFINITIONS_URI.exec(uri);
      if (uri === OVERVIEW_URI) text = await overviewText(broker);
      else if (queue) text = await queueDetail(broker, decode(queue[1] as string), decode(queue[2] as string));
      else if (topology) {
        text = await vhostTopology(broker, decode(topology[1] as string));
        mimeType = 'text/vnd.mermaid';
      } else if (definitions) {
        text = await vhostDefinitionsJson(broker, decode(definitions[1] as string));
        mimeType = 'application/json';
      } else
        throw new ProtocolError(
          RESOURCE_NOT_FOUND,
          `Unknown resource ${uri}; resources/list and resources/templates/list show what exists`,
        );
    } catch (error) {
      if (error instanceof BrokerError)
        throw new ProtocolError(
          error.code === 'not_found' ? RESOURCE_NOT_FOUND : ProtocolErrorCode.InternalError,
          scrub(explainBrokerError(error)),
        );
      throw error;
    }
    return { contents: [{ uri, mimeType, text: scrub(text) }] };
  });
}

export { DEFINITIONS_TEMPLATE, QUEUE_TEMPLATE, TOPOLOGY_TEMPLATE };
