import { describe, expect, it } from 'vitest';
import { headersMatch, topicMatches } from '../server/broker/exchange-routing.js';

describe('topic patterns', () => {
  it.each([
    ['order.*', 'order.created', true],
    ['order.*', 'order.created.eu', false],
    ['order.#', 'order', true],
    ['order.#', 'order.created.eu', true],
    ['#', '', true],
    ['#.paid', 'order.eu.paid', true],
    ['*.*.paid', 'order.paid', false],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.#.z', 'a.b.z', true],
    ['exact.key', 'exact.key', true],
    ['exact.key', 'exact.keys', false],
    ['*', '', true],
  ])('%s matches %j: %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

describe('headers bindings', () => {
  it('x-match all needs every pair, any needs one', () => {
    expect(headersMatch({ 'x-match': 'all', a: 1, b: 'x' }, { a: 1, b: 'x', c: 3 })).toBe(true);
    expect(headersMatch({ 'x-match': 'all', a: 1, b: 'x' }, { a: 1 })).toBe(false);
    expect(headersMatch({ 'x-match': 'any', a: 1, b: 'x' }, { b: 'x' })).toBe(true);
    expect(headersMatch({ a: 1 }, { a: 1 })).toBe(true);
  });

  it('compares values by type as the broker does', () => {
    expect(headersMatch({ a: 1 }, { a: '1' })).toBe(false);
  });

  it('ignores x- arguments unless the mode ends in -with-x', () => {
    expect(headersMatch({ 'x-match': 'all', 'x-tag': 'v', a: 1 }, { a: 1 })).toBe(true);
    expect(headersMatch({ 'x-match': 'all-with-x', 'x-tag': 'v', a: 1 }, { a: 1 })).toBe(false);
    expect(headersMatch({ 'x-match': 'any-with-x', 'x-tag': 'v' }, { 'x-tag': 'v' })).toBe(true);
  });
});
