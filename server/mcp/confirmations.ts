import { randomBytes } from 'node:crypto';

/** How long a dry run's handle can confirm its call. */
export const HANDLE_TTL_MS = 5 * 60_000;
/** Open handles kept at most; the oldest go first (a caller cannot grow the server's memory with dry runs). */
const MAX_OPEN = 1000;

/** What a handle confirms: one call, on one broker, in the state its preview described. */
export interface Previewed {
  tool: string;
  /** The call's arguments without confirm, canonical JSON (keys sorted). */
  args: string;
  /** Which broker the preview was read from: its cluster name and how this server reaches it. */
  broker: string;
  /** The dry run's preview, e.g. "would delete queue 'a' in vhost '/' with 5 ready messages and 0 consumers". */
  preview: string;
}

export type HandleCheck = { ok: true } | { ok: false; why: string };

/** Arguments in one spelling, whatever order the caller wrote them in. */
export function canonicalArguments(args: Record<string, unknown>): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, entry]) => [key, sorted(entry)]),
    );
  };
  const { confirm: _confirm, ...rest } = args;
  return JSON.stringify(sorted(rest));
}

/**
 * Whether the state now is within what the preview said: the same words, objects and names, and
 * no count above the one previewed (fewer messages to purge, bindings to drop or channels to
 * close is within it; more is not). Numbers are compared as they appear, in order.
 */
const COUNT = /(?<![\w.'"-])(\d+)(?![\w.'"-])/;

export function withinPreview(previewed: string, now: string): boolean {
  const before = previewed.split(COUNT);
  const after = now.split(COUNT);
  if (before.length !== after.length) return false;
  // "5 ready messages" and "1 ready message" say the same thing: the plural after a count is not a change.
  const singular = (part: string, index: number) => (index > 0 ? part.replace(/^( [a-z ]*?[a-z]+?)s\b/, '$1') : part);
  return before.every((part, index) =>
    index % 2 === 0 ? singular(part, index) === singular(after[index] as string, index) : Number(after[index]) <= Number(part),
  );
}

/**
 * The handles dry runs hand out. A handle confirms the one call it was issued for, once, within
 * its time, on the broker its preview was read from, while the state stays within what the
 * preview said. Kept in this process: a server that restarts (the desktop app's profile switch
 * starts a new one) knows none of the handles it did not issue, so they are void.
 */
export class ConfirmationHandles {
  readonly #open = new Map<string, Previewed & { expires: number }>();

  constructor(
    readonly ttlMs = HANDLE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  issue(previewed: Previewed): string {
    const time = this.now();
    for (const [handle, entry] of this.#open) if (entry.expires <= time) this.#open.delete(handle);
    while (this.#open.size >= MAX_OPEN) this.#open.delete(this.#open.keys().next().value as string);
    const handle = `c-${randomBytes(9).toString('base64url')}`;
    this.#open.set(handle, { ...previewed, expires: time + this.ttlMs });
    return handle;
  }

  /** Checks a handle against the call as it is now; a handle that fits is used up. */
  check(handle: string, now: Previewed): HandleCheck {
    const entry = this.#open.get(handle);
    if (!entry) {
      return {
        ok: false,
        why: 'this server did not issue that handle, or it was used already: handles are void after a profile switch or a server restart, and each confirms one call',
      };
    }
    if (entry.expires <= this.now()) {
      this.#open.delete(handle);
      return { ok: false, why: `the handle expired (a dry run's handle lasts ${Math.round(this.ttlMs / 60_000)} minutes)` };
    }
    if (entry.tool !== now.tool || entry.args !== now.args) {
      return { ok: false, why: `the handle was issued for another call (${entry.tool} with other arguments)` };
    }
    if (entry.broker !== now.broker) {
      this.#open.delete(handle);
      return { ok: false, why: `the handle was issued on another broker (${entry.broker}; this call reaches ${now.broker})` };
    }
    if (!withinPreview(entry.preview, now.preview)) {
      this.#open.delete(handle);
      return { ok: false, why: `the broker changed since the preview, which said it ${entry.preview}` };
    }
    this.#open.delete(handle);
    return { ok: true };
  }
}
