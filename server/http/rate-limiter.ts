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

  take(client: string): RateDecision {
    if (this.#perMinute <= 0) return { allowed: true };
    const now = this.#now();
    this.#sweep(now);
    const perMs = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(client) ?? { tokens: this.#perMinute, updated: now };
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.updated) * perMs);
    bucket.updated = now;
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    for (const [client, bucket] of this.#buckets) if (now - bucket.updated > 60_000) this.#buckets.delete(client);
  }
}
