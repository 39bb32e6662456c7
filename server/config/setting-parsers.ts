import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { patternProblem } from './name-patterns.js';

/** Thrown by a parser; the message completes "…is not valid: <message>". */
export class InvalidValue extends Error {}

export type Parser<T> = (raw: string) => T;

export const text: Parser<string> = (raw) => raw;

export const nonEmptyText: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new InvalidValue('expected a non-empty value');
  return raw;
};

export function integer(min: number, max: number, what = 'an integer'): Parser<number> {
  return (raw) => {
    const trimmed = raw.trim();
    if (!/^-?\d+$/.test(trimmed)) throw new InvalidValue(`expected ${what} from ${min} to ${max}`);
    const value = Number(trimmed);
    if (value < min || value > max) throw new InvalidValue(`expected ${what} from ${min} to ${max}`);
    return value;
  };
}

export const port = integer(1, 65535, 'a port number');

export function decimal(min: number, max: number, unit: string): Parser<number> {
  return (raw) => {
    const trimmed = raw.trim();
    const value = Number(trimmed);
    if (trimmed === '' || !Number.isFinite(value) || value < min || value > max) {
      throw new InvalidValue(`expected a number of ${unit} from ${min} to ${max}`);
    }
    return value;
  };
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export const boolean: Parser<boolean> = (raw) => {
  const lowered = raw.trim().toLowerCase();
  if (TRUE.has(lowered)) return true;
  if (FALSE.has(lowered)) return false;
  throw new InvalidValue('expected true or false');
};

export function oneOf<const T extends string>(choices: readonly T[], aliases: Record<string, T> = {}): Parser<T> {
  return (raw) => {
    const lowered = raw.trim().toLowerCase();
    const match = choices.find((choice) => choice === lowered) ?? aliases[lowered];
    if (match === undefined) throw new InvalidValue(`expected one of ${choices.join(', ')}`);
    return match;
  };
}

/** A path to a readable regular file; checked at start so a typo fails before any connection. */
export const readableFile: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new InvalidValue('expected a file path');
  try {
    if (!statSync(raw).isFile()) throw new InvalidValue(`${raw} is not a file`);
    accessSync(raw, constants.R_OK);
  } catch (error) {
    if (error instanceof InvalidValue) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code);
    throw new InvalidValue(`cannot read file ${raw} (${reason})`);
  }
  return raw;
};

/** An absolute path; the folder is created at start if it does not exist. */
export const directory: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new InvalidValue('expected a folder path');
  return raw;
};

/** A --vhosts / --queues pattern: a name or glob, ! in front to deny. */
export const scopePattern: Parser<string> = (raw) => {
  const problem = patternProblem(raw);
  if (problem) throw new InvalidValue(problem);
  return raw;
};

export function list<T>(item: Parser<T>): Parser<T[]> {
  return (raw) =>
    raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map(item);
}

/** A browser origin: scheme, host and optional port, nothing else. */
export const origin: Parser<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidValue(`"${raw}" is not an origin like https://app.example.com`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new InvalidValue(`"${raw}" is not an origin like https://app.example.com (scheme, host and port only)`);
  }
  return url.origin;
};

/** An IP address or a CIDR range (10.0.0.0/8, ::1). */
export const addressOrRange: Parser<string> = (raw) => {
  const [address, bits, extra] = raw.split('/');
  const family = isIP(address ?? '');
  const maxBits = family === 6 ? 128 : 32;
  if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
    throw new InvalidValue(`"${raw}" is not an IP address or CIDR range`);
  }
  return raw;
};

export function secretText(minLength: number, hint: string): Parser<string> {
  return (raw) => {
    if (raw.length < minLength) throw new InvalidValue(`expected at least ${minLength} characters (${hint})`);
    return raw;
  };
}

export const url: Parser<string> = (raw) => {
  try {
    const parsed = new URL(raw);
    if (['http:', 'https:'].includes(parsed.protocol)) return raw.replace(/\/+$/, '');
  } catch {
    // fall through
  }
  throw new InvalidValue('expected an http:// or https:// URL');
};

/** A Redis server as node-redis takes it: redis:// or rediss:// (TLS), optional user:password@, host, port, /db. */
export const redisUrl: Parser<string> = (raw) => {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new InvalidValue('expected a URL such as redis://127.0.0.1:6379 (rediss:// for TLS)');
  }
  if (!['redis:', 'rediss:'].includes(parsed.protocol) || parsed.hostname === '') {
    throw new InvalidValue('expected a URL such as redis://127.0.0.1:6379 (rediss:// for TLS)');
  }
  if (!/^\/?(\d+)?$/.test(parsed.pathname) || parsed.search || parsed.hash) {
    throw new InvalidValue('expected nothing after the host but a database number (redis://host:6379/0)');
  }
  return raw.trim();
};

export const hostname: Parser<string> = (raw) => {
  const trimmed = raw.trim();
  if (trimmed === '' || /[\s/@]/.test(trimmed)) {
    throw new InvalidValue('expected a host name or IP address (no scheme, path or credentials)');
  }
  return trimmed;
};
