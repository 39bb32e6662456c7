import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WALKED, WALK_PAGE_SIZE, pageOfVisible } from '../server/broker/list-pages.js';
import { MATCH_BUDGET_MS, compileNameFilter, matchingItems } from '../server/broker/name-filter.js';
import { admin, createTestVhost, eventually, type TestVhost, uniqueName } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { CountingProxy } from './support/counting-proxy.js';
import { type Harness, startHarness } from './support/mcp-harness.js';
import { type ToolAnswer, jsonBelowSummary } from './support/tool-answer.js';

/**
 * A hostile caller of a scoped, read-only server (--vhosts mcp-hlist-in-*, --queues pub*) trying to
 * learn what the scope hides through lists: a page past the last one, a page size with a sort, a
 * filter with a page; names in shovels and federation links; and a filter that makes the broker's
 * backtracking regex engine burn CPU. The server talks to the management API through a proxy that
 * records every request, so "never sent to the broker" is checked on the wire.
 *
 * Vhost IN (in scope) holds pub-a, pub-b and a queue of 40 a's (shown) beside a-secret, sec-1 and
 * sec-2 (hidden by --queues); vhost OUT (hidden by --vhosts) holds pub-out-<token>.
 */
let inside: TestVhost;
let outside: TestVhost;
let proxy: CountingProxy;
let mcp: Harness;
const token = uniqueName('t').replaceAll('-', '');
const LONG = `pub-${'a'.repeat(40)}`;
const SHOWN = ['pub-a', 'pub-b', LONG];
const HIDDEN = ['a-secret', 'sec-1', 'sec-2'];
const OUT_QUEUE = `pub-out-${token}`;
const q = encodeURIComponent;

beforeAll(async () => {
  inside = await createTestVhost('mcp-hlist-in');
  outside = await createTestVhost('mcp-hlist-out');
  for (const name of [...SHOWN, ...HIDDEN]) await admin('PUT', `/queues/${q(inside.name)}/${q(name)}`, { durable: true });
  await admin('PUT', `/queues/${q(outside.name)}/${q(OUT_QUEUE)}`, { durable: true });
  proxy = new CountingProxy(BROKER.host, BROKER.httpPort);
  const port = await proxy.start();
  mcp = await startHarness({
    // --output-schemas: get_overview's counts are checked in its structured result too.
    args: ['--vhosts', 'mcp-hlist-in-*', '--queues', 'pub*', '--output-schemas'],
    env: { AMQP_VHOST: inside.name, HTTP_PORT: String(port) },
  });
});

afterAll(async () => {
  await mcp?.close();
  await proxy?.stop();
  await inside?.remove();
  await outside?.remove();
});

/** What the management_api tool answered, without the request it repeats. */
function answerBody(answer: ToolAnswer): string {
  return answer.isError ? `error: ${answer.text.replace(/GET \S+/, 'GET <request>')}` : JSON.stringify(jsonBelowSummary(answer));
}

