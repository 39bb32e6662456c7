type Re2 = typeof import('re2js').RE2JS;
let re2: Promise<Re2> | undefined;
/** RE2 loads on the first filter: a server that is never given one does not parse it at start. */
function loadRe2(): Promise<Re2> {
  re2 ??= import('re2js').then((module) => module.RE2JS);
  return re2;
}

/**
 * A name filter a caller supplies (list_queues, list_connections…): a regular expression matched
 * in linear time here (RE2), or sent to the broker (use_regex) only once it cannot make a
 * backtracking engine take exponential time there either. One bad filter must never freeze the
 * server (a shared HTTP server's every client and its liveness probe with it) nor the broker.
 */

export const MAX_FILTER_LENGTH = 200;

export interface NameFilter {
  readonly source: string;
  test(name: string): boolean;
}

/**
 * Nested repetition ((a+)+, (a*)*, (a|aa)+…) is what makes backtracking engines exponential;
 * RabbitMQ matches use_regex filters with Erlang's PCRE, so such filters are refused, with the
 * reason. Returns the problem, or undefined when the pattern is safe for both engines.
 */
function backtrackingHazard(pattern: string): string | undefined {
  // For each open group: whether it holds a quantifier or an alternation.
  const groups: { risky: boolean }[] = [];
  let inClass = false;
  let unbounded = 0;
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string;
    if (char === '\\') {
      if (/[1-9k]/.test(pattern[index + 1] ?? '')) return 'back-references are not supported';
      index++;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') {
      inClass = true;
      continue;
    }
    if (char === '(') {
      if (
        pattern.startsWith('(?=', index) ||
        pattern.startsWith('(?!', index) ||
        pattern.startsWith('(?<=', index) ||
        pattern.startsWith('(?<!', index)
      )
        return 'lookaround ((?=, (?!, (?<=, (?<!) is not supported';
      groups.push({ risky: false });
      continue;
    }
    const next = pattern[index + 1] ?? '';
    const quantifiedNext = next === '*' || next === '+' || next === '?' || next === '{';
    if (char === ')') {
      const group = groups.pop();
      if (group?.risky && quantifiedNext && next !== '?')
        return 'a repeated group that itself repeats or alternates (like (a+)+ or (a|b)*) can take exponential time to match';
      if ((group?.risky || quantifiedNext) && groups.length > 0) (groups.at(-1) as { risky: boolean }).risky = true;
      continue;
    }
    if (char === '|' && groups.length > 0) (groups.at(-1) as { risky: boolean }).risky = true;
    if (char === '*' || char === '+' || (char === '{' && /^\{\d+,\}/.test(pattern.slice(index)))) unbounded++;
    if ((char === '*' || char === '+' || char === '{') && groups.length > 0) (groups.at(-1) as { risky: boolean }).risky = true;
  }
  // Each unbounded repeat multiplies the work a backtracking match can do on a name.
  if (unbounded > 3) return `${unbounded} unbounded repeats (* or +) can take a long time on every name; use at most 3`;
  return undefined;
}

/** What is wrong with a filter, in words the caller can act on, or undefined when it is usable. */
export async function filterProblem(pattern: string): Promise<string | undefined> {
  if (pattern.length > MAX_FILTER_LENGTH) return `filter is longer than ${MAX_FILTER_LENGTH} characters; shorten it`;
  const hazard = backtrackingHazard(pattern);
  if (hazard) return `filter /${pattern}/ is refused: ${hazard}; use a simpler regular expression (a substring like "orders" works too)`;
  const RE2JS = await loadRe2();
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    return `filter is not a valid regular expression: ${(error as Error).message}`;
  }
  return undefined;
}

/** A filter matched in linear time. Throws with filterProblem's words when the pattern is unusable. */
export async function compileNameFilter(pattern: string): Promise<NameFilter> {
  const problem = await filterProblem(pattern);
  if (problem) throw new Error(problem);
  const compiled = (await loadRe2()).compile(pattern);
  return { source: pattern, test: (name) => compiled.matcher(name).find() };
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
    return (name) => compiled.matcher(name).find();
  } catch {
    return () => true;
  }
}
