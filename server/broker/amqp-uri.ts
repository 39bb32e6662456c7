import { inQuotes } from './one-line.js';
/**
 * AMQP URIs of shovels and federation upstreams, read the way RabbitMQ reads them
 * (deps/amqp_client/src/uri_parser.erl and amqp_uri.erl, the same from 3.10 to 4.3), so that the
 * vhost judged is the vhost the broker connects to:
 * - the scheme is whatever precedes the first `:`, compared case-insensitively (`AMQP://` is amqp);
 * - after `//`, the authority runs to the first `/`, `?` or `#`, wherever it stands: in
 *   `amqp://host?server_name_indication=/prod` the path is empty and the vhost is the default one;
 * - user info ends at the first `@`, the user and password at the first `:`;
 * - the path is `/` and one vhost, percent-decoded (`/%2Fprod` is `/prod`); an empty path means the
 *   default vhost ('/' for a shovel, the upstream's own vhost for a federation link); another `/`
 *   is refused; `/` alone is the vhost '';
 * - without a host (`amqp://`, `amqp:///prod`) the connection is made inside the broker's own
 *   node; without `//` (`amqp:/prod`) the broker finds no user info and refuses the URI;
 * - query parameters are not decoded, the first of each name counts, and each one the broker reads
 *   is checked as it checks it: heartbeat, connection_timeout, channel_max and frame_max integers;
 *   auth_mechanism names a function the broker calls; amqps adds cacertfile, certfile, keyfile,
 *   verify, fail_if_no_peer_cert, password, server_name_indication and depth.
 * What the broker would refuse, and what it would read differently from a standard URI reader or
 * from one RabbitMQ version to the next, is refused here with what to change.
 */

export interface AmqpUri {
  scheme: 'amqp' | 'amqps';
  /** No host: the connection is made inside the broker's own node. */
  direct: boolean;
  host?: string;
  port?: number;
  username?: string;
  /** The vhost the broker connects to. */
  vhost: string;
  /** The query parameters the broker reads, by name, as it reads them (the first of each). */
  parameters: Record<string, string | number | boolean>;
}

export type UriReading = { uri: AmqpUri } | { problem: string };

/** Fields of the broker's connection records (amqp_params_network, amqp_params_direct): a query may set the integer ones, ignores password, and may set no other. */
const NETWORK_FIELDS = new Set([
  'username',
  'password',
  'virtual_host',
  'host',
  'port',
  'channel_max',
  'frame_max',
  'heartbeat',
  'connection_timeout',
  'ssl_options',
  'auth_mechanisms',
  'client_properties',
  'socket_options',
]);
const DIRECT_FIELDS = new Set(['username', 'password', 'virtual_host', 'node', 'adapter_info', 'client_properties']);
const INTEGER_FIELDS = new Set(['channel_max', 'frame_max', 'heartbeat', 'connection_timeout']);
/** The TLS options amqps reads from the query (build_ssl_broker). */
const TLS_PARAMETERS = new Set([
  'cacertfile',
  'certfile',
  'keyfile',
  'verify',
  'fail_if_no_peer_cert',
  'password',
  'server_name_indication',
  'depth',
]);
/** amqp_auth_mechanisms functions: any other value makes the broker call a function of the caller's choosing. */
const MECHANISMS = new Set(['plain', 'amqplain', 'external']);
/** What RFC 3986 allows in a URI; anything else reads differently from one parser to the next. */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An AMQP URI as RabbitMQ reads it, or why it is refused. `defaultVhost` is where a URI without a
 * path connects: '/' for a shovel, the upstream's own vhost for a federation upstream.
 */
