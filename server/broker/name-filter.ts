import { BrokerError } from './broker-errors.js';

type Re2 = typeof import('re2js').RE2JS;
let re2: Promise<Re2> | undefined;
/** RE2 loads on the first filter: a server that is never given one does not parse it at start. */
function loadRe2(): Promise<Re2> {
  re2 ??= import('re2js').then((module) => module.RE2JS);
  return re2;
}

/**
 * A name filter a caller supplies (list_queues, list_connections…): a regular expression matched
 * here, with RE2, over names the server fetched itself. It never reaches the broker, whose engine
 * (Erlang's PCRE) backtracks: a filter like (a?){20}a{20}$ cost it seconds of CPU per call. RE2
 * runs in time linear in the names; matching yields to other calls as it goes and stops at a time
 * budget, so one costly filter over many long names cannot freeze the server either.
 */

export const MAX_FILTER_LENGTH = 200;

/** How long one call may spend matching names before it is stopped (CPU time here, not the broker's). */
export const MATCH_BUDGET_MS = 2_000;

/** Matching hands the event loop back this often, so other calls and the liveness probe go on. */
const SLICE_MS = 20;

export interface NameFilter {
  readonly source: string;
  test(name: string): boolean;
}

/** What is wrong with a filter, in words the caller can act on, or undefined when it is usable. */
export async function filterProblem(pattern: string): Promise<string | undefined> {
  if (pattern.length > MAX_FILTER_LENGTH) return `filter is longer than ${MAX_FILTER_LENGTH} characters; shorten it`;
  const RE2JS = await loadRe2();
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, '');
    return `filter is not a valid regular expression: ${reason} (RE2 syntax: no back-references or lookaround)`;
  }
  return undefined;
}

/**
 * A filter matched in linear time, case-insensitively when `caseless` (as RabbitMQ's own name
 * filter was, which list_queues and list_exchanges keep). Throws with filterProblem's words when the
 * pattern is unusable.
 */
export async function compileNameFilter(pattern: string, options: { caseless?: boolean } = {}): Promise<NameFilter> {
  const problem = await filterProblem(pattern);
  if (problem) throw new BrokerError('invalid', problem);
  const RE2JS = await loadRe2();
  const compiled = RE2JS.compile(pattern, options.caseless ? RE2JS.CASE_INSENSITIVE : 0);
  return { source: pattern, test: (name) => compiled.test(name) };
}

/** A case-insensitive substring, as the management API matches `name` without use_regex. */
export function substringFilter(text: string): NameFilter {
  const lower = text.toLowerCase();
  return { source: text, test: (name) => name.toLowerCase().includes(lower) };
}

/**
 * The items with a name the filter matches (any of `names(item)`), in their order. Hands the event
 * loop back every few milliseconds and gives up, with what to do instead, once the matching has
 * taken MATCH_BUDGET_MS: RE2 is linear, but a large automaton over tens of thousands of long names
 * still adds up.
 */
export async function matchingItems<T>(
  items: readonly T[],
  filter: NameFilter,
  names: (item: T) => readonly (string | undefined)[],
): Promise<T[]> {
  const matching: T[] = [];
  let spent = 0;
  let sliceStart = performance.now();
  for (const [index, item] of items.entries()) {
    if (names(item).some((name) => name !== undefined && filter.test(name))) matching.push(item);
    const now = performance.now();
    if (now - sliceStart < SLICE_MS) continue;
    spent += now - sliceStart;
    if (spent >= MATCH_BUDGET_MS) {
      throw new BrokerError(
        'invalid',
        `filter /${filter.source}/ was stopped after matching ${index + 1} of ${items.length} names for ${MATCH_BUDGET_MS / 1000} s; use a simpler one (a substring like "orders" works too)`,
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
  }
  return matching;
}

/**
 * Whether a broker policy's pattern may match a name, for what the server judges (a delivery limit,
 * what a policy would drop). RabbitMQ's patterns are PCRE; RE2 matches in linear time, and a
 * pattern it cannot compile counts as matching, so the judgement errs toward caution. Compiled
 * once, for as many names as there are.
 */
export async function policyPatternMatcher(pattern: string): Promise<(name: string) => boolean> {
  const RE2JS = await loadRe2();
  try {
    const compiled = RE2JS.compile(pattern);
    return (name) => compiled.test(name);
  } catch {
    return () => true;
  }
}
