import { beforeAll, describe, expect, it } from 'vitest';
import { admin } from './support/broker-admin.js';
import { useHarness, useTestVhost } from './support/broker-fixture.js';
import { startHarness } from './support/mcp-harness.js';
import { callToolAsIs, handleOf } from './support/tool-answer.js';

const vhost = useTestVhost('mcp-confirm');

async function queueExists(name: string): Promise<boolean> {
  const queues = await admin<{ name: string }[]>('GET', `/queues/${encodeURIComponent(vhost.name)}?columns=name`);
  return queues.some((queue) => queue.name === name);
}

/** A client that can be asked (elicitation) and answers as `answer` says, recording the questions. */
async function askingClient(answer: { action: 'accept' | 'decline' | 'cancel'; confirm?: boolean }) {
  const questions: string[] = [];
  const mcp = await startHarness({
    args: ['--allow-destructive'],
    env: { AMQP_VHOST: vhost.name },
    capabilities: { elicitation: {} },
    beforeConnect: (client) =>
      client.setRequestHandler('elicitation/create', async (request) => {
        questions.push(request.params.message);
        return answer.action === 'accept' ? { action: 'accept', content: { confirm: answer.confirm ?? true } } : { action: answer.action };
      }),
  });
  return { mcp, questions };
}

describe('a destructive call without confirm', () => {
  it('asks the user through the client when it can ask, and does it when they accept', async () => {
    await admin('PUT', `/queues/${encodeURIComponent(vhost.name)}/ask-accept`, { durable: true });
    const { mcp, questions } = await askingClient({ action: 'accept' });
    try {
      const answer = await mcp.call('delete_queue', { name: 'ask-accept' });
      expect(answer.isError).toBe(false);
      expect(answer.text).toMatch(/^Deleted queue 'ask-accept'/);
      expect(questions).toEqual([
        `delete_queue would delete queue 'ask-accept' in vhost '${vhost.name}' with 0 ready messages and 0 consumers. Go ahead?`,
      ]);
      expect(await queueExists('ask-accept')).toBe(false);
    } finally {
      await mcp.close();
    }
  });

  it('changes nothing when the user declines, dismisses, or answers no', async () => {
    await admin('PUT', `/queues/${encodeURIComponent(vhost.name)}/ask-decline`, { durable: true });
    for (const answer of [{ action: 'decline' }, { action: 'cancel' }, { action: 'accept', confirm: false }] as const) {
      const { mcp, questions } = await askingClient(answer);
      try {
        const result = await mcp.call('delete_queue', { name: 'ask-decline' });
        expect(result.text).toMatch(/^Not done: the user (declined|dismissed) the confirmation \(would delete queue 'ask-decline'/);
        expect(questions).toHaveLength(1);
        expect(await queueExists('ask-decline')).toBe(true);
      } finally {
        await mcp.close();
      }
    }
  });

  it('answers with the dry run and its handle when the client cannot ask, and the handle confirms without asking', async () => {
    await admin('PUT', `/queues/${encodeURIComponent(vhost.name)}/no-ask`, { durable: true });
    const mcp = await startHarness({ args: ['--allow-destructive'], env: { AMQP_VHOST: vhost.name } });
    try {
      const dry = await callToolAsIs(mcp.client, 'delete_queue', { name: 'no-ask' });
      expect(dry.text).toMatch(
        /^Dry run: would delete queue 'no-ask'.*call delete_queue again with the same arguments and confirm: "c-[\w-]+"/,
      );
      expect(await queueExists('no-ask')).toBe(true);
      const done = await callToolAsIs(mcp.client, 'delete_queue', { name: 'no-ask', confirm: handleOf(dry.text) });
      expect(done.text).toBe(`Deleted queue 'no-ask' in vhost '${vhost.name}' with 0 ready messages and 0 consumers.`);
      expect(await queueExists('no-ask')).toBe(false);
    } finally {
      await mcp.close();
    }
  });

  it('says who decided when the user accepted in the client', async () => {
    await admin('PUT', `/queues/${encodeURIComponent(vhost.name)}/ask-who`, { durable: true });
    const { mcp } = await askingClient({ action: 'accept' });
    try {
      const answer = await mcp.call('delete_queue', { name: 'ask-who' });
      expect(answer.text.split('\n').at(-1)).toBe('Confirmed by the user in test-client 1.0.0.');
    } finally {
      await mcp.close();
    }
  });
});

describe('logging notifications', () => {
  const server = useHarness(vhost, { args: ['--allow-write'] });
  const messages: { level: string; data: unknown }[] = [];

  beforeAll(() => {
    server.mcp.client.setNotificationHandler('notifications/message', (notification) => {
      messages.push({ level: notification.params.level, data: notification.params.data });
    });
  });

  it('tell the client what changed and what failed, at the level it set', async () => {
    await server.mcp.client.setLoggingLevel('notice');
    await server.mcp.call('create_queue', { name: 'logged' });
    await server.mcp.call('list_queues', {});
    await server.mcp.call('create_queue', { name: 'logged', type: 'quorum' }); // conflicts with the classic one
    await expect.poll(() => messages.length).toBe(2);
    expect(messages[0]).toEqual({ level: 'notice', data: expect.stringMatching(/^create_queue: Created durable queue 'logged' in vhost/) });
    expect(messages[1]).toEqual({ level: 'warning', data: expect.stringMatching(/^create_queue failed: /) });

    await server.mcp.client.setLoggingLevel('error');
    await server.mcp.call('create_queue', { name: 'logged-quietly' });
    await server.mcp.call('create_queue', { name: 'logged', type: 'quorum' });
    // Notifications arrive in order: once one sent after the quiet calls is in, theirs would be too.
    await server.mcp.client.setLoggingLevel('notice');
    await server.mcp.call('create_queue', { name: 'logged-after' });
    await expect.poll(() => messages.length).toBe(3);
    expect(messages[2]).toEqual({ level: 'notice', data: expect.stringMatching(/^create_queue: Created durable queue 'logged-after'/) });
  });
});
