import { describe, expect, it } from 'vitest';
import { type QueueReplicas, majoritiesOf } from '../server/broker/quorum-majority.js';

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