describe('pages and counts of a scoped list', () => {
  // Each pair asks twice in a way that differs only in what the scope hides (or in a filter that
  // keeps exactly what it shows): the answers must be the same, or the difference is an oracle.
  const PAIRS: [string, () => string, () => string][] = [
    [
      'a page past the last one, with a regex that matches only hidden names',
      () => `/api/queues/${q(inside.name)}?page=2&page_size=1&name=%5Esec&use_regex=true`,
      () => `/api/queues/${q(inside.name)}?page=2&page_size=1&name=%5Ezzz&use_regex=true`,
    ],
    [
      'a page of one, sorted by name, where a hidden name sorts first',
      () => `/api/queues/${q(inside.name)}?page=1&page_size=1&sort=name&columns=name`,
      () => `/api/queues/${q(inside.name)}?page=1&page_size=1&sort=name&columns=name&name=pub-`,
    ],
    [
      'a filter and a page across every vhost, matching a queue of a --vhosts-denied vhost',
      () => `/api/queues?page=2&page_size=1&name=${OUT_QUEUE}`,
      () => `/api/queues?page=2&page_size=1&name=pub-none-${token}`,
    ],
  ];

  it.each(PAIRS)('management_api: %s reads the same as one that reaches nothing hidden', async (_spelling, probe, control) => {
    const [probed, controlled] = [
      await mcp.call('management_api', { path: probe() }),
      await mcp.call('management_api', { path: control() }),
    ];
    expect(answerBody(probed)).toBe(answerBody(controlled));
  });

  /** A GET through the management client as any caller words it, answered as text. */
  async function clientAnswer(path: string): Promise<string> {
    const url = new URL(path, 'http://broker');
    return mcp.broker.management.request('GET', url.pathname, { query: Object.fromEntries(url.searchParams) }).then(
      (response) => JSON.stringify(response.body),
      (error: Error) => `error: ${error.message}`,
    );
  }

  it.each(PAIRS)(
    'the management client, whoever calls it: %s reads the same as one that reaches nothing hidden',
    async (_spelling, probe, control) => {
      const before = proxy.requests.length;
      expect(await clientAnswer(probe())).toBe(await clientAnswer(control()));
      for (const request of proxy.requests.slice(before)) expect(request.url).not.toMatch(/[?&](name|use_regex)=/);
    },
  );

  it('the management client cuts a page of one, sorted by name, from what the scope shows', async () => {
    const answer = JSON.parse(await clientAnswer(`/api/queues/${q(inside.name)}?page=1&page_size=1&sort=name&columns=name`));
    expect(answer).toMatchObject({ items: [{ name: 'pub-a' }], page: 1, page_count: 3, filtered_count: 3, total_count: 3 });
  });

  it('list_queues counts and pages only what the scope shows, a page past the last one included', async () => {
    const page = await mcp.call('list_queues', { page_size: 2, page: 2 });
    expect(page.text).toContain('Page 2 of 2, 3 matching.');
    expect(page.text).toContain('\npub-b |');
    const first = await mcp.call('list_queues', { page_size: 1, sort: 'name' });
    expect(first.text).toContain('\npub-a |');
    const past = await mcp.call('list_queues', { page_size: 2, page: 3, filter: '^(a|s)' });
    const pastControl = await mcp.call('list_queues', { page_size: 2, page: 3, filter: '^zzz' });
    expect(past.text.replace('^(a|s)', '<filter>')).toBe(pastControl.text.replace('^zzz', '<filter>'));
  });

  it.each([
    ['list_queues', {}],
    ['list_exchanges', {}],
    ['list_bindings', {}],
    ['list_links', {}],
    ['list_policies', {}],
    ['list_connections', {}],
  ])('%s on a --vhosts-denied vhost reads as on a missing one the scope would hide', async (tool, args) => {
    const missing = `mcp-hlist-out-missing-${token}`;
    const [denied, absent] = [await mcp.call(tool, { ...args, vhost: outside.name }), await mcp.call(tool, { ...args, vhost: missing })];
    expect(denied.isError).toBe(true);
    expect(denied.text.replaceAll(outside.name, '<vhost>')).toBe(absent.text.replaceAll(missing, '<vhost>'));
  });
});

describe('shovels and federation made by others', () => {
  const v = () => q(inside.name);
  beforeAll(async () => {
    // From a queue the scope hides, in the vhost it shows.
    await admin('PUT', `/parameters/shovel/${v()}/from-hidden`, {
      value: { 'src-uri': `amqp:///${v()}`, 'src-queue': 'sec-1', 'dest-uri': `amqp:///${v()}`, 'dest-queue': 'pub-b' },
    });
    // To a queue of a vhost the scope hides.
    await admin('PUT', `/parameters/shovel/${v()}/to-denied`, {
      value: { 'src-uri': `amqp:///${v()}`, 'src-queue': 'pub-a', 'dest-uri': `amqp:///${q(outside.name)}`, 'dest-queue': OUT_QUEUE },
    });
    // A federation link that a policy makes for a hidden queue, from an upstream in the vhost shown.
    await admin('PUT', `/parameters/federation-upstream/${v()}/upstream-in`, { value: { uri: `amqp:///${v()}`, queue: 'pub-b' } });
    await admin('PUT', `/policies/${v()}/federate-sec-2`, {
      pattern: '^sec-2$',
      'apply-to': 'queues',
      definition: { 'federation-upstream': 'upstream-in' },
    });
    await eventually(async () => {
      const links = await admin<{ queue?: string }[]>('GET', `/federation-links/${v()}`);
      return links.some((link) => link.queue === 'sec-2') ? true : undefined;
    }, 'the federation link of sec-2');
  });
  afterAll(async () => {
    // The shovels would move the messages later tests count (sec-1 to pub-b, pub-a to the denied vhost).
    await admin('DELETE', `/parameters/shovel/${v()}/from-hidden`);
    await admin('DELETE', `/parameters/shovel/${v()}/to-denied`);
    await admin('DELETE', `/policies/${v()}/federate-sec-2`);
    await admin('DELETE', `/parameters/federation-upstream/${v()}/upstream-in`);
  });

  it.each([
    ['a shovel from a hidden queue', () => ['sec-1']],
    ['a shovel to a queue of a --vhosts-denied vhost', () => [OUT_QUEUE, outside.name]],
    ['a federation link of a hidden queue', () => ['sec-2']],
  ])('list_links does not name %s', async (_spelling, names) => {
    const answer = await mcp.call('list_links', {});
    expect(answer.isError).toBe(false);
    for (const name of names()) expect(answer.text).not.toContain(name);
  });
});