export function parseAmqpUri(text: string, defaultVhost = '/'): UriReading {
  if (!URI_CHARACTERS.test(text)) {
    return {
      problem: 'it has spaces, quotes or characters outside ASCII: percent-encode them (the broker and other readers differ there)',
    };
  }
  const colon = text.indexOf(':');
  if (colon < 0) return { problem: 'it has no scheme: write amqp:// or amqps://' };
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme !== 'amqp' && scheme !== 'amqps') return { problem: `scheme ${inQuotes(text.slice(0, colon))} is not amqp or amqps` };
  const rest = text.slice(colon + 1);
  // Without an authority the broker finds no user info, and fails (amqp_uri:set_user_info).
  if (!rest.startsWith('//')) return { problem: `write ${scheme}:// and a host, or ${scheme}:/// for this broker's own node` };
  const afterSlashes = rest.slice(2);
  const end = afterSlashes.search(/[/?#]/);
  const pathQueryFragment = end < 0 ? '' : afterSlashes.slice(end);
  const authority = parseAuthority(end < 0 ? afterSlashes : afterSlashes.slice(0, end));
  if ('problem' in authority) return authority;
  const hash = pathQueryFragment.indexOf('#');
  const pathQuery = hash < 0 ? pathQueryFragment : pathQueryFragment.slice(0, hash);
  const question = pathQuery.indexOf('?');
  const path = question < 0 ? pathQuery : pathQuery.slice(0, question);
  const query = question < 0 ? '' : pathQuery.slice(question + 1);

  let vhost = defaultVhost;
  if (path !== '') {
    if (!path.startsWith('/')) return { problem: `the path ${inQuotes(path)} does not start with /: write amqp://host/vhost` };
    const name = path.slice(1);
    if (name.includes('/')) return { problem: `the path names more than one segment: percent-encode a / in the vhost name (%2F)` };
    const decoded = percentDecode(name);
    if (typeof decoded !== 'string') return decoded;
    vhost = decoded;
  }
  if (authority.host === undefined && authority.port !== undefined) return { problem: 'it has a port but no host' };
  if (scheme === 'amqps' && authority.host === undefined) return { problem: 'amqps needs a host' };

  const parameters = readQuery(query, scheme, authority.host !== undefined);
  if ('problem' in parameters) return parameters;
  return {
    uri: {
      scheme,
      direct: authority.host === undefined,
      ...(authority.host !== undefined ? { host: authority.host } : {}),
      ...(authority.port !== undefined ? { port: authority.port } : {}),
      ...(authority.username !== undefined ? { username: authority.username } : {}),
      vhost,
      parameters: parameters.parameters,
    },
  };
}

/**
 * The vhost a shovel or federation URI connects to, or why it cannot be told. A federation
 * upstream's URI without a path connects to the upstream's own vhost: pass it as `defaultVhost`.
 */
export function uriVhost(uri: string, defaultVhost = '/'): { vhost: string } | { problem: string } {
  const reading = parseAmqpUri(uri, defaultVhost);
  return 'problem' in reading ? reading : { vhost: reading.uri.vhost };
}

function parseAuthority(text: string): { host?: string; port?: number; username?: string } | { problem: string } {
  const at = text.indexOf('@');
  // RabbitMQ ends user info at the first @, standard readers at the last: with two, they disagree on the host.
  if (at >= 0 && text.indexOf('@', at + 1) >= 0) return { problem: 'its user info holds an @: percent-encode it (%40)' };
  const userInfo = at < 0 ? '' : text.slice(0, at);
  const hostPort = at < 0 ? text : text.slice(at + 1);
  const userParts = userInfo === '' ? [] : userInfo.split(':');
  // The broker keeps what stands between the first and second colon as the password, and drops the rest.
  if (userParts.length > 2) return { problem: "its password holds a ':': percent-encode it (%3A)" };
  let username: string | undefined;
  if (userParts[0] !== undefined) {
    const decoded = percentDecode(userParts[0]);
    if (typeof decoded !== 'string') return decoded;
    username = decoded;
  }
  if (userParts[1] !== undefined) {
    const decoded = percentDecode(userParts[1]);
    if (typeof decoded !== 'string') return { problem: 'its password is not percent-encoded properly: % takes two hex digits (%25 for %)' };
  }
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return { problem: 'an IPv6 host has no closing ]' };
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return { problem: `${inQuotes(after)} after the IPv6 host is not a port` };
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const portColon = hostPort.indexOf(':');
    host = portColon < 0 ? hostPort : hostPort.slice(0, portColon);
    portText = portColon < 0 ? undefined : hostPort.slice(portColon + 1);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) return { problem: `port ${inQuotes(portText)} is not a number` };
    port = Number(portText);
    if (port < 1 || port > 65535) return { problem: `port ${port} is out of range (1 to 65535)` };
  }
  const decodedHost = percentDecode(host);
  if (typeof decodedHost !== 'string') return decodedHost;
  return {
    // An empty host is no host: the broker connects inside its own node.
    ...(decodedHost !== '' ? { host: decodedHost } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(username !== undefined ? { username } : {}),
  };
}

