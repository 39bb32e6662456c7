/**
 * Missing objects: telling a 404 from other failures, and the answers that say what is missing,
 * where, and which tool shows what exists.
 */
import { BrokerError } from '../broker/broker-errors.js';
import { quoted } from './output.js';
import { inQuotes } from '../broker/one-line.js';

/** What `work` gives, or `fallback` when the broker answers that the object does not exist. */
export async function orIfNotFound<T, F>(work: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof BrokerError && error.code === 'not_found') return fallback;
    throw error;
  }
}

export function vhostNotFound(name: string): string {
  return `vhost ${inQuotes(name)} not found; list_vhosts shows the existing ones`;
}

export function queueNotFound(name: string, vhost: string): string {
  return `queue ${inQuotes(name)} not found in vhost ${inQuotes(vhost)}; list_queues shows what exists`;
}

export function exchangeNotFound(name: string, vhost: string): string {
  return `exchange ${quoted(name)} not found in vhost ${inQuotes(vhost)}; list_exchanges shows what exists`;
}
