import type { Server } from '@modelcontextprotocol/server';
import type { Broker } from '../broker/broker.js';
import { completeQueues, completeVhosts } from './name-completion.js';

const EMPTY = { completion: { values: [], hasMore: false } };

/**
 * Completes `vhost` and `queue` arguments of the resource templates and prompts from the live
 * broker. The queue is completed within the vhost already chosen (else the configured one).
 */
export function registerCompletions(server: Server, broker: Broker): void {
  server.setRequestHandler('completion/complete', async (request) => {
    const { argument, context } = request.params;
    try {
      if (argument.name === 'vhost') return { completion: await completeVhosts(broker, argument.value) };
      if (argument.name === 'queue') {
        const vhost = context?.arguments?.vhost ? decodeURIComponent(context.arguments.vhost) : broker.defaultVhost;
        return { completion: await completeQueues(broker, vhost, argument.value) };
      }
    } catch {
      // An unreachable broker just means no suggestions.
    }
    return EMPTY;
  });
}
