import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestVhost, admin, createTestVhost, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { useBrokerFixture, useTestVhost } from './support/broker-fixture.js';
import { callToolAsIs, handleOf, jsonBelowSummary } from './support/tool-answer.js';

/**
 * export_definitions, import_definitions and the definitions resource against the real broker:
 * a realistic topology in one vhost, exported and imported into fresh ones. Each case makes the
 * vhost it imports into, so the cases pass alone and in any order.
 */
type Item = Record<string, unknown>;

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-defs-src', args: ['--allow-destructive'] });
const source = fixture.vhost;
const target = useTestVhost('mcp-defs-dst');
const made: TestVhost[] = [];
const user = uniqueName('mcp-defs-user');
const password = `pw-${randomBytes(8).toString('hex')}`;
const importedUser = uniqueName('mcp-defs-imported');
const FED_SECRET = `fed-${randomBytes(8).toString('hex')}`;
const enc = encodeURIComponent;

let exportedOnce: Promise<{ exported: Item; restored: Item }> | undefined;

/**
 * The source vhost as export_definitions gives it, and the same document with the upstream
 * password the export masked put back, as a user would before importing it.
 */
function exportedSource(): Promise<{ exported: Item; restored: Item }> {
  exportedOnce ??= fixture.mcp.call('export_definitions', { vhost: source.name }).then((answer) => {
    const exported = jsonBelowSummary(answer) as Item;
    const restored = JSON.parse(JSON.stringify(exported).replaceAll('feduser:***@', `feduser:${FED_SECRET}@`)) as Item;
    return { exported, restored };
  });
  return exportedOnce;
}

/** A new, empty vhost the guest user may use, removed after the file. */
async function freshVhost(): Promise<string> {
  const vhost = await createTestVhost('mcp-defs-fresh');
  made.push(vhost);
  return vhost.name;
}

/** A new vhost that already holds the source's topology, imported through the broker's own API. */
async function importedVhost(): Promise<{ vhost: string; restored: Item }> {
  const { restored } = await exportedSource();
  const vhost = await freshVhost();
  await admin('POST', `/definitions/${enc(vhost)}`, restored);
  return { vhost, restored };
}

async function setUpTopology(vhost: string): Promise<void> {
  const v = enc(vhost);
  await admin('PUT', `/exchanges/${v}/orders`, { type: 'topic', durable: true });
  await admin('PUT', `/exchanges/${v}/dlx`, { type: 'fanout', durable: true });
  await admin('PUT', `/exchanges/${v}/unrouted`, { type: 'fanout', durable: true });
  await admin('PUT', `/exchanges/${v}/events`, { type: 'direct', durable: true, arguments: { 'alternate-exchange': 'unrouted' } });
  await admin('PUT', `/exchanges/${v}/audit`, { type: 'headers', durable: true, internal: true });
  await admin('PUT', `/queues/${v}/orders.paid`, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': 'dlx', 'x-max-length': 1000, 'x-overflow': 'reject-publish' },
  });
  await admin('PUT', `/queues/${v}/payments`, {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5, 'x-dead-letter-exchange': 'dlx' },
  });
  await admin('PUT', `/queues/${v}/dead-letters`, { durable: true, arguments: { 'x-message-ttl': 86_400_000 } });
  await admin('PUT', `/queues/${v}/unrouted.q`, { durable: true });
  await admin('POST', `/bindings/${v}/e/orders/q/orders.paid`, { routing_key: 'order.*.paid' });
  await admin('POST', `/bindings/${v}/e/orders/q/payments`, { routing_key: 'order.#', arguments: { 'x-note': 'payments' } });
  await admin('POST', `/bindings/${v}/e/dlx/q/dead-letters`, { routing_key: '' });
  await admin('POST', `/bindings/${v}/e/unrouted/q/unrouted.q`, { routing_key: '' });
  await admin('POST', `/bindings/${v}/e/events/e/orders`, { routing_key: 'order.created', arguments: { 'x-origin': 'events' } });
  await admin('POST', `/bindings/${v}/e/audit/q/dead-letters`, { routing_key: '', arguments: { 'x-match': 'all', kind: 'audit' } });
  await admin('PUT', `/policies/${v}/ttl-orders`, {
    pattern: '^orders\\.',
    'apply-to': 'queues',
    definition: { 'message-ttl': 60_000 },
    priority: 1,
  });
  await admin('PUT', `/parameters/federation-upstream/${v}/upstream-a`, {
    value: { uri: `amqp://feduser:${FED_SECRET}@127.0.0.1:5672/%2F`, expires: 3_600_000 },
  });
}

