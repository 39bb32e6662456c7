import { describe, expect, it } from 'vitest';
import {
  type CountEvidence,
  type DeliveryLimit,
  deliveryLimitOf,
  proveReturnsSafe,
  returnRulesOf,
} from '../server/broker/delivery-limit.js';

describe('how a broker version takes back what a reader hands back', () => {
  it.each([
    ['3.10.8', { nackCounts: true, handBack: 'close', tested: true }],
    ['3.13.7', { nackCounts: true, handBack: 'close', tested: false }],
    ['4.0.5', { nackCounts: true, handBack: 'nack', tested: true }],
    ['4.2.1', { nackCounts: true, handBack: 'nack', tested: false }],
    ['4.3.6', { nackCounts: false, handBack: 'nack', tested: true }],
    ['4.4.0', { nackCounts: true, handBack: 'nack', tested: false }],
    ['5.0.0', { nackCounts: true, handBack: 'nack', tested: false }],
  ])('RabbitMQ %s', (version, rules) => {
    expect(returnRulesOf(version)).toEqual(rules);
  });
});

describe('the delivery limit a quorum queue applies', () => {
  it.each([
    ['3.10: none set means none', { version: '3.10.8', policies: [] }, { returnsCount: true, limit: null }],
    ['3.13: the queue argument', { version: '3.13.7', argument: 5, policies: [] }, { returnsCount: true, limit: 5 }],
    [
      'the lowest of argument, policy and operator policy',
      {
        version: '3.12.1',
        argument: 5,
        policies: [
          { source: "policy 'p'", value: 3 },
          { source: "operator policy 'o'", value: 7 },
        ],
      },
      { returnsCount: true, limit: 3, from: "policy 'p' = 3" },
    ],
    ['4.0: the default of 20', { version: '4.0.5', policies: [] }, { returnsCount: true, limit: 20 }],
    ['4.1: -1 switches it off', { version: '4.1.2', argument: -1, policies: [] }, { returnsCount: true, limit: null }],
    [
      '4.2: a string value counts',
      { version: '4.2.0', policies: [{ source: "policy 'p'", value: '4' }] },
      { returnsCount: true, limit: 4 },
    ],
    ['4.3: returns by a peek do not count', { version: '4.3.0', policies: [] }, { returnsCount: false, limit: 20 }],
    [
      "4.3: the broker's own delivery_limit counts with the others",
      { version: '4.3.6', reported: 7, argument: 9, policies: [] },
      { returnsCount: false, limit: 7, from: "the broker's own delivery_limit = 7" },
    ],
    ["4.3: the broker's 'unlimited'", { version: '4.3.6', reported: 'unlimited', argument: -1, policies: [] }, { limit: null }],
    ['4.4, newer than any measured: assumed to count', { version: '4.4.0', policies: [] }, { returnsCount: true, limit: 20 }],
  ])('%s', (_case, sources, expected) => {
    expect(deliveryLimitOf({ type: 'quorum', ...sources })).toMatchObject(expected);
  });

  it('classic queues and streams have none', () => {
    expect(deliveryLimitOf({ version: '4.0.0', type: 'classic', policies: [] })).toMatchObject({ returnsCount: false, limit: null });
    expect(deliveryLimitOf({ version: '4.0.0', type: 'stream', policies: [] })).toMatchObject({ returnsCount: false, limit: null });
  });
});

describe('the proof that handing every message back stays within the limit', () => {
  const limit = (value: number | null, returnsCount = true): DeliveryLimit => ({ returnsCount, limit: value, from: 'test' });
  const quiet: CountEvidence = {
    consumers: 0,
    nodes: 1,
    statistics: true,
    messages: 30,
    ready: 30,
    published: 30,
    removed: 0,
    redelivered: 0,
  };

  it.each<[string, DeliveryLimit, Partial<CountEvidence>, boolean | string]>([
    ['no limit: always', limit(null), { consumers: 3, nodes: 3 }, true],
    ['4.3+: returns do not count', limit(5, false), { redelivered: 1000 }, true],
    ['fresh queue, limit 2: counts are at most 1', limit(2), {}, true],
    ['fresh queue, limit 1: a message may have been returned once already', limit(1), {}, 'limit'],
    ['an empty queue', limit(1), { messages: 0, ready: 0, published: 0 }, true],
    ['statistics not emitted yet for messages that are there', limit(20), { statistics: false, messages: 0, published: 0 }, 'statistics'],
    ['a consumer attached', limit(20), { consumers: 1 }, 'consumers'],
    ['a cluster', limit(20), { nodes: 3 }, 'cluster'],
    ['no statistics', limit(20), { statistics: false, published: 0 }, 'statistics'],
    ['statistics reset by a restart (fewer published than present)', limit(20), { published: 10 }, 'coverage'],
    ['published covers present and acked', limit(20), { published: 50, removed: 20 }, true],
    ['18 redeliveries, limit 20: bound 19', limit(20), { redelivered: 18 }, true],
    ['19 redeliveries, limit 20: bound 20', limit(20), { redelivered: 19 }, 'limit'],
    [
      "this server's own peeks: bounded by their number, not by the queue's total redeliveries",
      limit(20),
      { redelivered: 150, ledger: { baseline: 0, published: 30, peeks: 15, redelivered: 150, lastReturned: 25 } },
      true,
    ],
    [
      'our own peeks at the limit',
      limit(5),
      { redelivered: 40, ledger: { baseline: 0, published: 30, peeks: 4, redelivered: 40, lastReturned: 14 } },
      'limit',
    ],
    [
      'redeliveries by someone else on top of ours count in full',
      limit(20),
      { redelivered: 60, ledger: { baseline: 0, published: 30, peeks: 2, redelivered: 10, lastReturned: 11 } },
      'limit',
    ],
    [
      'our last peek is not in the statistics yet: the ledger counts it',
      limit(3),
      { redelivered: 0, ledger: { baseline: 0, published: 30, peeks: 2, redelivered: 10, lastReturned: 11 } },
      'limit',
    ],
    [
      'a ledger of a queue deleted and declared again (its publish counter went back) is not used',
      limit(20),
      { redelivered: 25, published: 30, ledger: { baseline: 0, published: 500, peeks: 1, redelivered: 0, lastReturned: 10 } },
      'limit',
    ],
  ])('%s', (_case, deliveryLimit, evidence, expected) => {
    const proof = proveReturnsSafe(deliveryLimit, { ...quiet, ...evidence });
    if (expected === true) expect(proof).toMatchObject({ safe: true });
    else expect(proof).toMatchObject({ safe: false, kind: expected });
  });

  it('says why and what it knows when it refuses', () => {
    const proof = proveReturnsSafe(limit(5), { ...quiet, redelivered: 9 });
    expect(proof).toMatchObject({ safe: false, bound: 10 });
    expect(proof.safe ? '' : proof.reason).toBe(
      'a message may already have been returned 10 time(s) (the queue counts 9 redeliveries), and one more return at the limit of 5 makes RabbitMQ dead-letter or drop it',
    );
  });
});
