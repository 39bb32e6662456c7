/**
 * What never leaves the server: users' password hashes, and credentials inside broker
 * configuration (passwords in AMQP URIs of shovels and federation upstreams, values under
 * secret-looking keys). Applied to every answer that shows configuration, and to exports.
 */
import { MASK, maskUri } from '../broker/amqp-uri.js';

/** What stands where a credential was; an import still holding it would store it literally. */
export { MASK, maskUri };

const HIDDEN_KEYS = new Set(['password_hash', 'hashing_algorithm', 'password']);
const SECRET_KEY = /password|passwd|secret|token|credential|api[-_]?key|private[-_]?key/i;

/** A value with every credential replaced by ***: URI passwords, and values under secret-looking keys. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return SECRET_KEY.test(key) ? MASK : maskUri(value);
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, maskSecrets(inner, name)]));
  }
  return value !== undefined && value !== null && SECRET_KEY.test(key) ? MASK : value;
}

/** A deep copy without password hashes and passwords (the keys are dropped), and with other secrets masked. */
export function withoutCredentials<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => withoutCredentials(item)) as T;
  if (!value || typeof value !== 'object') return maskSecrets(value) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (HIDDEN_KEYS.has(key)) continue;
    out[key] = item && typeof item === 'object' ? withoutCredentials(item) : maskSecrets(item, key);
  }
  return out as T;
}
