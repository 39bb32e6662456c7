import { BrokerError } from './broker-errors.js';
import { type NameFilter, matchingItems } from './name-filter.js';

/**
 * Paging and filtering of the management API's lists done here, after the scope is applied, so
 * that no page, count or "past the last page" answer depends on what the scope hides, and no
 * caller's filter reaches the broker. The broker is only asked for its own pages, in its own
 * order (500 objects each, the largest it serves): first with the columns the caller wants, then,
 * when the list is longer, only the columns that identify an object and that the scope judges.
 */

/** The largest page the management API serves, and the size of every page walked here. */
export const WALK_PAGE_SIZE = 500;

/** How many objects one call looks at; past that the answer says it covers only those. */
export const MAX_WALKED = 20_000;

export interface ListQuery {
  page: number;
  pageSize: number;
  /** Names to keep, matched here. */
  filter?: NameFilter;
  /** A field (dotted paths allowed) to sort by, instead of the broker's order. */
  sort?: string;
  sortReverse?: boolean;
  /** Fields to keep of each item; undefined keeps whole objects. */
  columns?: readonly string[];
}

export interface ListPage<T> {
  items: T[];
  page: number;
  pageCount: number;
  pageSize: number;
  filteredCount: number;
  totalCount: number;
  /** Set when the walk stopped at MAX_WALKED objects: what is counted and paged is only those. */
  walkedOnly?: number;
}

/** One of the broker's pages of a list, everything on it (hidden objects too), in its default order. */
export type BrokerPageSource<T> = (page: number, columns: readonly string[] | undefined) => Promise<{ items: T[]; pageCount: number }>;

/** The columns that tell the objects of a list apart, and that the scope judges them by. */
export function keyColumns(resource: string): readonly string[] {
  return resource === 'bindings'
    ? ['vhost', 'source', 'destination', 'destination_type', 'routing_key', 'properties_key']
    : ['vhost', 'name'];
}

/** The value at a dotted path ("message_stats.publish_details.rate"), as the broker sorts by it. */
function valueAt(item: unknown, path: string): unknown {
  let value: unknown = item;
  for (const key of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** The broker's order for sort values: nothing counts as 0, numbers before text, text by its bytes. */
function compareValues(a: unknown, b: unknown): number {
  const [x, y] = [a ?? 0, b ?? 0];
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'number') return -1;
  if (typeof y === 'number') return 1;
  return Buffer.compare(Buffer.from(String(x)), Buffer.from(String(y)));
}

/**
 * A page of a list as the scope shows it: the broker's pages are walked (at most MAX_WALKED
 * objects), `visible` drops what the scope hides, the filter and sort apply to what is left, and the
 * page is cut from that. Items of the page that were walked without the columns asked for are
 * fetched again with them, from the broker pages they were on.
 */
export async function pageOfVisible<T>(
  fetchPage: BrokerPageSource<T>,
  resource: string,
  query: ListQuery,
  visible: (items: T[]) => T[],
): Promise<ListPage<T>> {
  const keys = keyColumns(resource);
  const identity = (item: T) => JSON.stringify(keys.map((key) => valueAt(item, key) ?? null));
  const walkColumns = [...new Set([...keys, ...(query.sort ? [query.sort] : [])])];
  const detailColumns = query.columns && [...new Set([...query.columns, ...walkColumns])];
  const detailed = (page: number) => page === 1 || (detailColumns !== undefined && detailColumns.every((c) => walkColumns.includes(c)));

  // The first page with every column asked for: a list that fits on it takes one request.
  const first = await fetchPage(1, detailColumns);
  const walked = new Map<string, { item: T; page: number }>();
  for (const item of first.items) walked.set(identity(item), { item, page: 1 });
  let pageCount = first.pageCount;
  let walkedOnly: number | undefined;
  for (let page = 2; page <= pageCount; page++) {
    if (walked.size >= MAX_WALKED) {
      walkedOnly = walked.size;
      break;
    }
    const next = await fetchPage(page, walkColumns);
    pageCount = next.pageCount;
    // Objects created or deleted meanwhile shift the pages: one seen twice is kept once.
    for (const item of next.items) if (!walked.has(identity(item))) walked.set(identity(item), { item, page });
  }

  const shownItems = new Set(visible([...walked.values()].map((entry) => entry.item)));
  const shown = [...walked.values()].filter((entry) => shownItems.has(entry.item));
  const matching = query.filter
    ? await matchingItems(shown, query.filter, (entry) => [valueAt(entry.item, 'name') as string | undefined])
    : shown;
  const sortKey = query.sort;
  if (sortKey !== undefined) {
    const direction = query.sortReverse ? -1 : 1;
    matching.sort((a, b) => direction * compareValues(valueAt(a.item, sortKey), valueAt(b.item, sortKey)));
  }
  const pages = Math.max(1, Math.ceil(matching.length / query.pageSize));
  if (query.page > pages) throw new BrokerError('invalid', `that page is past the last one (${pages}); start again from page 1`);
  const cut = matching.slice((query.page - 1) * query.pageSize, query.page * query.pageSize);
  return {
    items: await withDetails(cut, fetchPage, detailColumns, detailed, identity),
    page: query.page,
    pageCount: pages,
    pageSize: query.pageSize,
    filteredCount: matching.length,
    totalCount: shown.length,
    ...(walkedOnly !== undefined ? { walkedOnly } : {}),
  };
}

/**
 * The items with the columns asked for. Those walked with fewer columns are fetched again from
 * the broker page they were on; one that moved meanwhile is looked for on the pages either side,
 * and one deleted meanwhile is left out.
 */
async function withDetails<T>(
  entries: readonly { item: T; page: number }[],
  fetchPage: BrokerPageSource<T>,
  columns: readonly string[] | undefined,
  detailed: (page: number) => boolean,
  identity: (item: T) => string,
): Promise<T[]> {
  const found = new Map<string, T>();
  const fetched = new Set<number>();
  const fetchAround = async (pages: readonly number[]) => {
    const wanted = [...new Set(pages)].filter((page) => page >= 1 && !fetched.has(page));
    for (const page of wanted) fetched.add(page);
    const answers = await Promise.all(wanted.map((page) => fetchPage(page, columns)));
    for (const answer of answers) for (const item of answer.items) found.set(identity(item), item);
  };
  const missing = () => entries.filter((entry) => !detailed(entry.page) && !found.has(identity(entry.item)));
  await fetchAround(missing().map((entry) => entry.page));
  await fetchAround(missing().flatMap((entry) => [entry.page - 1, entry.page + 1]));
  return entries.flatMap((entry) => {
    if (detailed(entry.page)) return [entry.item];
    const item = found.get(identity(entry.item));
    return item === undefined ? [] : [item];
  });
}
