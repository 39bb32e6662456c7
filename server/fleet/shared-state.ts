/**
 * What the instances of one fleet share (MCP_REDIS_URL), as the rest of the server sees it. The
 * Redis client itself (redis-state.ts) loads only where a URL is configured.
 */

import type { Logger } from '../logging/logger.js';

/** Redis did not answer: the caller refuses what it cannot do safely without it. */
export class SharedStateUnavailable extends Error {}

export interface SharedState {
  /**
   * Claims `key` for `ttlMs`, atomically across every instance that shares the store: true the
   * first time, false while the claim lives. Throws SharedStateUnavailable when Redis cannot
   * answer (never waits for it to come back).
   */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Whether the connection is up now (for /mcp/health). */
  connected(): boolean;
  close(): Promise<void>;
}

/** The password in a Redis URL, for the log scrubber (as typed and as decoded). */
export function redisSecrets(url: string | undefined): string[] {
  if (url === undefined) return [];
  const { password } = new URL(url);
  return password === '' ? [] : [password, decodeURIComponent(password)];
}

/** The fleet's store when MCP_REDIS_URL is set (connecting in the background), else undefined. */
export async function openSharedState(url: string | undefined, logger: Logger): Promise<SharedState | undefined> {
  if (url === undefined) return undefined;
  const { connectSharedState } = await import('./redis-state.js');
  return connectSharedState(url, logger);
}
