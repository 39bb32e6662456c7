/**
 * What never leaves the server: users' password hashes, and credentials inside broker
 * configuration (passwords in AMQP URIs of shovels and federation upstreams, values under
 * secret-looking keys). Applied to every answer that shows configuration, and to exports.
 */

/** What stands where a credential was; an import still holding it would store it literally. */
export const MASK = '***';

const HIDDEN_KEYS = new Set(['password_hash', 'hashing_algorithm', 'password']);
const SECRET_KEY = /password|passwd|secret|token|credential|api[-_]?key|private[-_]?key/i;
/** A URI's start and its user name: the password, if any, follows the colon. */
const URI_USER = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*:/gi;
/** An @ that a host name follows, then the end of the host: where user info ends. */
const HOST_AFTER_AT = /@(?=[a-z0-9.\-[\]:%_]+(?:[/?#\s"',;|)\]]|$))/gi;
const QUERY_SECRET = /([?&][^=&#]*(?:password|passwd|secret|token|credential)[^=&#]*=)[^&#]*/gi;

/** "amqp://user:secret@host/vhost?password=x" → "amqp://user:***@host/vhost?password=***". */
export function maskUri(text: string): string {
  // Each URI's password runs to the last @ before the next URI that a host follows, so a password
  // holding @, spaces or tabs is masked whole; when in doubt, more is masked, never less.
  const starts = [...text.matchAll(URI_USER)];
  if (starts.length === 0) return text.replace(QUERY_SECRET, `$1${MASK}`);
  let masked = '';
  let from = 0;
  for (const [index, start] of starts.entries()) {
    const passwordAt = (start.index ?? 0) + start[0].length;
    if (passwordAt < from) continue;
    const end = starts[index + 1]?.index ?? text.length;
    const ats = [...text.slice(passwordAt, end).matchAll(HOST_AFTER_AT)];
    const at = ats.at(-1);
    if (at?.index === undefined) continue;
    masked += `${text.slice(from, passwordAt)}${MASK}`;
    from = passwordAt + at.index;
  }
  return `${masked}${text.slice(from)}`.replace(QUERY_SECRET, `$1${MASK}`);
}

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
