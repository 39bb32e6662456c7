/**
 * Which virtual hosts and queues this server may see and touch (`--vhosts`, `--queues`).
 * Patterns are comma-separated globs (`*` any run of characters, `?` one); a leading `!` denies.
 * Deny wins; with no allow pattern everything not denied is allowed.
 */
export class NamePatterns {
  readonly #allow: GlobMatcher[];
  readonly #deny: GlobMatcher[];

  constructor(readonly patterns: readonly string[]) {
    this.#allow = patterns.filter((pattern) => !pattern.startsWith('!')).map(globToRegExp);
    this.#deny = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => globToRegExp(pattern.slice(1)));
  }

  get restricts(): boolean {
    return this.patterns.length > 0;
  }

  matches(name: string): boolean {
    if (this.#deny.some((pattern) => pattern.test(name))) return false;
    return this.#allow.length === 0 || this.#allow.some((pattern) => pattern.test(name));
  }

  toString(): string {
    return this.patterns.join(',');
  }
}

interface GlobMatcher {
  test(name: string): boolean;
}

/**
 * A glob (* any run, ? one character) as a matcher that never backtracks further than the last
 * star: at most name length × glob length steps, however many stars a pattern holds.
 */
function globToRegExp(glob: string): GlobMatcher {
  const pattern = [...glob];
  return {
    test(name) {
      const text = [...name];
      let p = 0;
      let t = 0;
      let star = -1;
      let resume = 0;
      while (t < text.length) {
        if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === text[t]))) {
          p++;
          t++;
        } else if (p < pattern.length && pattern[p] === '*') {
          star = p++;
          resume = t;
        } else if (star !== -1) {
          p = star + 1;
          t = ++resume;
        } else return false;
      }
      while (p < pattern.length && pattern[p] === '*') p++;
      return p === pattern.length;
    },
  };
}

/** Checks one scope pattern (for the settings parser): what is wrong with it, or null. */
export function patternProblem(pattern: string): string | null {
  const body = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  if (body === '') return `"${pattern}" is empty: use a name or a glob like orders-*`;
  if (body.includes('!')) return `"${pattern}": only a leading ! (deny) is allowed`;
  return null;
}
