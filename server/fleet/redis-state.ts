import { createClient } from 'redis';
import type { Logger } from '../logging/logger.js';
import { type SharedState, SharedStateUnavailable } from './shared-state.js';

/** Keys this server writes, under one prefix so an operator can find (and leave alone) ours. */
const PREFIX = 'rabbitmq-mcp:';
/** How long a command may take before the caller is told Redis did not answer. */
const COMMAND_TIMEOUT_MS = 2_000;
/** Reconnection: 100 ms after the first failure, doubling to at most 5 s, forever. */
const reconnectDelay = (retries: number) => Math.min(100 * 2 ** retries, 5_000);

/** The URL as logs may show it: the password (and a user name) replaced. */
export function redisLocation(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/**
 * A store in Redis through node-redis. It connects in the background and reconnects by itself;
 * while it is down, commands fail at once (no offline queue) so no request waits on Redis, and a
 * command that gets no answer fails after 2 s. The first failure and each recovery are logged once.
 */
export function connectSharedState(url: string, logger: Logger): SharedState {
  const where = redisLocation(url);
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: COMMAND_TIMEOUT_MS, reconnectStrategy: reconnectDelay },
  });
  let up = false;
  let warned = false;
  let closing = false;
  client.on('ready', () => {
    up = true;
    warned = false;
    logger.info({ redis: where }, 'Redis connected: confirmations are shared with every instance that uses it');
  });
  for (const down of ['end', 'reconnecting'] as const)
    client.on(down, () => {
      up = false;
    });
  client.on('error', (error: Error) => {
    up = false;
    if (warned || closing) return;
    warned = true;
    logger.warn(
      { redis: where, err: error.message },
      'Redis is not reachable: confirmations are refused until it is back (reconnecting by itself)',
    );
  });
  client.connect().catch(() => {
    // Reported by the error event above; the reconnection strategy keeps trying.
  });

  return {
    async claimOnce(key, ttlMs) {
      if (!up) throw new SharedStateUnavailable(`Redis at ${where} is not reachable`);
      try {
        const set = await client
          .withCommandOptions({ timeout: COMMAND_TIMEOUT_MS })
          .set(`${PREFIX}${key}`, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } });
        return set === 'OK';
      } catch (error) {
        throw new SharedStateUnavailable(`Redis at ${where} did not answer: ${(error as Error).message}`);
      }
    },
    connected: () => up,
    async close() {
      closing = true;
      // A connected client finishes what it sent; one still reconnecting just stops.
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}
