import { describe, expect, it } from 'vitest';
import { type QueueMembership, type QueueReplicas, majoritiesOf, withoutMajority } from '../server/broker/quorum-majority.js';

const [A, B, C, D, E] = ['a@h', 'b@h', 'c@h', 'd@h', 'e@h'];
const quorum = (name: string, members: string[], state = 'running'): QueueReplicas => ({
  name,
  vhost: '/',
  type: 'quorum',
  state,
  members,
});
const names = (queues: { name: string }[]) => queues.map((queue) => queue.name);

describe('majoritiesOf', () => {
  const cases: { case: string; queue: QueueReplicas; running: string[]; lost: boolean; degraded: boolean; edge: boolean }[] = [
    { case: 'all members running', queue: quorum('q', [A, B, C]), running: [A, B, C], lost: false, degraded: false, edge: false },
    {
      case: 'one of three down keeps a bare majority',
      queue: quorum('q', [A, B, C]),
      running: [A, B],
      lost: false,
      degraded: true,
      edge: true,
    },
    { case: 'two of three down lose the majority', queue: quorum('q', [A, B, C]), running: [A], lost: true, degraded: false, edge: false },
    {
      case: 'one of five down keeps more than a majority',
      queue: quorum('q', [A, B, C, D, E]),
      running: [A, B, C, D],
      lost: false,
      degraded: true,
      edge: false,
    },
    {
      case: 'two of five down keep a bare majority',
      queue: quorum('q', [A, B, C, D, E]),
      running: [A, B, C],
      lost: false,
      degraded: true,
      edge: true,
    },
    { case: 'one of two down loses the majority', queue: quorum('q', [A, B]), running: [A], lost: true, degraded: false, edge: false },
    {
      case: 'a member on a node gone from the cluster counts as down',
      queue: quorum('q', [A, B, 'gone@h']),
      running: [A],
      lost: true,
      degraded: false,
      edge: false,
    },
    {
      case: "RabbitMQ's own minority state counts",
      queue: quorum('q', [A, B, C], 'minority'),
      running: [A, B, C],
      lost: true,
      degraded: false,
      edge: false,
    },
    {
      case: 'a classic queue has no majority to lose',
      queue: { name: 'q', vhost: '/', type: 'classic' },
      running: [],
      lost: false,
      degraded: false,
      edge: false,
    },
    {
      case: 'a quorum queue without members listed is skipped',
      queue: { name: 'q', vhost: '/', type: 'quorum' },
      running: [],
      lost: false,
      degraded: false,
      edge: false,
    },
  ];
  it.each(cases)('$case', ({ queue, running, lost, degraded, edge }) => {
    const result = majoritiesOf([queue], new Set(running));
    expect(names(result.lost)).toEqual(lost ? ['q'] : []);
    expect(names(result.degraded)).toEqual(degraded ? ['q'] : []);
    expect(names(result.edge)).toEqual(edge ? ['q'] : []);
  });

  it('names the running and the down members of a queue that lost its majority', () => {
    const [lost] = majoritiesOf([quorum('q', [A, B, C])], new Set([B])).lost;
    expect(lost).toEqual({ name: 'q', vhost: '/', members: [A, B, C], running: [B], down: [A, C], majority: 2 });
  });
});

describe('withoutMajority', () => {
  const queue = (fields: Partial<QueueMembership>): QueueMembership => ({ name: 'q', type: 'quorum', members: [A, B, C], ...fields });
  it.each([
    { case: 'all members online', fields: { online: [A, B, C] }, says: undefined },
    { case: 'a bare majority online', fields: { online: [A, B] }, says: undefined },
    {
      case: 'one of three online',
      fields: { online: [A] },
      says: "quorum queue 'q' in vhost '/' has lost its majority: 1 of its 3 members run (a@h), 2 are needed; down: b@h, c@h. It delivers nothing and accepts no publishes until enough of its nodes run again (get_overview names the down nodes)",
    },
    {
      case: 'none online',
      fields: { online: [] },
      says: "quorum queue 'q' in vhost '/' has lost its majority: 0 of its 3 members run, 2 are needed; down: a@h, b@h, c@h. It delivers nothing and accepts no publishes until enough of its nodes run again (get_overview names the down nodes)",
    },
    {
      case: "RabbitMQ's minority state while its online list lags",
      fields: { state: 'minority', online: [A, B, C] },
      says: "quorum queue 'q' in vhost '/' has lost its majority: RabbitMQ reports fewer than 2 of its 3 members running. It delivers nothing and accepts no publishes until enough of its nodes run again (get_overview names the down nodes)",
    },
    { case: 'a classic queue', fields: { type: 'classic', members: undefined }, says: undefined },
  ])('$case', ({ fields, says }) => {
    expect(withoutMajority(queue(fields), '/')).toBe(says);
  });
});
