interface Bucket {
  tokens: number;
  updated: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Token buckets per client: each holds up to `perMinute` requests and refills continuously, so a
 * client may burst up to its minute's allowance and then gets a steady rate. Idle buckets are
 * forgotten so the map does not grow with every address ever seen.
 */
export class RateLimiter {
  #perMinute: number;
  #now: () => number;
  #buckets = new Map<string, Bucket>();
  #lastSweep: number;

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
    this.#lastSweep = now();
  }

  /** Takes `cost` requests from the client's bucket (a JSON-RPC batch costs one per call), all or none. */
  take(client: string, cost = 1): RateDecision {
    if (this.#perMinute <= 0) return { allowed: true };
    const now = this.#now();
    this.#sweep(now);
    const perMs = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(client) ?? { tokens: this.#perMinute, updated: now };
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.updated) * perMs);
    bucket.updated = now;
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true };
    }
    // A batch larger than a minute's allowance can never pass: say when a full bucket comes back.
    const needed = Math.min(cost, this.#perMinute) - bucket.tokens;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(needed / perMs / 1000)) };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    for (const [client, bucket] of this.#buckets) if (now - bucket.updated > 60_000) this.#buckets.delete(client);
  }
}