describe('a filter that backtracks in the broker', () => {
  // PCRE (the broker's engine) takes time exponential or polynomial in the name on these; RE2 does not.
  it.each([
    ['(a?){20}a{20}$', [LONG]],
    ['^(.+)+y$', []],
    ['a*a*a*b$', ['pub-b']],
  ])('list_queues matches %s here and never sends it to the broker', async (filter, expected) => {
    const before = proxy.requests.length;
    const answer = await mcp.call('list_queues', { filter });
    const sent = proxy.requests.slice(before);
    expect(answer.isError, answer.text).toBe(false);
    const listed = answer.text.split('\n').filter((line) => line.startsWith('pub-') || line.startsWith('a-') || line.startsWith('sec-'));
    expect(listed.map((line) => line.split(' | ')[0])).toEqual(expected);
    expect(sent.length).toBeGreaterThan(0);
    for (const request of sent) {
      const query = new URL(request.url, 'http://broker').searchParams;
      expect(query.has('use_regex'), request.url).toBe(false);
      expect(query.has('name'), request.url).toBe(false);
    }
  });

  it('the escape hatch does not pass a caller regex on either', async () => {
    const before = proxy.requests.length;
    await mcp.call('management_api', {
      path: `/api/queues/${q(inside.name)}?page=1&page_size=10&name=${q('(a?){20}a{20}$')}&use_regex=true`,
    });
    for (const request of proxy.requests.slice(before)) expect(request.url).not.toMatch(/[?&](name|use_regex)=/);
  });

  it('a filter whose automaton explodes over many long names is stopped at the budget, saying what to do', async () => {
    // Random a's and b's (a fixed seed), a pattern with no literal to rule names out first: RE2's
    // lazy DFA meets a new state at almost every character (about 2 ms a name here).
    let seed = 42;
    const letter = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) & 1024 ? 'a' : 'b');
    const names = Array.from({ length: 20_000 }, () => Array.from({ length: 255 }, letter).join(''));
    const filter = await compileNameFilter('.*a.{60}$');
    await expect(matchingItems(names, filter, (name) => [name])).rejects.toThrow(
      new RegExp(`was stopped after matching \\d+ of 20000 names for ${MATCH_BUDGET_MS / 1000} s; use a simpler one`),
    );
  });
});

describe('walking a long list', () => {
  interface Item {
    vhost: string;
    name: string;
    messages?: number;
  }
  /** A list of `count` queues served as the broker serves it (500 a page), remembering what was asked. */
  function brokerPages(count: number) {
    const asked: { page: number; columns: readonly string[] | undefined }[] = [];
    const fetchPage = async (page: number, columns: readonly string[] | undefined) => {
      asked.push({ page, columns });
      const first = (page - 1) * WALK_PAGE_SIZE;
      const items = Array.from({ length: Math.max(0, Math.min(WALK_PAGE_SIZE, count - first)) }, (_, index): Item => {
        const number = first + index;
        const item: Item = { vhost: 'v', name: `q-${String(number).padStart(6, '0')}` };
        return columns === undefined || columns.includes('messages') ? { ...item, messages: number % 7 } : item;
      });
      return { items, pageCount: Math.ceil(count / WALK_PAGE_SIZE) };
    };
    return { asked, fetchPage };
  }

  it(`looks at no more than ${MAX_WALKED} objects and says so`, async () => {
    const { asked, fetchPage } = brokerPages(MAX_WALKED + 5_000);
    const page = await pageOfVisible(fetchPage, 'queues', { page: 1, pageSize: 10, columns: ['name', 'messages'] }, (items) => items);
    expect(page).toMatchObject({ walkedOnly: MAX_WALKED, totalCount: MAX_WALKED, filteredCount: MAX_WALKED });
    expect(asked.length).toBe(MAX_WALKED / WALK_PAGE_SIZE);
  });

  it('walks with the columns that tell objects apart, then fetches the columns asked for from the broker pages the items were on', async () => {
    const { asked, fetchPage } = brokerPages(1_600);
    const filter = await compileNameFilter('-0012[0-9][0-9]$');
    const page = await pageOfVisible(fetchPage, 'queues', { page: 2, pageSize: 50, filter, columns: ['name', 'messages'] }, (items) =>
      items.filter((item) => !item.name.endsWith('5')),
    );
    expect(page).toMatchObject({ page: 2, pageCount: 2, filteredCount: 90, totalCount: 1_440 });
    expect(page.items.map((item) => item.name)).toEqual(
      Array.from({ length: 100 }, (_, index) => `q-${String(1_200 + index).padStart(6, '0')}`)
        .filter((name) => !name.endsWith('5'))
        .slice(50),
    );
    expect(page.items.every((item) => item.messages !== undefined)).toBe(true);
    expect(asked).toEqual([
      { page: 1, columns: ['name', 'messages', 'vhost'] },
      { page: 2, columns: ['vhost', 'name'] },
      { page: 3, columns: ['vhost', 'name'] },
      { page: 4, columns: ['vhost', 'name'] },
      { page: 3, columns: ['name', 'messages', 'vhost'] },
    ]);
  });
});

