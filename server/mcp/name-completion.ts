import type { Broker } from '../broker/broker.js';
import { apiPath } from '../broker/management-client.js';

const LIMIT = 100;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Vhost names starting with `prefix`, for completion/complete. */
export async function completeVhosts(broker: Broker, prefix: string): Promise<{ values: string[]; hasMore: boolean }> {
  const vhosts = await broker.management.get<{ name: string }[]>(apiPath('vhosts'), { query: { columns: 'name' } });
  const matching = vhosts.map((vhost) => vhost.name).filter((name) => name.startsWith(prefix));
  return { values: matching.slice(0, LIMIT), hasMore: matching.length > LIMIT };
}

/** Queue names in a vhost starting with `prefix`, filtered and capped by the broker. */
export async function completeQueues(broker: Broker, vhost: string, prefix: string): Promise<{ values: string[]; hasMore: boolean }> {
  const page = await broker.management.getPage<{ name: string }>(apiPath('queues', vhost), {
    page: 1,
    pageSize: LIMIT,
    name: prefix ? `^${escapeRegex(prefix)}` : undefined,
    useRegex: true,
    sort: 'name',
    columns: ['name'],
  });
  return { values: page.items.map((queue) => queue.name), hasMore: page.filteredCount > page.items.length };
}
