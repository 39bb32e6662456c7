import { describe, expect, it } from 'vitest';
import { NamePatterns } from '../server/config/name-patterns.js';
import { NOTHING, PlanError, namesPattern, permissionsFor, planUser, tagsFor } from '../server/broker/least-privilege.js';

/**
 * RabbitMQ matches permission patterns with Erlang's `re` (PCRE) over the name's UTF-8 bytes. This
 * runs such a pattern in JavaScript the same way: names and pattern as one character per byte,
 * `(?s)` as the s flag, `\z` as `$` (the true end without the m flag), and each atomic group
 * `(?>X)` as its usual equivalent `(?=(X))\N`. The real broker checks a few of them in
 * test/broker-wall.test.ts.
 */
function brokerMatcher(pattern: string): (name: string) => boolean {
  const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  let source = bytes(pattern);
  let flags = '';
  if (source.startsWith('(?s)')) {
    source = source.slice(4);
    flags = 's';
  }
  source = source.replaceAll('\\z', '$');
  let group = 0;
  for (let start = source.indexOf('(?>'); start !== -1; start = source.indexOf('(?>')) {
    let depth = 0;
    let end = start;
    for (; end < source.length; end++) {
      if (source[end] === '\\') end++;
      else if (source[end] === '(') depth++;
      else if (source[end] === ')' && --depth === 0) break;
    }
    group++;
    source = `${source.slice(0, start)}(?=(${source.slice(start + 3, end)}))\\${group}${source.slice(end + 1)}`;
  }
  const regex = new RegExp(source, flags);
  return (name) => regex.test(bytes(name));
}

const NAMES = [
  'orders',
  'orders-1',
  'orders-eu.audit',
  'orders-',
  'order',
  'x.audit',
  '.audit',
  'audit',
  'secret',
  'secret-2',
  'a\nb.audit',
  'orders-\n',
  'orders-secret',
  'zébra',
  'zèbra',
  'z😀bra',
  '日本-orders',
  'q?',
  'q*',
  'a.b',
  'axb',
  'ab',
  'aab',
  'abab',
  'amq.default',
  'amq.rabbitmq.trace',
  'amq.rabbitmq.event',
  'amq.topic',
  '',
];

const SCOPES: string[][] = [
  ['orders-*'],
  ['orders*', '!*.audit'],
  ['!*.audit'],
  ['!secret', '!secret-?'],
  ['z?bra'],
  ['*-orders', 'orders'],
  ['a.b'],
  ['*ab*b', 'a*b'],
  ['q?'],
  ['*', '!orders-secret'],
  ['???'],
];

describe('the permission pattern for --queues matches what the server allows, as the broker reads it', () => {
  it.each(SCOPES.map((scope) => [scope.join(','), scope] as const))('for --queues %s', (_label, scope) => {
    const server = new NamePatterns(scope);
    const broker = brokerMatcher(namesPattern(scope));
    const disagreements = NAMES.filter((name) => broker(name) !== server.matches(name));
    expect(disagreements).toEqual([]);
  });

  it('agrees with the server on random globs and names', () => {
    // A fixed-seed generator: the same cases every run.
    let seed = 42;
    const next = (limit: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % limit;
    };
    const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[next(alphabet.length)]).join('');
    const disagreements: string[] = [];
    for (let round = 0; round < 400; round++) {
      const scope = Array.from({ length: 1 + next(3) }, () => (next(3) === 0 ? '!' : '') + pick('ab*?é.', 1 + next(5)));
      const server = new NamePatterns(scope);
      const broker = brokerMatcher(namesPattern(scope));
      for (let index = 0; index < 30; index++) {
        const name = pick('abé.\n', next(7));
        if (broker(name) !== server.matches(name)) disagreements.push(`${scope.join(',')} on ${JSON.stringify(name)}`);
      }
    }
    expect(disagreements).toEqual([]);
  });
});

describe('names the user must never reach are cut out of the pattern', () => {
  it.each([
    ['!secret', 'amq.default'],
    ['!secret', 'amq.rabbitmq.trace'],
    ['*', 'amq.rabbitmq.event'],
    ['amq.*', 'amq.rabbitmq.trace'],
  ])('--queues %s does not let the user reach %s', (scope, name) => {
    const write = permissionsFor({ vhosts: [], queues: [scope] }, 'write').write;
    expect(brokerMatcher(write)(name)).toBe(false);
  });

  it('keeps other names the scope allows', () => {
    const write = brokerMatcher(permissionsFor({ vhosts: [], queues: ['!secret'] }, 'write').write);
    expect(['amq.topic', 'orders', 'amq.defaults'].map(write)).toEqual([true, true, true]);
  });

  it('grants the default exchange when asked to', () => {
    const write = permissionsFor({ vhosts: [], queues: ['!secret'] }, 'write', { defaultExchange: true }).write;
    expect(brokerMatcher(write)('amq.default')).toBe(true);
    expect(brokerMatcher(write)('amq.rabbitmq.trace')).toBe(false);
  });

  it('leaves a pattern that cannot reach them as it is', () => {
    expect(namesPattern(['orders-*'], { prefixes: ['amq.rabbitmq.'], names: ['amq.default'] })).toBe(namesPattern(['orders-*']));
  });
});