describe("get_overview's counts under a scope", () => {
  it('count only what the scope shows: hidden queues, their messages and a denied vhost add nothing', async () => {
    const publish = (vhost: string, queue: string, count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          admin('POST', `/exchanges/${q(vhost)}/amq.default/publish`, {
            routing_key: queue,
            payload: `m${i}`,
            payload_encoding: 'string',
            properties: {},
          }),
        ),
      );
    await publish(inside.name, 'pub-a', 2);
    await publish(inside.name, 'sec-1', 7);
    await publish(outside.name, OUT_QUEUE, 5);
    // The broker's own statistics lag: wait until they show all 14 messages, then read the overview.
    await eventually(
      async () => {
        const shown = await Promise.all(
          [
            [inside.name, 'pub-a', 2],
            [inside.name, 'sec-1', 7],
            [outside.name, OUT_QUEUE, 5],
          ].map(
            async ([vhost, queue, count]) =>
              (await admin<{ messages?: number }>('GET', `/queues/${q(String(vhost))}/${q(String(queue))}`)).messages === count,
          ),
        );
        return shown.every(Boolean) ? true : undefined;
      },
      'the statistics to show the messages',
      30_000,
    );
    const answer = await mcp.call('get_overview', {});
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain('(the counts and rates below are of what it shows)');
    expect(answer.structuredContent?.messages).toBe(2);
    expect((answer.structuredContent?.objects as Record<string, number>).queues).toBe(SHOWN.length);
    expect(answer.text).toMatch(/\bmessages: 2 \(2 ready, 0 unacked\)/);
  });
});

describe("a vhost's totals under --queues", () => {
  it('are not shown by list_vhosts nor the escape hatch: they count the hidden queues too', async () => {
    await Promise.all(
      [1, 2, 3].map((i) =>
        admin('POST', `/exchanges/${q(inside.name)}/amq.default/publish`, {
          routing_key: 'sec-2',
          payload: `s${i}`,
          payload_encoding: 'string',
          properties: {},
        }),
      ),
    );
    await eventually(
      async () => ((await admin<{ messages?: number }>('GET', `/vhosts/${q(inside.name)}`)).messages ?? 0) >= 3 || undefined,
      "the vhost's statistics to count the hidden queue's messages",
      30_000,
    );
    const listed = await mcp.call('list_vhosts', {});
    expect(listed.isError, listed.text).toBe(false);
    const row = listed.text.split('\n').find((line) => line.startsWith(`${inside.name} |`));
    expect(row).toMatch(new RegExp(`^${inside.name} \\| [^|]+ \\| - \\| - \\| - \\| - \\| - \\|`));
    expect(listed.text).toContain("Counts are not shown: they include queues outside this server's scope");
    const one = await mcp.call('list_vhosts', { name: inside.name });
    expect(one.text).toContain("messages: not shown: they include queues outside this server's scope");
    for (const path of [`/api/vhosts/${q(inside.name)}`, '/api/vhosts']) {
      const answer = await mcp.call('management_api', { path });
      expect(answer.isError, answer.text).toBe(false);
      expect(answer.text, path).not.toMatch(/"messages(_ready|_unacknowledged)?"|"message_stats"|"recv_oct"/);
    }
  });
});
