import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../server/broker/backoff.js';
import { createScrubber } from '../server/logging/secret-scrubber.js';

describe('reconnect backoff', () => {
  const options = { initialMs: 250, maxMs: 10_000, jitter: 0.2 };

  it('doubles from the initial delay and never exceeds the cap', () => {
    const top = () => 1;
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, options, top))).toEqual([250, 500, 1000, 2000]);
    for (let attempt = 1; attempt < 60; attempt++) expect(backoffDelay(attempt, options, top)).toBeLessThanOrEqual(10_000);
  });

  it('spreads retries under the delay so clients do not reconnect in step', () => {
    expect(backoffDelay(10, options, () => 0)).toBe(8000);
    expect(backoffDelay(10, options, () => 1)).toBe(10_000);
  });
});

describe('the secret scrubber', () => {
  it('hides a password and its URL and base64 forms', () => {
    const scrub = createScrubber(['p@ss word!']);
    const text = `a p@ss word! b ${encodeURIComponent('p@ss word!')} c ${Buffer.from('p@ss word!').toString('base64')}`;
    expect(scrub(text)).toBe('a [REDACTED] b [REDACTED] c [REDACTED]');
  });

  it('leaves text alone when the secret is also the user name shown everywhere (guest/guest)', () => {
    expect(createScrubber(['guest'], ['guest'])('user guest')).toBe('user guest');
  });
});
