import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type ChannelModel, connect } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueName } from './support/broker-admin.js';
import { type Harness, startHarness } from './support/mcp-harness.js';
import { consumeAllBodies, publishNumbered } from './support/raw-amqp.js';
import { CLUSTER_NODES } from './support/test-brokers.js';

/**
 * The server on a real three-node RabbitMQ 4.3 cluster (scripts/test-brokers.sh cluster-up) while
 * nodes stop: what it says about them, whether it keeps serving, and whether a move or a peek on
 * a quorum queue whose leader stops loses anything. The server talks to c1 only; c2 and c3 are
 * the nodes that stop. Every node stopped is started again after its test or describe block,
 * whatever happened, and the cluster is stopped after the file so that it does not load the
 * machine for the rest of the suite.
 */

const run = promisify(execFile);
const SCRIPT = new URL('../scripts/test-brokers.sh', import.meta.url).pathname;
type ClusterNode = (typeof CLUSTER_NODES)[number];
const [C1, C2, C3] = CLUSTER_NODES as [ClusterNode, ClusterNode, ClusterNode];

async function brokers(...args: string[]): Promise<void> {
  await run(SCRIPT, args, { timeout: 240_000 });
}

/** The nodes stopped by a test and by a describe block's beforeAll: each started again when its owner ends. */
const stoppedByTest = new Set<string>();
const stoppedByBlock = new Set<string>();

async function stopNode(node: ClusterNode, owner = stoppedByTest): Promise<void> {
  owner.add(node.id);
  await brokers('stop', node.id);
}

/** Starts the nodes `owner` stopped with their data (they rejoin the cluster) and waits until all three are healthy. */
async function restart(owner: Set<string>): Promise<void> {
  if (owner.size === 0) return;
  await brokers('cluster-up');
  owner.clear();
}