describe('the permissions follow the safety level', () => {
  it.each([
    ['read-only', { vhosts: ['prod'], queues: [] }, { configure: NOTHING, write: NOTHING, read: '.*' }],
    ['write', { vhosts: ['prod'], queues: [] }, { configure: '.*', write: '.*', read: '.*' }],
    ['destructive', { vhosts: [], queues: [] }, { configure: '.*', write: '.*', read: '.*' }],
  ] as const)('at %s with %j', (level, scope, expected) => {
    expect(permissionsFor(scope, level)).toEqual(expected);
  });

  it('at read-only under --queues reads only queues in scope', () => {
    const permissions = permissionsFor({ vhosts: [], queues: ['orders-*'] }, 'read-only');
    expect([permissions.configure, permissions.write]).toEqual([NOTHING, NOTHING]);
    expect(brokerMatcher(permissions.read)('orders-1')).toBe(true);
    expect(brokerMatcher(permissions.read)('payments')).toBe(false);
  });
});

describe('the tags are the fewest the scope and level need', () => {
  it.each([
    [{ vhosts: ['prod-*'], queues: [] }, 'read-only', ['management']],
    [{ vhosts: ['prod-*'], queues: [] }, 'write', ['management', 'policymaker']],
    [{ vhosts: ['prod-*'], queues: ['orders-*'] }, 'destructive', ['management']],
    [{ vhosts: [], queues: ['orders-*'] }, 'write', ['monitoring']],
    [{ vhosts: [], queues: [] }, 'read-only', ['monitoring']],
  ] as const)('%j at %s', (scope, level, tags) => {
    expect(tagsFor(scope, level)).toEqual(tags);
  });

  it('never include administrator', () => {
    for (const level of ['read-only', 'write', 'destructive'] as const) {
      for (const scope of [
        { vhosts: [], queues: [] },
        { vhosts: ['a'], queues: ['b'] },
      ]) {
        expect(tagsFor(scope, level)).not.toContain('administrator');
      }
    }
  });
});

describe('the plan', () => {
  it('covers the vhosts of the broker that --vhosts matches', () => {
    const plan = planUser({
      scope: { vhosts: ['prod-*', '!prod-billing'], queues: [] },
      level: 'read-only',
      brokerVhosts: ['/', 'prod-b', 'prod-a', 'prod-billing'],
    });
    expect(plan.permissions.map((entry) => entry.vhost)).toEqual(['prod-a', 'prod-b']);
    expect(plan.notes.join('\n')).toMatch(/vhosts created later .* run this command again/);
  });

  it('refuses a scope that matches no vhost, naming those there are', () => {
    expect(() => planUser({ scope: { vhosts: ['prod-*'], queues: [] }, level: 'read-only', brokerVhosts: ['/', 'dev'] })).toThrow(
      new PlanError("no vhost on the broker matches --vhosts prod-* (it has '/', 'dev'): create the vhost first or change the pattern"),
    );
  });

  it('says what the broker refuses and what stays the server’s job under --queues at write', () => {
    const plan = planUser({ scope: { vhosts: ['prod'], queues: ['orders-*'] }, level: 'write', brokerVhosts: ['prod'] });
    expect(plan.brokerEnforces.join('\n')).toMatch(/outside --queues orders-\* cannot be declared, deleted, bound, read/);
    expect(plan.brokerEnforces.join('\n')).toMatch(/no publishing to a queue by name/);
    expect(plan.serverOnly.join('\n')).toMatch(/nothing is removed below --allow-destructive/);
    expect(plan.serverOnly.join('\n')).toMatch(/routed into hidden queues by exchanges in scope/);
    expect(plan.notes.join('\n')).toMatch(/only exchanges whose names match --queues orders-\*/);
  });

  it('says a policymaker’s shovels are the server’s to keep inside --vhosts', () => {
    const plan = planUser({ scope: { vhosts: ['prod'], queues: [] }, level: 'write', brokerVhosts: ['prod'] });
    expect(plan.tags).toContain('policymaker');
    expect(plan.serverOnly.join('\n')).toMatch(/shovels and federation links into vhosts outside --vhosts prod/);
  });
});
