import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** The proxies whose X-Forwarded-For header is believed. */
export function trustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the peer, or, when the peer is a trusted proxy, the right-most address
 * in X-Forwarded-For that is not itself a trusted proxy. Anyone else's X-Forwarded-For is ignored,
 * so a client cannot pick its own rate-limit bucket.
 */
export function clientAddress(request: IncomingMessage, proxies: BlockList): string {
  let address = normalize(request.socket.remoteAddress ?? 'unknown');
  if (!isTrusted(proxies, address)) return address;
  const header = request.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => normalize(hop.trim()))
    .filter(Boolean);
  for (let index = hops.length - 1; index >= 0; index--) {
    address = hops[index] as string;
    if (!isTrusted(proxies, address)) return address;
  }
  return address;
}

function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/**
 * Checks a bearer token in constant time against every accepted token (their digests taken
 * once) and says which one it was ("token#1"), never the token itself; null when missing or wrong.
 */
export function tokenChecker(
  tokens: readonly string[],
): (authorization: string | undefined) => { client: string | null; presented: boolean } {
  const accepted = tokens.map(digest);
  return (authorization) => {
    const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    if (!match) return { client: null, presented: false };
    const presented = digest((match[1] as string).trim());
    let found: string | null = null;
    accepted.forEach((token, index) => {
      if (timingSafeEqual(presented, token) && found === null) found = `token#${index + 1}`;
    });
    return { client: found, presented: true };
  };
}