/** The management API of one node, outside the server under test. */
async function api<T = unknown>(node: ClusterNode, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${node.httpPort}/api${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok && !(method === 'DELETE' && response.status === 404)) {
    throw new Error(`${method} ${path} on ${node.id}: ${response.status} ${text}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

let vhost = '';
let mcp: Harness;
let raw: ChannelModel;
const queuePath = (name: string) => `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`;

/** Queues to delete once every node runs again (a deletion needs a majority of the cluster). */
const declared: string[] = [];

async function deleteDeclared(): Promise<void> {
  for (const name of declared.splice(0)) await api(C1, 'DELETE', queuePath(name));
}

/**
 * A durable queue declared through `node`'s management API, so that it lives there: a classic
 * queue on that node, a quorum queue with its leader there and members on all three.
 */
async function declare(prefix: string, node: ClusterNode, type: 'quorum' | 'classic'): Promise<string> {
  const name = uniqueName(prefix);
  declared.push(name);
  const queueArguments = type === 'quorum' ? { 'x-queue-type': 'quorum', 'x-queue-leader-locator': 'client-local' } : {};
  await api(node, 'PUT', queuePath(name), { durable: true, arguments: queueArguments });
  const queue = await api<{ node?: string; leader?: string; members?: string[] }>(node, 'GET', queuePath(name));
  expect(type === 'quorum' ? queue.leader : queue.node, `where ${name} lives`).toBe(node.name);
  if (type === 'quorum') expect(queue.members, `members of ${name}`).toHaveLength(3);
  return name;
}

async function leaderOf(queue: string): Promise<string | undefined> {
  return (await api<{ leader?: string }>(C1, 'GET', queuePath(queue))).leader;
}

async function consumersOf(queue: string): Promise<number> {
  const channel = await raw.createChannel();
  try {
    return (await channel.checkQueue(queue)).consumerCount;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

beforeAll(async () => {
  await brokers('cluster-up');
  vhost = uniqueName('mcp-cluster');
  await api(C1, 'PUT', `/vhosts/${encodeURIComponent(vhost)}`, { description: 'created by rabbitmq-mcp-server tests' });
  await api(C1, 'PUT', `/permissions/${encodeURIComponent(vhost)}/guest`, { configure: '.*', write: '.*', read: '.*' });
  mcp = await startHarness({
    env: { AMQP_PORT: String(C1.amqpPort), HTTP_PORT: String(C1.httpPort), AMQP_VHOST: vhost },
    args: ['--allow-destructive', '--output-schemas'],
  });
  raw = await connect({ hostname: '127.0.0.1', port: C1.amqpPort, username: 'guest', password: 'guest', vhost });
}, 300_000);

afterEach(async () => {
  await restart(stoppedByTest);
  if (stoppedByBlock.size === 0) await deleteDeclared();
}, 300_000);

afterAll(async () => {
  try {
    await raw?.close().catch(() => undefined);
    await mcp?.close();
    if (vhost) await api(C1, 'DELETE', `/vhosts/${encodeURIComponent(vhost)}`).catch(() => undefined);
  } finally {
    await brokers('cluster-down');
  }
}, 300_000);

/** The server's own AMQP connection to c1 stayed up all along (no reconnect). */
function connectionKept(): void {
  expect(mcp.broker.amqp.default.state.status).toBe('connected');
  expect(mcp.logs.filter((line) => line.includes('AMQP connection lost'))).toEqual([]);
}

describe('with one node of three stopped', () => {
  let kept = '';
  let gone = '';
  beforeAll(async () => {
    kept = await declare('leader-stops', C2, 'quorum');
    gone = await declare('on-c2', C2, 'classic');
    await stopNode(C2, stoppedByBlock);
  }, 300_000);
  afterAll(async () => {
    await restart(stoppedByBlock);
    await deleteDeclared();
  }, 300_000);

  it('get_overview names the stopped node and says every quorum queue kept its majority', async () => {
    const answer = await mcp.call('get_overview');
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain(`nodes: 2 of 3 running; DOWN: ${C2.name}`);
    expect(answer.text).toContain(`alarms: node ${C2.name} is down`);
    expect(answer.text).toMatch(/quorum_queues: every quorum queue still has a majority of its members running/);
    expect(answer.text).toMatch(new RegExp(`one more node down would stop [^\n]*'${kept}' in vhost '${vhost}'`));
    expect(answer.structuredContent).toMatchObject({
      nodes: 3,
      nodes_running: 2,
      nodes_down: [C2.name],
      quorum_queues_without_majority: [],
    });
  });

  it('a server connected to another node keeps listing and reporting', async () => {
    const listed = await mcp.call('list_queues');
    expect(listed.isError, listed.text).toBe(false);
    expect(listed.text).toMatch(new RegExp(`^${kept} \\| quorum \\| running \\|`, 'm'));
    expect(listed.text).toMatch(new RegExp(`^${gone} \\| classic \\| down \\|`, 'm'));
    const overview = await mcp.call('get_overview', { include: ['nodes', 'checks'] });
    expect(overview.isError, overview.text).toBe(false);
    expect(overview.text).toContain(`${C2.name} (disc, DOWN)`);
    expect(overview.text).toContain(`FAILED all nodes running: DOWN: ${C2.name}`);
    connectionKept();
  });

  it('a server connected to another node publishes to a quorum queue whose leader stopped', async () => {
    const published = await mcp.call('publish_messages', { routing_key: kept, messages: [{ body: 'a' }, { body: 'b' }, { body: 'c' }] });
    expect(published.text).toContain('3 routed and confirmed, 0 unroutable, 0 rejected');
    expect(await consumeAllBodies(raw, kept)).toEqual(['a', 'b', 'c']);
    connectionKept();
  });

  it('a server connected to another node says a message for a classic queue on the stopped node was not stored', async () => {
    const refused = await mcp.call('publish_messages', { routing_key: gone, messages: [{ body: 'x' }] });
    expect(refused.isError, refused.text).toBe(true);
    expect(refused.text).toContain('0 routed and confirmed, 0 unroutable, 1 rejected');
    expect(refused.text).toContain(
      `not stored: #0. Classic queue '${gone}' in vhost '${vhost}' lives on node ${C2.name}, which is down: it stores nothing until it runs again.`,
    );
    connectionKept();
  });
});