/** JSON with sorted keys: equal objects compare equal whatever order the broker lists their keys in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

function pick(items: Item[], fields: string[]): string[] {
  return items.map((item) => canonical(Object.fromEntries(fields.map((field) => [field, item[field]])))).sort();
}

/** What the broker really has in a vhost, vhost names left out; the upstream secret shown as a placeholder. */
async function brokerState(vhost: string): Promise<Record<string, string[]>> {
  const v = enc(vhost);
  return {
    queues: pick(await admin<Item[]>('GET', `/queues/${v}`), ['name', 'type', 'durable', 'auto_delete', 'arguments']),
    exchanges: pick(await admin<Item[]>('GET', `/exchanges/${v}`), ['name', 'type', 'durable', 'auto_delete', 'internal', 'arguments']),
    bindings: pick(await admin<Item[]>('GET', `/bindings/${v}`), ['source', 'destination', 'destination_type', 'routing_key', 'arguments']),
    policies: pick(await admin<Item[]>('GET', `/policies/${v}`), ['name', 'pattern', 'apply-to', 'definition', 'priority']),
    upstreams: pick(await admin<Item[]>('GET', `/parameters/federation-upstream/${v}`), ['name', 'value']).map((text) =>
      text.replaceAll(FED_SECRET, '<secret>'),
    ),
  };
}

function list(document: Item, key: string): Item[] {
  return (document[key] as Item[] | undefined) ?? [];
}

/** The exported exchanges the broker's own document lacks. */
function leftOutByBroker(exported: Item, raw: Item): Item[] {
  const names = new Set(list(raw, 'exchanges').map((exchange) => exchange.name));
  return list(exported, 'exchanges').filter((exchange) => !names.has(exchange.name));
}

async function canLogIn(name: string, secret: string): Promise<boolean> {
  const response = await fetch(`http://${BROKER.host}:${BROKER.httpPort}/api/whoami`, {
    headers: { authorization: `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}` },
  });
  return response.ok;
}

function importing(definitions: unknown, more: Record<string, unknown> = {}) {
  return fixture.mcp.call('import_definitions', { definitions, ...more });
}

beforeAll(async () => {
  await admin('PUT', `/users/${enc(user)}`, { password, tags: 'management' });
  await setUpTopology(source.name);
});

afterAll(async () => {
  await admin('DELETE', `/users/${enc(user)}`);
  await admin('DELETE', `/users/${enc(importedUser)}`).catch(() => undefined);
  for (const vhost of made) await vhost.remove();
});

