export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1: the fraction of each delay that is randomized, so many clients do not retry in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, jitter: 0.2 };

/** Delay before retry number `attempt` (1-based): exponential, capped, with jitter under the cap. */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const exponential = options.initialMs * 2 ** Math.max(0, attempt - 1);
  const base = Math.min(exponential, options.maxMs);
  const spread = base * options.jitter;
  return Math.round(base - spread + random() * spread);
}