describe('with two nodes of three stopped', () => {
  let lost = '';
  let target = '';
  /**
   * A server that gives up on the broker after 5 s: RabbitMQ holds a publish to a queue without its
   * majority for about a minute, and a connection that sent one closes only after that, so this
   * one is closed once the nodes are back.
   */
  let impatient: Harness | undefined;
  beforeAll(async () => {
    impatient = await startHarness({
      env: { AMQP_PORT: String(C1.amqpPort), HTTP_PORT: String(C1.httpPort), AMQP_VHOST: vhost, REQUEST_TIMEOUT: '5' },
      args: ['--allow-write', '--output-schemas'],
    });
    lost = await declare('lost', C2, 'quorum');
    target = await declare('target', C1, 'classic');
    await publishNumbered(raw, lost, 3, 'l');
    await stopNode(C3, stoppedByBlock);
    await stopNode(C2, stoppedByBlock);
  }, 300_000);
  afterAll(async () => {
    await restart(stoppedByBlock);
    await impatient?.close();
    await deleteDeclared();
  }, 300_000);

  it('get_overview and its health checks name the quorum queues that lost their majority', async () => {
    const answer = await mcp.call('get_overview', { include: ['checks'] });
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.text).toContain(`nodes: 1 of 3 running; DOWN: ${C2.name}, ${C3.name}`);
    const named = `'${lost}' in vhost '${vhost}' (1 of 3 members running, 2 needed; down: ${C2.name}, ${C3.name})`;
    expect(answer.text).toMatch(
      /quorum_queues: \d+ queues? without a majority, accepting no publishes and delivering nothing until enough of their nodes run again: /,
    );
    expect(answer.text).toContain(named);
    expect(answer.text).toContain(`Start the down nodes (${C2.name}, ${C3.name}); do not remove them from the cluster`);
    expect(answer.structuredContent?.quorum_queues_without_majority).toContainEqual({
      name: lost,
      vhost,
      members: [C1.name, C2.name, C3.name],
      members_down: [C2.name, C3.name],
    });
    expect(answer.text).toContain(`FAILED all nodes running: DOWN: ${C2.name}, ${C3.name}`);
    const check = answer.text
      .split('\n')
      .find((line) => line.startsWith('FAILED quorum queues have a majority of their members running: '));
    expect(check, answer.text).toMatch(/: \d+ queues? without one, accepting no publishes and delivering nothing: /);
    expect(check).toContain(named);
    // The broker's own check on c1 lists it too: c1 holds its last running member.
    const critical = answer.text.split('\n').find((line) => line.startsWith('FAILED quorum queues keep a majority if this node stops: '));
    expect(critical, answer.text).toContain(`'${lost}' in vhost '${vhost}'`);
  });

  it('publish_messages names the quorum queue without its majority when its publish goes unconfirmed', async () => {
    const answer = await (impatient as Harness).call('publish_messages', { routing_key: lost, messages: [{ body: 'x' }] });
    expect(answer.isError, answer.text).toBe(true);
    expect(answer.text).toBe(
      `publishing to exchange (default): the broker did not answer within 5s: none was confirmed, so each may or may not have been stored; quorum queue '${lost}' in vhost '${vhost}' has lost its majority: 1 of its 3 members run (${C1.name}), 2 are needed; down: ${C2.name}, ${C3.name}. It delivers nothing and accepts no publishes until enough of its nodes run again (get_overview names the down nodes)`,
    );
  });

  it('move_messages refuses at once to move from a quorum queue without its majority, and moves nothing', async () => {
    const answer = await mcp.call('move_messages', { from: lost, to: target, count: 3, confirm: true });
    expect(answer.isError, answer.text).toBe(true);
    expect(answer.text).toBe(
      `Nothing was moved: quorum queue '${lost}' in vhost '${vhost}' has lost its majority: 1 of its 3 members run (${C1.name}), 2 are needed; down: ${C2.name}, ${C3.name}. It delivers nothing and accepts no publishes until enough of its nodes run again (get_overview names the down nodes).`,
    );
    expect((await api<{ messages?: number }>(C1, 'GET', queuePath(target))).messages ?? 0).toBe(0);
    connectionKept();
  });

  it('peek_messages refuses at once to read a quorum queue without its majority, taking nothing', async () => {
    const answer = await mcp.call('peek_messages', { queue: lost, count: 3 });
    expect(answer.isError, answer.text).toBe(true);
    expect(answer.text).toBe(
      `Not peeked, nothing was taken: quorum queue '${lost}' in vhost '${vhost}' has lost its majority: 1 of its 3 members run (${C1.name}), 2 are needed; down: ${C2.name}, ${C3.name}. It delivers nothing and accepts no publishes until enough of its nodes run again (get_overview names the down nodes).\nStart the down nodes, then read it again.`,
    );
    connectionKept();
  });

  it('consume_messages refuses at once to take from a quorum queue without its majority', async () => {
    const answer = await mcp.call('consume_messages', { queue: lost, count: 3, confirm: true });
    expect(answer.isError, answer.text).toBe(true);
    expect(answer.text).toBe(
      `Nothing was removed: quorum queue '${lost}' in vhost '${vhost}' has lost its majority: 1 of its 3 members run (${C1.name}), 2 are needed; down: ${C2.name}, ${C3.name}. It delivers nothing and accepts no publishes until enough of its nodes run again (get_overview names the down nodes).`,
    );
    connectionKept();
  });
});

