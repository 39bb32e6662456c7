import { describe, expect, it } from 'vitest';
import { PROBLEM_TITLES, type ProblemKind, type QueueStats, classifyQueues } from '../server/tools/problem-queues.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const THRESHOLDS = { deep: 100, unacked: 10, idleMinutes: 60 };

/** A healthy queue: running, empty, one consumer, no traffic. */
function queue(stats: Partial<QueueStats> = {}): QueueStats {
  return {
    name: 'q',
    type: 'quorum',
    state: 'running',
    messages: 0,
    messages_ready: 0,
    messages_unacknowledged: 0,
    consumers: 1,
    ...stats,
  };
}

function rates(publish: number, deliver: number): QueueStats['message_stats'] {
  return { publish_details: { rate: publish }, deliver_get_details: { rate: deliver } };
}

function minutesAgo(minutes: number): string {
  return new Date(NOW - minutes * 60_000).toISOString();
}

describe('the problem-queue classifier', () => {
  const cases: { case: string; stats: Partial<QueueStats>; kinds: ProblemKind[]; detail?: string }[] = [
    { case: 'a healthy queue has no problem', stats: {}, kinds: [] },
    {
      case: 'a queue with no statistics yet has no problem',
      stats: { state: undefined, messages: undefined, consumers: undefined },
      kinds: [],
    },
    { case: 'an idle-state queue is running', stats: { state: 'idle' }, kinds: [] },
    { case: 'a stopped queue is not running', stats: { state: 'stopped' }, kinds: ['not_running'], detail: 'state stopped' },
    { case: 'a minority queue is not running', stats: { state: 'minority' }, kinds: ['not_running'], detail: 'state minority' },
    { case: 'a queue at the deep threshold is deep', stats: { messages: 100 }, kinds: ['deep'], detail: '100 messages' },
    { case: 'a queue one under the deep threshold is not', stats: { messages: 99 }, kinds: [] },
    {
      case: 'a queue published to faster than delivered from, with ready messages, is growing',
      stats: { messages: 5, messages_ready: 5, message_stats: rates(2.25, 1) },
      kinds: ['growing'],
      detail: 'in 2.3/s, out 1.0/s, 5 ready',
    },
    { case: 'equal rates are not growing', stats: { messages: 5, messages_ready: 5, message_stats: rates(2, 2) }, kinds: [] },
    { case: 'a faster publish rate with nothing ready is not growing', stats: { message_stats: rates(3, 0) }, kinds: [] },
    {
      case: 'messages and no consumer is unconsumed',
      stats: { messages: 1, consumers: 0 },
      kinds: ['no_consumers'],
      detail: '1 messages, 0 consumers',
    },
    { case: 'a consumer count not reported counts as none', stats: { messages: 3, consumers: undefined }, kinds: ['no_consumers'] },
    { case: 'no consumer and no message is fine', stats: { consumers: 0 }, kinds: [] },
    {
      case: 'unacked at the threshold is many unacked',
      stats: { messages: 10, messages_unacknowledged: 10, consumers: 2 },
      kinds: ['many_unacked'],
      detail: '10 unacked, 2 consumers',
    },
    { case: 'unacked one under the threshold is not', stats: { messages: 9, messages_unacknowledged: 9 }, kinds: [] },
    {
      case: 'idle for exactly the threshold is idle',
      stats: { idle_since: minutesAgo(60) },
      kinds: ['idle'],
      detail: 'idle 60 min, 0 messages',
    },
    { case: 'idle a second short of the threshold is not', stats: { idle_since: minutesAgo(60 - 1 / 60) }, kinds: [] },
    {
      case: "3.x's space-separated idle_since is read as UTC",
      stats: { idle_since: '2024-06-01 10:30:00' },
      kinds: ['idle'],
      detail: 'idle 90 min, 0 messages',
    },
    { case: 'an unreadable idle_since is ignored', stats: { idle_since: 'soon' }, kinds: [] },
    {
      case: 'one queue can have several problems, listed in the report order',
      stats: { state: 'stopped', messages: 500, consumers: 0, messages_unacknowledged: 20, idle_since: minutesAgo(120) },
      kinds: ['not_running', 'deep', 'no_consumers', 'many_unacked', 'idle'],
    },
  ];

  it.each(cases)('$case', ({ stats, kinds, detail }) => {
    const problems = classifyQueues([queue(stats)], THRESHOLDS, NOW);
    expect(problems.map((problem) => problem.kind)).toEqual(kinds);
    if (detail !== undefined) expect(problems[0]?.detail).toBe(detail);
  });

  it('uses the thresholds it is given, not fixed ones', () => {
    const busy = queue({ messages: 5000, messages_unacknowledged: 500 });
    expect(classifyQueues([busy], THRESHOLDS, NOW).map((problem) => problem.kind)).toEqual(['deep', 'many_unacked']);
    expect(classifyQueues([busy], { deep: 10_000, unacked: 1000, idleMinutes: 60 }, NOW)).toEqual([]);
  });

  it('groups problems by kind, keeping the queues in the order given, and names a queue without a type classic', () => {
    const problems = classifyQueues(
      [queue({ name: 'a', messages: 200, consumers: 0 }), queue({ name: 'b', type: undefined, messages: 300 })],
      THRESHOLDS,
      NOW,
    );
    expect(problems.map(({ kind, queue: name, type }) => `${kind} ${name} ${type}`)).toEqual([
      'deep a quorum',
      'deep b classic',
      'no_consumers a quorum',
    ]);
  });

  it('weighs each problem by how bad it is, so the report can list the worst first', () => {
    const [shallow, deeper] = classifyQueues([queue({ name: 'a', messages: 150 }), queue({ name: 'b', messages: 900 })], THRESHOLDS, NOW);
    expect(deeper?.weight).toBeGreaterThan(shallow?.weight ?? Infinity);
  });

  it('titles the thresholded kinds with the thresholds in use', () => {
    expect(PROBLEM_TITLES.deep(THRESHOLDS)).toBe('deep (≥ 100 messages)');
    expect(PROBLEM_TITLES.many_unacked(THRESHOLDS)).toBe('many unacked (≥ 10)');
    expect(PROBLEM_TITLES.idle(THRESHOLDS)).toBe('idle ≥ 60 min');
  });
});