describe('export_definitions', () => {
  it("exports a vhost as a summary line and JSON that matches the broker's own definitions", async () => {
    const answer = await fixture.mcp.call('export_definitions', { vhost: source.name });
    expect(answer.isError).toBe(false);
    const raw = await admin<Item>('GET', `/definitions/${enc(source.name)}`);
    const exported = jsonBelowSummary(answer) as Item;
    const leftOut = leftOutByBroker(exported, raw);
    for (const key of ['queues', 'exchanges', 'bindings', 'policies']) {
      const mine = list(exported, key).filter((item) => !leftOut.includes(item));
      expect(mine.map(canonical).sort(), key).toEqual(list(raw, key).map(canonical).sort());
    }
    const summary = answer.text.split('\n', 1)[0];
    expect(summary).toContain(`Definitions of vhost '${source.name}'`);
    expect(summary).toContain(`${list(raw, 'queues').length} queues, ${list(exported, 'exchanges').length} exchanges`);
    expect(summary).toContain(`${list(raw, 'bindings').length} bindings`);
  });

  it("holds the internal exchange where the broker's own export leaves it out, and says it added it", async () => {
    const answer = await fixture.mcp.call('export_definitions', { vhost: source.name });
    const raw = await admin<Item>('GET', `/definitions/${enc(source.name)}`);
    const exported = jsonBelowSummary(answer) as Item;
    expect(list(exported, 'exchanges').find((exchange) => exchange.name === 'audit')).toMatchObject({
      type: 'headers',
      durable: true,
      auto_delete: false,
      internal: true,
    });
    const summary = answer.text.split('\n', 1)[0];
    // RabbitMQ 4.3 leaves internal exchanges out of its export; 3.10 and 4.0 keep them.
    if (leftOutByBroker(exported, raw).length === 0) expect(summary).not.toContain('Added');
    else
      expect(summary).toContain(
        "Added an exchange the broker's export left out, from its exchange list, so that the document imports back: 'audit' (internal).",
      );
  });

  it('masks the password in a federation upstream URI', async () => {
    const answer = await fixture.mcp.call('export_definitions', { vhost: source.name });
    expect(answer.text.includes(FED_SECRET), 'the export shows the upstream password').toBe(false);
    const [upstream] = list(jsonBelowSummary(answer) as Item, 'parameters');
    expect(upstream?.value).toEqual({ uri: 'amqp://feduser:***@127.0.0.1:5672/%2F', expires: 3_600_000 });
  });

  it('exports users without password hashes', async () => {
    const answer = await fixture.mcp.call('export_definitions');
    expect(answer.isError).toBe(false);
    expect(answer.text.split('\n', 1)[0]).toContain('Definitions of the whole broker');
    const { password_hash: hash } = await admin<Item>('GET', `/users/${enc(user)}`);
    expect(typeof hash).toBe('string');
    expect(answer.text.includes(hash as string), 'the export shows a password hash').toBe(false);
    expect(answer.text.includes('password_hash'), 'the export has password_hash fields').toBe(false);
    // One object per line: the user's line is whole even if a big broker's export is cut.
    const line = answer.text.split('\n').find((candidate) => candidate.includes(`"name":${JSON.stringify(user)}`));
    const exportedUser = JSON.parse((line ?? '').trim().replace(/,$/, '')) as Item;
    expect(exportedUser.tags).toEqual(['management']);
    expect(exportedUser).not.toHaveProperty('hashing_algorithm');
  });

  it('says when the vhost does not exist', async () => {
    const missing = uniqueName('mcp-defs-missing');
    const answer = await fixture.mcp.call('export_definitions', { vhost: missing });
    expect(answer).toEqual({ isError: true, text: `vhost '${missing}' not found; list_vhosts shows the existing ones` });
  });
});

