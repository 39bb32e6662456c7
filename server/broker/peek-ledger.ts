import type { PeekLedgerEntry } from './delivery-limit.js';

/**
 * What this server's own peeks did to each queue whose returns count toward a delivery limit:
 * read against the queue's redelivery statistics, it bounds delivery counts more tightly than the
 * statistics alone, and without waiting for them to catch up with our own last peek.
 */
export class PeekLedger {
  #entries = new Map<string, PeekLedgerEntry>();

  get(vhost: string, queue: string): PeekLedgerEntry | undefined {
    const entry = this.#entries.get(`${vhost}\u0000${queue}`);
    return entry ? { ...entry } : undefined;
  }

  record(vhost: string, queue: string, peek: { baseline: number; published: number; returned: number; redelivered: number }): void {
    const key = `${vhost}\u0000${queue}`;
    const entry = this.#entries.get(key) ?? { baseline: peek.baseline, published: 0, peeks: 0, redelivered: 0, lastReturned: 0 };
    this.#entries.set(key, {
      ...entry,
      published: Math.max(entry.published, peek.published),
      peeks: entry.peeks + 1,
      redelivered: entry.redelivered + peek.redelivered,
      lastReturned: peek.returned,
    });
  }

  /** The queue was deleted, purged or consumed from by us: what we knew of it no longer holds. */
  forget(vhost: string, queue: string): void {
    this.#entries.delete(`${vhost}\u0000${queue}`);
  }
}
