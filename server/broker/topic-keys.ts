/**
 * Routing keys as RabbitMQ's topic exchange reads them (rabbit_exchange_type_topic): words split
 * on '.', the empty key has no words; in a binding key '*' is exactly one word and '#' zero or
 * more. Whether a set of binding keys (and literal keys) can all match one routing key is what
 * tells whether a new binding would share messages with an existing one.
 */

/** One word of a key: a literal, '*' (one word) or '#' (any number of words). */
export type KeyWord = { literal: string } | 'one' | 'any';

/** The words of a literal routing key: '*' and '#' in it are plain words. */
export function literalKey(key: string): KeyWord[] {
  return key === '' ? [] : key.split('.').map((word) => ({ literal: word }));
}

/** The words of a topic binding key. */
export function topicPattern(pattern: string): KeyWord[] {
  return pattern === '' ? [] : pattern.split('.').map((word) => (word === '*' ? 'one' : word === '#' ? 'any' : { literal: word }));
}

/** Past this many states the answer is "they may overlap": a caller that must be sure refuses. */
const MAX_STATES = 50_000;

/**
 * Whether some routing key matches every one of `keys` (topic patterns, literal keys or both).
 * The patterns are run side by side, as automata reading the same words: the alphabet is every
 * literal word they name plus one word none of them names. When the search grows too large the
 * answer is true, the safe side for a scope check.
 */
export function keysOverlap(keys: readonly (readonly KeyWord[])[]): boolean {
  if (keys.length <= 1) return true;
  const literals = new Set<string>();
  for (const key of keys) for (const word of key) if (typeof word === 'object') literals.add(word.literal);
  // A word none of the keys names: any literal it does not equal will do.
  let fresh = '\u0000';
  while (literals.has(fresh)) fresh += '\u0000';
  const alphabet = [...literals, fresh];
  const start = keys.map(() => 0);
  const seen = new Set<string>([start.join(',')]);
  const pending: number[][] = [start];
  while (pending.length > 0) {
    const state = pending.pop() as number[];
    if (state.every((position, index) => position === (keys[index] as readonly KeyWord[]).length)) return true;
    const next: number[][] = [];
    // '#' may match no word: step over it without reading one.
    state.forEach((position, index) => {
      if ((keys[index] as readonly KeyWord[])[position] === 'any') next.push(state.map((p, i) => (i === index ? p + 1 : p)));
    });
    for (const word of alphabet) {
      const moved: number[] = [];
      for (const [index, position] of state.entries()) {
        const expected = (keys[index] as readonly KeyWord[])[position];
        if (expected === undefined) break;
        if (expected === 'any') moved.push(position);
        else if (expected === 'one' || expected.literal === word) moved.push(position + 1);
        else break;
      }
      if (moved.length === state.length) next.push(moved);
    }
    for (const candidate of next) {
      const id = candidate.join(',');
      if (seen.has(id)) continue;
      if (seen.size >= MAX_STATES) return true;
      seen.add(id);
      pending.push(candidate);
    }
  }
  return false;
}
