import { z } from 'zod';

/**
 * Structured results (structuredContent) of the tools whose answers a program reads as data: the
 * lists, the problem report and the overview. The model reads the compact text beside them; a
 * client that validates or renders results reads these. Each schema is what the tool's handler
 * returns; with --output-schemas it is also advertised as the tool's outputSchema.
 */

const count = z.number().int();
const perSecond = z.number();

/** The page a list answer covers: page (from 1) of pages, matching items of total. */
const paging = { page: count, pages: count, matching: count, total: count };

export const queueItem = z.object({
  name: z.string(),
  type: z.string(),
  state: z.string().optional(),
  messages: count,
  ready: count,
  unacked: count,
  consumers: count,
  in_per_s: perSecond,
  out_per_s: perSecond,
});

export const queueList = z.object({ vhost: z.string(), ...paging, queues: z.array(queueItem) });

export const exchangeList = z.object({
  vhost: z.string(),
  ...paging,
  exchanges: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      durable: z.boolean(),
      auto_delete: z.boolean(),
      internal: z.boolean(),
      in_per_s: perSecond,
      out_per_s: perSecond,
    }),
  ),
});

export const clientList = z.object({
  vhost: z.string().optional(),
  ...paging,
  connections: z
    .array(
      z.object({
        name: z.string(),
        user: z.string().optional(),
        vhost: z.string().optional(),
        client: z.string(),
        state: z.string().optional(),
        channels: count,
        recv_bytes_per_s: perSecond,
        send_bytes_per_s: perSecond,
      }),
    )
    .optional(),
  channels: z
    .array(
      z.object({
        name: z.string(),
        user: z.string().optional(),
        vhost: z.string().optional(),
        prefetch: count,
        unacked: count,
        consumers: count,
        publish_per_s: perSecond,
        deliver_per_s: perSecond,
      }),
    )
    .optional(),
  consumers: z
    .array(
      z.object({
        queue: z.string(),
        tag: z.string(),
        channel: z.string().optional(),
        user: z.string().optional(),
        prefetch: count,
        manual_ack: z.boolean(),
        active: z.boolean(),
        exclusive: z.boolean(),
      }),
    )
    .optional(),
});

export const problemReport = z.object({
  vhost: z.string(),
  checked: count,
  problems: z.array(
    z.object({
      kind: z.enum(['not_running', 'deep', 'growing', 'no_consumers', 'many_unacked', 'idle']),
      queue: z.string(),
      type: z.string(),
      detail: z.string(),
    }),
  ),
});

export const overview = z.object({
  version: z.string(),
  erlang: z.string(),
  cluster: z.string(),
  nodes_running: count,
  nodes: count,
  nodes_down: z.array(z.string()),
  messages: count,
  ready: count,
  unacked: count,
  objects: z.record(z.string(), count),
  publish_per_s: perSecond,
  deliver_per_s: perSecond,
  alarms: z.array(z.string()),
  /** Read only while a node is down: quorum queues with fewer than a majority of their members running. */
  quorum_queues_without_majority: z.array(
    z.object({ name: z.string(), vhost: z.string(), members: z.array(z.string()), members_down: z.array(z.string()) }),
  ),
});

export type QueueList = z.infer<typeof queueList>;
export type ExchangeList = z.infer<typeof exchangeList>;
export type ClientList = z.infer<typeof clientList>;
export type ProblemReport = z.infer<typeof problemReport>;
export type OverviewData = z.infer<typeof overview>;

/** The paging fields of a list tool's answer about one named object. */
export const ONE_ITEM_PAGE = { page: 1, pages: 1, matching: 1, total: 1 } as const;

/** The paging fields of a structured list, from a page of the management API (or one cut here). */
export function pageFields(page: { page: number; pageCount: number; filteredCount: number; totalCount?: number }) {
  return {
    page: page.page,
    pages: Math.max(page.pageCount, 1),
    matching: page.filteredCount,
    total: page.totalCount ?? page.filteredCount,
  };
}