function readQuery(
  query: string,
  scheme: 'amqp' | 'amqps',
  network: boolean,
): { parameters: Record<string, string | number | boolean> } | { problem: string } {
  const parameters: Record<string, string | number | boolean> = {};
  const seen = new Set<string>();
  const fields = network ? NETWORK_FIELDS : DIRECT_FIELDS;
  for (const pair of query === '' ? [] : query.split('&')) {
    const equals = pair.indexOf('=');
    // The broker ignores a name without a value.
    if (equals < 0) continue;
    const name = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    if (name === 'auth_mechanism') {
      // Every one counts, and each names a function the broker calls (Module:Function allowed).
      if (network && !MECHANISMS.has(value)) {
        return { problem: `auth_mechanism ${inQuotes(value)} makes the broker call a function: use plain, amqplain or external` };
      }
      continue;
    }
    // Only the first of each name counts.
    if (seen.has(name)) continue;
    seen.add(name);
    if (scheme === 'amqps' && TLS_PARAMETERS.has(name)) {
      const read = tlsParameter(name, value);
      if (typeof read === 'object') return read;
      parameters[name] = read;
    }
    if (!fields.has(name) || name === 'password') continue;
    if (!INTEGER_FIELDS.has(name)) return { problem: `the broker does not take ${name} in a URI's query` };
    if (!/^[0-9]+$/.test(value)) return { problem: `${name} must be a whole number, not ${inQuotes(value)}` };
    parameters[name] = Number(value);
  }
  return { parameters };
}

function tlsParameter(name: string, value: string): string | number | boolean | { problem: string } {
  switch (name) {
    case 'verify':
      if (value !== 'verify_peer' && value !== 'verify_none')
        return { problem: `verify must be verify_peer or verify_none, not ${inQuotes(value)}` };
      return value;
    case 'fail_if_no_peer_cert':
      if (value !== 'true' && value !== 'false') return { problem: `fail_if_no_peer_cert must be true or false, not ${inQuotes(value)}` };
      return value === 'true';
    case 'depth':
      if (!/^[0-9]+$/.test(value)) return { problem: `depth must be a whole number, not ${inQuotes(value)}` };
      return Number(value);
    default:
      return percentDecode(value);
  }
}

