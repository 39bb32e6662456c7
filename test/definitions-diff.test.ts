import { describe, expect, it } from 'vitest';
import { type Diff, diffDefinitions } from '../server/tools/definitions/diff.js';

type Item = Record<string, unknown>;
type Section = 'added' | 'changed' | 'conflicts' | 'skipped' | 'unchanged';

/** The plan as a reader checks it: per section, "kind label: detail" lines; empty sections left out. */
function plan(diff: Diff): Partial<Record<Section | 'blockers', string[]>> {
  const summary: Partial<Record<Section | 'blockers', string[]>> = {};
  for (const section of ['added', 'changed', 'conflicts', 'skipped', 'unchanged'] as const) {
    const lines = diff[section].map((entry) => `${entry.kind.one} ${entry.label}${entry.detail ? `: ${entry.detail}` : ''}`);
    if (lines.length > 0) summary[section] = lines;
  }
  if (diff.blockers.length > 0) summary.blockers = diff.blockers;
  return summary;
}

const queue = (name: string, fields: Item = {}) => ({ name, durable: true, auto_delete: false, arguments: {}, ...fields });
const exchange = (name: string, fields: Item = {}) => ({
  name,
  type: 'direct',
  durable: true,
  auto_delete: false,
  internal: false,
  arguments: {},
  ...fields,
});
const binding = (source: string, destination: string, fields: Item = {}) => ({
  source,
  destination,
  destination_type: 'queue',
  routing_key: 'k',
  arguments: {},
  ...fields,
});

