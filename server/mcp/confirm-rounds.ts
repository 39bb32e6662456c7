import { randomBytes } from 'node:crypto';
import { type RequestStateCodec, createRequestStateCodec } from '@modelcontextprotocol/server';
import type { SharedState } from '../fleet/shared-state.js';
import { HANDLE_TTL_MS, type Previewed } from './confirmations.js';

/**
 * What a 2026-07-28 confirmation carries between its rounds (the requestState, signed): the
 * call, the broker and the preview the person was shown, and a nonce that confirms once.
 */
export interface ConfirmRound extends Previewed {
  nonce: string;
}

/** The codec of one fleet: every instance given the same key verifies every other's rounds. */
export interface ConfirmRounds {
  codec: RequestStateCodec<ConfirmRound>;
  /**
   * Marks a round's nonce used; false when it was used already (a replay): on any instance of the
   * fleet when they share Redis, else on this one. Throws SharedStateUnavailable when Redis is
   * configured and does not answer.
   */
  use(nonce: string): Promise<boolean>;
  newNonce(): string;
}

/**
 * The signer for multi round-trip confirmations: HMAC-SHA256 with `key` (MCP_REQUEST_STATE_KEY,
 * at least 32 bytes; a random key per process when none is given, which holds only while one
 * process serves every round). A round lives as long as a dry run's handle. Its nonce is claimed
 * in `shared` (Redis, MCP_REDIS_URL) where instances share one, so a state confirms one call in
 * the whole fleet; without it, in this process's memory.
 */
export function confirmRounds(key: string | undefined, shared?: SharedState): ConfirmRounds {
  const codec = createRequestStateCodec<ConfirmRound>({
    key: key ?? randomBytes(32),
    ttlSeconds: HANDLE_TTL_MS / 1000,
    // Bound to the method: a state minted for tools/call cannot be echoed into another request.
    bind: (ctx) => ctx.mcpReq.method,
  });
  const used = new Map<string, number>();
  return {
    codec,
    newNonce: () => randomBytes(12).toString('base64url'),
    async use(nonce) {
      if (shared) return shared.claimOnce(`confirmed:${nonce}`, HANDLE_TTL_MS);
      const now = Date.now();
      for (const [seen, at] of used) if (now - at > HANDLE_TTL_MS) used.delete(seen);
      if (used.has(nonce)) return false;
      used.set(nonce, now);
      return true;
    },
  };
}
