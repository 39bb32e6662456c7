import { describe, expect, it } from 'vitest';
import { NamePatterns } from '../server/config/name-patterns.js';
import {
  DEFAULT_EXCHANGE,
  FIREHOSE,
  type OwnUser,
  type ProbeResult,
  judgeWall,
  questionsFor,
  witnessNames,
} from '../server/broker/own-permissions.js';

let counter = 0;
const random = () => `r${++counter}`;

describe('the names probed for a scope', () => {
  it.each([
    [['orders-*'], [/^mcp-probe-r\d+$/], /^orders-mcp-probe-r\d+$/],
    [['orders-*', '!*.audit'], [/^mcp-probe-r\d+\.audit$/, /^mcp-probe-r\d+$/], /^orders-mcp-probe-r\d+$/],
    [['!secret', '!secret-?'], [/^secret$/, /^secret-x$/], /^mcp-probe-r\d+$/],
    [['*'], [], /^mcp-probe-r\d+$/],
    [[], [], /^mcp-probe-r\d+$/],
  ])('--queues %j hides names like %j and allows one like %s', (queues, hidden, inScope) => {
    const witnesses = witnessNames(queues, random);
    expect(witnesses.hidden.map((witness) => witness.name)).toEqual(hidden.map((pattern) => expect.stringMatching(pattern)));
    expect(witnesses.inScope).toMatch(inScope);
    const scope = new NamePatterns(queues);
    expect(witnesses.hidden.every((witness) => !scope.matches(witness.name))).toBe(true);
    expect(scope.matches(witnesses.inScope as string)).toBe(true);
  });

  it('reads only names no queue can have: random ones, never a fixed name the scope denies', () => {
    const questions = questionsFor(witnessNames(['!secret', '!*.audit'], random));
    const read = questions.filter((question) => question.permission === 'read').map((question) => question.name);
    expect(read).not.toContain('secret');
    expect(read.some((name) => name.endsWith('.audit'))).toBe(true);
    expect(read).toContain(FIREHOSE);
  });
});

const scope = { vhosts: ['prod'], queues: ['orders-*'] };
const witnesses = { hidden: [{ name: 'mcp-probe-1', unguessable: true }], inScope: 'orders-mcp-probe-2' };
const narrowUser: OwnUser = { name: 'mcp-x', tags: ['management'], visibleVhosts: ['prod'], unreadable: 'administrators only' };

function answers(outcome: (name: string, permission: string) => ProbeResult['outcome']): ProbeResult[] {
  return questionsFor(witnesses).map(({ name, permission }) => ({ name, permission, outcome: outcome(name, permission) }));
}

const narrowProbes = answers((name, permission) => (name === witnesses.inScope && permission !== 'read' ? 'allowed' : 'refused'));

function judged(own: OwnUser, probes: ProbeResult[] | undefined, level: 'read-only' | 'write' = 'write') {
  const promises = judgeWall({
    scope,
    level,
    vhost: 'prod',
    own,
    witnesses,
    probes,
    probeFailure: probes ? undefined : 'connection refused',
  });
  return Object.fromEntries(promises.map((promise) => [promise.what, `${promise.by}: ${promise.why}`]));
}

describe('who holds each promise', () => {
  it('the broker, for a least-privilege user whose probes were refused', () => {
    expect(judged(narrowUser, narrowProbes)).toMatchObject({
      'scope --vhosts prod: other vhosts': "broker: user mcp-x has permissions only in 'prod'",
      'scope --queues orders-*: declaring, deleting, binding and reading hidden queues': expect.stringMatching(
        /^broker: user mcp-x may not configure, write, read 'mcp-probe-1'/,
      ),
      'scope --queues orders-*: publishing to a hidden queue by name': expect.stringMatching(/^broker: .*may not write amq\.default/),
      'scope --queues orders-*: the firehose': expect.stringMatching(/^broker:/),
      'write, nothing removed': expect.stringMatching(/^server: RabbitMQ grants deleting with configure/),
      'scope --queues orders-*: messages routed into hidden queues': expect.stringMatching(/^server:/),
      'no policies, shovels or federation': 'broker: user mcp-x has no policymaker tag',
    });
  });

  it('the server alone for an administrator', () => {
    const verdicts = Object.values(judged({ ...narrowUser, name: 'guest', tags: ['administrator'] }, undefined));
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.every((verdict) => verdict === 'server: user guest is an administrator: it may grant itself any permission')).toBe(
      true,
    );
  });

  it.each([
    [
      'a hidden name it may write',
      answers((name, permission) => (name === 'mcp-probe-1' && permission === 'write' ? 'allowed' : 'refused')),
      /server: user mcp-x may write 'mcp-probe-1'/,
    ],
    ['probes that could not run', undefined, /server: user mcp-x's permissions on hidden names: not probed \(connection refused\)/],
  ])('the server for hidden queues, with %s', (_case, probes, verdict) => {
    expect(judged(narrowUser, probes)['scope --queues orders-*: hidden queues']).toMatch(verdict);
  });

  it.each([
    [{ ...narrowUser, tags: ['monitoring'] }, 'server: user mcp-x has the monitoring tag: it may read every vhost'],
    [{ ...narrowUser, visibleVhosts: ['prod', 'billing'] }, "server: user mcp-x has permissions in 'billing' too"],
  ])('the server for other vhosts when %j', (own, verdict) => {
    expect(judged(own, narrowProbes)['scope --vhosts prod: other vhosts']).toBe(verdict);
  });

  it('the broker for read-only when nothing may be configured or written', () => {
    expect(
      judged(
        narrowUser,
        answers(() => 'refused'),
        'read-only',
      )['read-only'],
    ).toBe(
      `broker: user mcp-x may not configure or write 'orders-mcp-probe-2', '${DEFAULT_EXCHANGE}' in vhost 'prod' (probed) and has no policymaker tag`,
    );
  });

  it('the server for read-only when the user may write', () => {
    expect(judged(narrowUser, narrowProbes, 'read-only')['read-only']).toBe(
      "server: user mcp-x may configure 'orders-mcp-probe-2' and write 'orders-mcp-probe-2' in vhost 'prod'",
    );
  });
});