describe('the definitions diff of a vhost-level import', () => {
  const cases: { case: string; wanted: Item; current: Item; plan: ReturnType<typeof plan> }[] = [
    { case: 'an empty document changes nothing', wanted: {}, current: { queues: [queue('q')] }, plan: {} },
    {
      case: 'a queue that does not exist is added, with its arguments',
      wanted: { queues: [queue('q', { arguments: { 'x-max-length': 5 } })] },
      current: {},
      plan: { added: [`queue 'q': {"x-max-length":5}`] },
    },
    {
      case: 'a queue as it exists is unchanged',
      wanted: { queues: [queue('q')] },
      current: { queues: [queue('q')] },
      plan: { unchanged: ["queue 'q'"] },
    },
    {
      case: 'arguments in another key order are the same arguments',
      wanted: { queues: [queue('q', { arguments: { a: 1, b: { c: 2, d: 3 } } })] },
      current: { queues: [queue('q', { arguments: { b: { d: 3, c: 2 }, a: 1 } })] },
      plan: { unchanged: ["queue 'q'"] },
    },
    {
      case: 'a queue that differs is a conflict, since RabbitMQ cannot change it in place',
      wanted: { queues: [queue('q', { durable: false })] },
      current: { queues: [queue('q')] },
      plan: { conflicts: ["queue 'q': durable true → false"] },
    },
    {
      case: 'an exchange of another type is a conflict',
      wanted: { exchanges: [exchange('e', { type: 'topic' })] },
      current: { exchanges: [exchange('e')] },
      plan: { conflicts: [`exchange 'e': type "direct" → "topic"`] },
    },
    {
      case: 'a policy that differs is changed, field by field',
      wanted: { policies: [{ name: 'p', pattern: '^a', definition: { 'max-length': 10 }, priority: 5 }] },
      current: { policies: [{ name: 'p', pattern: '^a', 'apply-to': 'all', definition: { 'max-length': 10 }, priority: 0 }] },
      plan: { changed: ["policy 'p': priority 0 → 5"] },
    },
    {
      case: "a policy's unstated apply-to and priority mean RabbitMQ's defaults",
      wanted: { policies: [{ name: 'p', pattern: '^a', definition: { 'max-length': 10 } }] },
      current: { policies: [{ name: 'p', pattern: '^a', 'apply-to': 'all', definition: { 'max-length': 10 }, priority: 0 }] },
      plan: { unchanged: ["policy 'p'"] },
    },
    {
      case: 'a new policy shows its pattern and definition',
      wanted: { policies: [{ name: 'p', pattern: '^a', definition: { 'max-length': 10 } }] },
      current: {},
      plan: { added: [`policy 'p': pattern "^a" → {"max-length":10}`] },
    },
    {
      case: 'queues and exchanges with reserved names are skipped',
      wanted: { queues: [queue('amq.gen-1')], exchanges: [exchange(''), exchange('amq.direct')] },
      current: {},
      plan: {
        skipped: [
          "queue 'amq.gen-1': reserved name: RabbitMQ skips it",
          "exchange '': reserved name: RabbitMQ skips it",
          "exchange 'amq.direct': reserved name: RabbitMQ skips it",
        ],
      },
    },
    {
      case: 'a binding whose ends are in the document or the broker is added; others are skipped',
      wanted: {
        exchanges: [exchange('in-doc')],
        bindings: [binding('in-doc', 'existing'), binding('missing', 'existing'), binding('amq.topic', 'gone'), binding('', 'existing')],
      },
      current: { queues: [queue('existing')] },
      plan: {
        added: ["exchange 'in-doc': direct", "binding 'in-doc' → queue 'existing' key 'k'"],
        skipped: [
          "binding 'missing' → queue 'existing' key 'k': exchange 'missing' neither exists nor is in the document: RabbitMQ skips the binding",
          "binding 'amq.topic' → queue 'gone' key 'k': queue 'gone' neither exists nor is in the document: RabbitMQ skips the binding",
          "binding (default) → queue 'existing' key 'k': the default exchange's bindings are implicit: RabbitMQ skips it",
        ],
      },
    },
    {
      case: 'bindings differing only in arguments are different bindings',
      wanted: { bindings: [binding('amq.direct', 'q', { arguments: { x: 1 } })] },
      current: { queues: [queue('q')], bindings: [binding('amq.direct', 'q')] },
      plan: { added: [`binding 'amq.direct' → queue 'q' key 'k' {"x":1}`] },
    },
    {
      case: 'a parameter still holding a masked credential blocks the import',
      wanted: { parameters: [{ component: 'shovel', name: 's', value: { 'src-uri': 'amqp://u:***@h' } }] },
      current: {},
      plan: {
        added: ["parameter shovel 's'"],
        blockers: [
          "parameter shovel 's' holds a credential masked as *** (export_definitions masks them): put the real value back or leave it out",
        ],
      },
    },
    {
      case: 'a credential that differs is said to differ, never shown',
      wanted: { parameters: [{ component: 'shovel', name: 's', value: { 'src-uri': 'amqp://u:new@h' } }] },
      current: { parameters: [{ component: 'shovel', name: 's', value: { 'src-uri': 'amqp://u:old@h' } }] },
      plan: { changed: ["parameter shovel 's': value: a credential differs (not shown)"] },
    },
  ];

  it.each(cases)('$case', ({ wanted, current, plan: expected }) => {
    expect(plan(diffDefinitions(wanted, current, 'v'))).toEqual(expected);
  });
});

describe('the definitions diff of users', () => {
  const hashed = { name: 'u', password_hash: 'h1', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'a,b' };
  const cases: { case: string; wanted: Item; verifying?: boolean; plan: ReturnType<typeof plan> }[] = [
    { case: 'tags in another order or form are the same tags', wanted: { ...hashed, tags: ['b', 'a'] }, plan: { unchanged: ["user 'u'"] } },
    {
      case: 'another password hash replaces the password, unshown',
      wanted: { ...hashed, password_hash: 'h2' },
      plan: { changed: ["user 'u': password hash replaced (not shown)"] },
    },
    {
      case: 'a plain password sets it, unshown',
      wanted: { name: 'u', password: 'pw', tags: 'a,b' },
      plan: { changed: ["user 'u': password set (not shown)"] },
    },
    {
      case: 'a plain password cannot be read back, so verifying counts it as matching',
      wanted: { name: 'u', password: 'pw', tags: 'a,b' },
      verifying: true,
      plan: { unchanged: ["user 'u'"] },
    },
    {
      case: 'an existing user without a password hash in the document blocks: it would clear the password',
      wanted: { name: 'u', tags: 'a,b' },
      plan: {
        unchanged: ["user 'u'"],
        blockers: [
          "user 'u' has no password_hash: importing would clear that user's password (export_definitions strips hashes); add password or password_hash, or leave the users out",
        ],
      },
    },
    {
      case: 'both a password and a hash block: RabbitMQ refuses that',
      wanted: { ...hashed, password: 'pw' },
      plan: {
        unchanged: ["user 'u'"],
        blockers: ["user 'u' has both password and password_hash; RabbitMQ refuses that: keep one"],
      },
    },
  ];

  it.each(cases)('$case', ({ wanted, verifying, plan: expected }) => {
    const current = { vhosts: [{ name: '/' }], users: [hashed] };
    expect(plan(diffDefinitions({ users: [wanted] }, current, undefined, verifying))).toEqual(expected);
  });

  it('a new user without a password is added, and says so', () => {
    expect(plan(diffDefinitions({ users: [{ name: 'new', tags: '' }] }, {}, undefined))).toEqual({
      added: ["user 'new': no tags, no password"],
    });
  });
});