describe('import_definitions', () => {
  it('refuses a document whose credentials the export masked, and changes nothing', async () => {
    const { exported } = await exportedSource();
    const before = await brokerState(target.name);
    const answer = await importing(exported, { vhost: target.name, confirm: true });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain("federation-upstream 'upstream-a' holds a credential masked as ***");
    expect(await brokerState(target.name)).toEqual(before);
  });

  it('previews the import into a fresh vhost as a dry run that adds every object and changes nothing', async () => {
    const { restored } = await exportedSource();
    const fresh = await freshVhost();
    const before = await brokerState(fresh);
    const answer = await importing(restored, { vhost: fresh });
    expect(answer.isError).toBe(false);
    expect(answer.text).toMatch(/^Dry run: would import into vhost/);
    expect(answer.text).toContain('Nothing was changed');
    for (const key of ['parameters', 'policies', 'queues', 'exchanges', 'bindings']) {
      expect(answer.text).toContain(`${key}: ${list(restored, key).length} to add\n`);
    }
    for (const queue of list(restored, 'queues')) expect(answer.text).toContain(`add '${String(queue.name)}'`);
    for (const exchange of list(restored, 'exchanges'))
      expect(answer.text).toContain(`add '${String(exchange.name)}': ${String(exchange.type)}`);
    expect(answer.text).not.toMatch(/unchanged|to change|conflict/);
    expect(answer.text.includes(FED_SECRET), 'the dry run shows the upstream password').toBe(false);
    expect(await brokerState(fresh)).toEqual(before);
  });

  it('imports into a fresh vhost, reporting progress, and reproduces the topology', async () => {
    const { restored } = await exportedSource();
    const fresh = await freshVhost();
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const dryRun = await fixture.mcp.call('import_definitions', { definitions: restored, vhost: fresh });
    const { text, isError } = await callToolAsIs(
      fixture.mcp.client,
      'import_definitions',
      { definitions: restored, vhost: fresh, confirm: handleOf(dryRun.text) },
      { onprogress: (update) => progress.push(update) },
    );
    expect(isError, text).toBe(false);
    const total = ['queues', 'exchanges', 'bindings', 'policies', 'parameters'].reduce((sum, key) => sum + list(restored, key).length, 0);
    expect(text).toContain(`Imported into vhost '${fresh}'`);
    expect(text).toContain(`${total} added, 0 changed. Verified: all ${total} now match the document.`);
    expect(text.includes(FED_SECRET), 'the import report shows the upstream password').toBe(false);
    expect(progress.map((update) => [update.progress, update.total])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(await brokerState(fresh)).toEqual(await brokerState(source.name));
  });

  it('reports everything unchanged when the same document is imported again', async () => {
    const { vhost, restored } = await importedVhost();
    const answer = await importing(restored, { vhost });
    const total = ['queues', 'exchanges', 'bindings', 'policies', 'parameters'].reduce((sum, key) => sum + list(restored, key).length, 0);
    expect(answer.isError).toBe(false);
    expect(answer.text).toContain(`Nothing to import into vhost '${vhost}'`);
    expect(answer.text).toContain(`: ${total} unchanged. Nothing was changed.`);
    expect(answer.text).not.toMatch(/to add|to change|conflict/);
  });

  it('shows a changed policy field by field, old → new', async () => {
    const { vhost, restored } = await importedVhost();
    const before = await brokerState(vhost);
    const [policy] = list(restored, 'policies');
    const changed = {
      ...restored,
      policies: [{ ...policy, definition: { 'message-ttl': 120_000 }, priority: Number(policy?.priority) + 1 }],
    };
    const answer = await importing(changed, { vhost });
    expect(answer.isError).toBe(false);
    expect(answer.text).toContain('policies: 1 to change\n');
    expect(answer.text).toContain(
      `change '${String(policy?.name)}': definition ${JSON.stringify(policy?.definition)} → {"message-ttl":120000}; priority ${String(policy?.priority)} → ${Number(policy?.priority) + 1}`,
    );
    expect(await brokerState(vhost)).toEqual(before);
  });

  it('reports a queue whose type or arguments differ as a conflict the import leaves as it is', async () => {
    const { vhost, restored } = await importedVhost();
    const queues = list(restored, 'queues').map((queue) => {
      if (queue.name === 'orders.paid') return { ...queue, arguments: { ...(queue.arguments as Item), 'x-max-length': 2000 } };
      if (queue.name === 'payments') return { ...queue, arguments: {} };
      return queue;
    });
    const answer = await importing({ ...restored, queues }, { vhost, confirm: true });
    expect(answer.isError).toBe(false);
    expect(answer.text).toContain('queues: 2 conflicts');
    expect(answer.text).toMatch(/conflict 'orders\.paid': arguments \{[^\n]*"x-max-length":1000[^\n]*\} → \{[^\n]*"x-max-length":2000/);
    expect(answer.text).toMatch(/conflict 'payments': arguments \{[^\n]*"x-queue-type":"quorum"[^\n]*\} → \{\}/);
    expect(answer.text).toContain("RabbitMQ cannot change a queue's or exchange's type, flags or arguments in place");
    const paid = await admin<Item>('GET', `/queues/${enc(vhost)}/orders.paid`);
    expect((paid.arguments as Item)['x-max-length']).toBe(1000);
  });

  it('answers bad documents with errors naming the problem, and changes nothing', async () => {
    const before = await brokerState(target.name);
    const missingVhost = uniqueName('mcp-defs-missing');
    const cases: [string, unknown, Record<string, unknown>, RegExp][] = [
      [
        'text that is not JSON',
        'not json',
        { vhost: target.name },
        /^Invalid arguments for import_definitions: definitions: not valid JSON/,
      ],
      ['a JSON array', '[1, 2]', { vhost: target.name }, /definitions: must be a definitions document: a JSON object/],
      [
        'queues that are not a list',
        { queues: { name: 'q' } },
        { vhost: target.name },
        /^The definitions document is not valid: queues: .*expected array/,
      ],
      [
        'a flag of the wrong type',
        { queues: [{ name: 'bad-q', durable: 'yes', auto_delete: false }] },
        { vhost: target.name },
        /queues\[0\] 'bad-q'\.durable: .*expected boolean, received string/,
      ],
      [
        'a missing field',
        { queues: [{ name: 'bad-q', durable: true }] },
        { vhost: target.name },
        /queues\[0\] 'bad-q'\.auto_delete: .*expected boolean/,
      ],
      [
        'an unknown destination type',
        { bindings: [{ source: 'orders', destination: 'bad-q', destination_type: 'topic', routing_key: '' }] },
        { vhost: target.name },
        /bindings\[0\] \(source 'orders'\)\.destination_type: /,
      ],
      [
        'a whole-broker import of objects without a vhost',
        { queues: [{ name: 'bad-q', durable: true, auto_delete: false }] },
        {},
        /1 queue without a vhost \(e\.g\. 'bad-q'\): a whole-broker import needs one on each; pass vhost/,
      ],
      [
        'a whole-broker import into a vhost that does not exist',
        { queues: [{ name: 'bad-q', vhost: missingVhost, durable: true, auto_delete: false }] },
        {},
        new RegExp(`vhost '${missingVhost}' does not exist and the document does not create it`),
      ],
    ];
    for (const [what, definitions, more, expected] of cases) {
      const answer = await importing(definitions, { ...more, confirm: true });
      expect(answer.isError, what).toBe(true);
      expect(answer.text, what).toMatch(expected);
    }
    expect(await brokerState(target.name)).toEqual(before);
    const vhosts = await admin<Item[]>('GET', '/vhosts');
    expect(vhosts.map((vhost) => vhost.name)).not.toContain(missingVhost);
  });

  it('takes the document as a JSON string, and ignores top-level keys RabbitMQ does not know', async () => {
    const definitions = JSON.stringify({ comment: 'from a backup', queues: [{ name: 'from-text', durable: true, auto_delete: false }] });
    const answer = await importing(definitions, { vhost: target.name });
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain("queues: 1 to add\n  add 'from-text'");
  });

  it('imports a user with a password hash without ever showing the hash', async () => {
    const { password_hash: hash, hashing_algorithm: algorithm } = await admin<Item>('GET', `/users/${enc(user)}`);
    const definitions = {
      users: [{ name: importedUser, password_hash: hash, hashing_algorithm: algorithm, tags: ['monitoring'] }],
      permissions: [{ user: importedUser, vhost: target.name, configure: '', write: '', read: '.*' }],
    };
    const preview = await importing(definitions);
    expect(preview.isError, preview.text).toBe(false);
    expect(preview.text).toContain(`users: 1 to add\n  add '${importedUser}': tags monitoring`);
    expect(preview.text).toContain(`permissions: 1 to add\n  add user '${importedUser}' in vhost '${target.name}'`);
    const done = await importing(definitions, { confirm: true });
    expect(done.isError, done.text).toBe(false);
    expect(done.text).toContain('Verified: all 2 now match the document.');
    for (const text of [preview.text, done.text, fixture.mcp.logs.join('\n')]) {
      expect(text.includes(hash as string), 'a password hash was shown or logged').toBe(false);
    }
    // The hash came from the first user, so the imported one logs in with the same password.
    expect(await canLogIn(importedUser, password)).toBe(true);
  });

  it("refuses to import a user without a password hash, which would clear that user's password", async () => {
    const answer = await importing({ users: [{ name: user, tags: ['management'] }] }, { confirm: true });
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain(`user '${user}' has no password_hash: importing would clear that user's password`);
    expect(await canLogIn(user, password)).toBe(true);
  });
});

describe('definitions resource', () => {
  it("serves a vhost's definitions as JSON with credentials masked", async () => {
    const uri = `rabbitmq://vhosts/${enc(source.name)}/definitions`;
    const result = await fixture.mcp.client.readResource({ uri });
    const content = result.contents[0] as { mimeType: string; text: string };
    expect(content.mimeType).toBe('application/json');
    expect(content.text.includes(FED_SECRET), 'the resource shows the upstream password').toBe(false);
    const document = JSON.parse(content.text) as Item;
    const raw = await admin<Item>('GET', `/definitions/${enc(source.name)}`);
    expect(list(document, 'queues').map(canonical).sort()).toEqual(list(raw, 'queues').map(canonical).sort());
    expect(list(document, 'parameters')[0]?.value).toEqual({ uri: 'amqp://feduser:***@127.0.0.1:5672/%2F', expires: 3_600_000 });
  });

  it('is listed as a template and completes vhost names', async () => {
    const templates = (await fixture.mcp.client.listResourceTemplates()).resourceTemplates;
    expect(templates.find((template) => template.uriTemplate === 'rabbitmq://vhosts/{vhost}/definitions')?.mimeType).toBe(
      'application/json',
    );
    const completion = await fixture.mcp.client.complete({
      ref: { type: 'ref/resource', uri: 'rabbitmq://vhosts/{vhost}/definitions' },
      argument: { name: 'vhost', value: 'mcp-defs-src' },
    });
    expect(completion.completion.values).toContain(source.name);
  });

  it('says when the vhost does not exist', async () => {
    await expect(
      fixture.mcp.client.readResource({ uri: `rabbitmq://vhosts/${enc(uniqueName('mcp-defs-missing'))}/definitions` }),
    ).rejects.toThrow(/vhost '.*' not found/);
  });
});
