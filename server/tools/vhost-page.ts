import type { Broker } from '../broker/broker.js';
import { type Page, type PageQuery, apiPath } from '../broker/management-client.js';
import { vhostNotFound } from './not-found.js';
import { DEFAULT_PAGE_SIZE } from './schemas.js';

/** The list arguments every vhost listing takes (`paging` and `nameFilter` in schemas.ts). */
interface ListArguments {
  page?: number;
  page_size?: number;
  filter?: string;
}

/**
 * One page of a vhost's queues or exchanges for list_queues and list_exchanges: the caller's page
 * and page size, and its filter as a regular expression (checked already), matched by the server
 * case-insensitively as the broker's own filter was, counted and paged after the scope.
 */
export function pageOfVhost<T>(
  broker: Broker,
  resource: 'queues' | 'exchanges',
  vhostName: string,
  args: ListArguments,
  order: Pick<PageQuery, 'sort' | 'sortReverse' | 'columns'>,
): Promise<Page<T>> {
  return broker.management.getPage<T>(
    apiPath(resource, vhostName),
    { page: args.page, pageSize: args.page_size ?? DEFAULT_PAGE_SIZE, name: args.filter, useRegex: true, ...order },
    { notFound: vhostNotFound(vhostName) },
  );
}