describe('the definitions diff of a whole-broker import', () => {
  const cases: { case: string; wanted: Item; current: Item; plan: ReturnType<typeof plan> }[] = [
    {
      case: 'objects are labelled with their vhost',
      wanted: { queues: [queue('q', { vhost: 'a' })] },
      current: { vhosts: [{ name: 'a' }] },
      plan: { added: ["queue 'q' in vhost 'a'"] },
    },
    {
      case: 'the same name in another vhost is another object',
      wanted: { queues: [queue('q', { vhost: 'a' })] },
      current: { vhosts: [{ name: 'a' }, { name: 'b' }], queues: [queue('q', { vhost: 'b' })] },
      plan: { added: ["queue 'q' in vhost 'a'"] },
    },
    {
      case: 'an object without a vhost blocks',
      wanted: { queues: [queue('q')] },
      current: {},
      plan: {
        added: ["queue 'q' in vhost 'undefined'"],
        blockers: ["1 queue without a vhost (e.g. 'q'): a whole-broker import needs one on each; pass vhost to import into one vhost"],
      },
    },
    {
      case: 'a vhost neither on the broker nor in the document blocks',
      wanted: { queues: [queue('q', { vhost: 'nowhere' })] },
      current: { vhosts: [{ name: '/' }] },
      plan: {
        added: ["queue 'q' in vhost 'nowhere'"],
        blockers: ["vhost 'nowhere' does not exist and the document does not create it: RabbitMQ would fail the import partway"],
      },
    },
    {
      case: 'a vhost the document creates is known',
      wanted: { vhosts: [{ name: 'new' }], queues: [queue('q', { vhost: 'new' })] },
      current: {},
      plan: { added: ["vhost 'new'", "queue 'q' in vhost 'new'"] },
    },
    {
      case: 'permissions for a user neither on the broker nor in the document block',
      wanted: { permissions: [{ user: 'ghost', vhost: '/', configure: '.*', write: '.*', read: '.*' }] },
      current: { vhosts: [{ name: '/' }] },
      plan: {
        added: [`permission user 'ghost' in vhost '/': configure ".*" write ".*" read ".*"`],
        blockers: ["permissions name user 'ghost', who neither exists nor is in the document"],
      },
    },
    {
      case: "a 3.11+ vhost's metadata counts as its description and tags",
      wanted: { vhosts: [{ name: 'a', metadata: { description: 'new', tags: ['t'] } }] },
      current: { vhosts: [{ name: 'a', description: 'old', tags: ['t'] }] },
      plan: { changed: [`vhost 'a': description "old" → "new"`] },
    },
    {
      case: "RabbitMQ's 'undefined' default queue type is no default queue type",
      wanted: { vhosts: [{ name: 'a', default_queue_type: 'classic' }] },
      current: { vhosts: [{ name: 'a', default_queue_type: 'undefined' }] },
      plan: { changed: [`vhost 'a': default_queue_type none → "classic"`] },
    },
  ];

  it.each(cases)('$case', ({ wanted, current, plan: expected }) => {
    expect(plan(diffDefinitions(wanted, current, undefined))).toEqual(expected);
  });
});
