import { accessSync, constants, statSync } from 'node:fs';

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

export const hostname: Parser<string> = (raw) => {
  const trimmed = raw.trim();
  if (trimmed === '' || /[\s/@]/.test(trimmed)) {
    throw new InvalidValue('expected a host name or IP address (no scheme, path or credentials)');
  }
  return trimmed;
};