/** %XX to bytes, then UTF-8 (names are UTF-8 binaries); a % without two hex digits is refused. */
function percentDecode(text: string): string | { problem: string } {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (char === '%') {
      const hex = text.slice(index + 1, index + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { problem: `'%${hex}' is not percent-encoding: % takes two hex digits (%25 for %)` };
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else bytes.push(char.charCodeAt(0));
  }
  try {
    return UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return { problem: 'a percent-encoded name is not UTF-8' };
  }
}

/** What stands where a credential was. */
export const MASK = '***';

/** A URI's start and its user name: the password, if any, follows the colon. */
const URI_USER = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*:/gi;
/** An @ that a host name follows, then the end of the host: where user info ends. */
const HOST_AFTER_AT = /@(?=[a-z0-9.\-[\]:%_]+(?:[/?#\s"',;|)\]]|$))/gi;
const QUERY_SECRET = /([?&][^=&#]*(?:password|passwd|secret|token|credential)[^=&#]*=)[^&#]*/gi;
/** The same in a message around the URI: a value ends at a space or quote too. */
const QUERY_SECRET_IN_TEXT = /([?&][^=&#\s"']*(?:password|passwd|secret|token|credential)[^=&#\s"']*=)[^&#\s"']*/gi;

/** Where each URI's password stands in a text: [start, end). */
function passwordSpans(text: string): [number, number][] {
  // Each URI's password runs to the last @ before the next URI that a host follows, so a password
  // holding @, spaces or tabs is masked whole; when in doubt, more is masked, never less.
  const starts = [...text.matchAll(URI_USER)];
  const spans: [number, number][] = [];
  let from = 0;
  for (const [index, start] of starts.entries()) {
    const passwordAt = (start.index ?? 0) + start[0].length;
    if (passwordAt < from) continue;
    const end = starts[index + 1]?.index ?? text.length;
    const at = [...text.slice(passwordAt, end).matchAll(HOST_AFTER_AT)].at(-1);
    if (at?.index === undefined) continue;
    spans.push([passwordAt, passwordAt + at.index]);
    from = passwordAt + at.index;
  }
  return spans;
}

/** "amqp://user:secret@host/vhost?password=x" → "amqp://user:***@host/vhost?password=***". */
export function maskUri(text: string): string {
  return maskPasswords(text).replace(QUERY_SECRET, `$1${MASK}`);
}

function maskPasswords(text: string): string {
  let masked = '';
  let from = 0;
  for (const [start, end] of passwordSpans(text)) {
    masked += `${text.slice(from, start)}${MASK}`;
    from = end;
  }
  return `${masked}${text.slice(from)}`;
}

const SECRET_KEY = /password|passwd|secret|token|credential|api[-_]?key|private[-_]?key/i;

/**
 * Every credential a request body carries, in each form the broker may echo it in: URI passwords
 * and secret query values (as written and decoded), and values under secret-looking keys.
 */
export function credentialsIn(value: unknown, key = ''): string[] {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return [value];
    const passwords = passwordSpans(value).map(([start, end]) => value.slice(start, end));
    return [...passwords, ...[...value.matchAll(QUERY_SECRET)].map((match) => match[0].slice(match[1]?.length ?? 0))];
  }
  if (Array.isArray(value)) return value.flatMap((item) => credentialsIn(item, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([name, inner]) => credentialsIn(inner, name));
  if (typeof value === 'number' && SECRET_KEY.test(key)) return [String(value)];
  return [];
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A broker's message with each of the request's credentials masked, in the forms Erlang prints
 * them: as sent, percent-decoded, escaped (\" and \\, or for HTML), and UTF-8 read as Latin-1.
 */
export function maskCredentials(text: string, credentials: readonly string[]): string {
  const forms = new Set<string>();
  for (const credential of credentials) {
    if (credential.length === 0 || credential === MASK) continue;
    const decoded = percentDecode(credential);
    for (const form of [credential, typeof decoded === 'string' ? decoded : credential, percentEncoded(credential)]) {
      forms.add(form);
      forms.add(form.replace(/[\\"]/g, (char) => `\\${char}`));
      forms.add(Buffer.from(form, 'utf8').toString('latin1'));
      // RabbitMQ 3.x escapes its messages for HTML (& as &amp;).
      forms.add(form.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char));
    }
  }
  let masked = text;
  // Longest first, so that a credential inside another is not left half shown.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) masked = masked.split(form).join(MASK);
  return maskPasswords(masked).replace(QUERY_SECRET_IN_TEXT, `$1${MASK}`);
}

function percentEncoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}