describe('move_messages on a quorum queue whose leader stops in the middle', () => {
  it('leaves every message in the source or the destination, exactly once and in order, as the answer says', async () => {
    const total = 60_000;
    const from = await declare('move-from', C2, 'quorum');
    const to = await declare('move-to', C1, 'quorum');
    const published = await publishNumbered(raw, from, total, 'm');
    let stopping: Promise<void> | undefined;
    let stopEnded = false;
    const started = Date.now();
    let answer;
    try {
      answer = await mcp.call(
        'move_messages',
        { from, to, count: total, confirm: true },
        {
          timeout: 240_000,
          // The first batch is across: stop the source's leader while the rest moves.
          onprogress: ({ progress }) => {
            stopping ??= progress > 0 ? stopNode(C2).then(() => void (stopEnded = true)) : undefined;
          },
        },
      );
    } finally {
      await stopping;
    }
    const answered = stopEnded ? 'after' : 'before';
    expect(answered, `the move must outlast the stop of ${C2.name} (it answered ${Date.now() - started} ms in): move more messages`).toBe(
      'after',
    );
    expect(await leaderOf(from)).not.toBe(C2.name);
    await eventually(async () => ((await consumersOf(from)) === 0 ? true : undefined), 'the move to let go of the source', 30_000);
    const left = await consumeAllBodies(raw, from);
    const moved = await consumeAllBodies(raw, to);
    console.log(
      `move of ${total} while ${C2.name} stopped: moved ${moved.length}, left ${left.length}; answer: ${answer.text.replaceAll('\n', ' / ')}`,
    );
    expect(moved.concat(left)).toEqual(published);
    const said = /^(?:Moved|Stopped after moving) (\d+)/.exec(answer.text)?.[1];
    expect(Number(said), answer.text).toBe(moved.length);
    expect(answer.isError, answer.text).toBe(moved.length < total);
    expect(answer.text).toMatch(
      new RegExp(`The leader of a queue changed during the move \\('${from}' ${C2.name} → rabbitc[13]@localhost\\)`),
    );
  }, 300_000);
});

describe('peek_messages on a quorum queue whose leader stops in the middle', () => {
  it('leaves every message in the queue in order, and each peek shows the right ones or says what failed', async () => {
    const total = 5000;
    const queue = await declare('peek', C2, 'quorum');
    const published = await publishNumbered(raw, queue, total, 'p');
    // The deepest window a peek reads: every peek takes all 5000 messages and hands them back.
    const window = { queue, offset: total - 100, count: 100, max_body: 20 };
    const expected = published.slice(total - 100);
    const outcomes: string[] = [];
    /** The highest x-delivery-count each peek showed: on 4.3 handing messages back does not count. */
    const deliveryCounts: number[] = [];
    const peek = async () => {
      const answer = await mcp.call('peek_messages', window, { timeout: 120_000 });
      const bodies = [...answer.text.matchAll(/: (p-\d{5})$/gm)].map((match) => match[1]);
      deliveryCounts.push(Math.max(0, ...[...answer.text.matchAll(/delivery_count: (\d+)/g)].map((match) => Number(match[1]))));
      outcomes.push(
        answer.isError
          ? `error: ${answer.text.split('\n')[0]}`
          : JSON.stringify(bodies) === JSON.stringify(expected)
            ? 'ok'
            : `wrong: ${bodies.length} shown (${bodies.slice(0, 2).join(',')}…): ${answer.text.split('\n')[0]}`,
      );
      return answer;
    };
    const first = await peek();
    expect(outcomes, first.text).toEqual(['ok']);
    let stopEnded = false;
    const stopping = stopNode(C2).then(() => void (stopEnded = true));
    try {
      // Back to back, so the leader goes down in the middle of one of them; two more once it is down.
      let after = 0;
      while (after < 2) {
        if (stopEnded) after++;
        await peek();
      }
    } finally {
      await stopping;
    }
    const tally = new Map<string, number>();
    for (const outcome of outcomes) tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    const summary = [...tally].map(([what, times]) => `${times} × ${what}`);
    console.log(
      `${outcomes.length} peeks of ${total} messages while ${C2.name} stopped: ${summary.join('; ')}; highest delivery count shown by each: ${deliveryCounts.join(' ')}`,
    );
    expect(await leaderOf(queue)).not.toBe(C2.name);
    await eventually(async () => ((await consumersOf(queue)) === 0 ? true : undefined), 'the peeks to let go of the queue', 30_000);
    expect(await consumeAllBodies(raw, queue)).toEqual(published);
    expect(outcomes.filter((outcome) => outcome.startsWith('wrong'))).toEqual([]);
    expect(Math.max(...deliveryCounts), 'a peek hands messages back without counting a delivery on 4.3').toBe(0);
  }, 300_000);
});
