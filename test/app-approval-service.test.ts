import { describe, expect, it } from 'vitest';
import type { ApprovalDecision, ApprovalRequest } from '../server/mcp/app-approval.js';
import {
  type ApprovalQuestion,
  ApprovalService,
  type ApprovalServiceOptions,
  approvalQuestion,
  spokenDuration,
} from '../electron/core/approvals/approval-service.js';
import type { ApprovalAsked, ApprovalClosedReason } from '../electron/core/supervisor/supervisor.js';

/**
 * The approval service's logic with a scripted person: the dialog (ask) is a promise the test
 * settles or the service aborts, notifications and log lines are collected. What reaches the
 * server is what answer() was called with.
 */
const PASSWORD = 'pr0d-secret-Pa55';

interface Shown {
  question: ApprovalQuestion;
  signal: AbortSignal;
  press(button: 'approve' | 'deny'): void;
  /** Resolves when the service closed the dialog (its signal aborted). */
  closed: Promise<unknown>;
}

function harness(options: Partial<ApprovalServiceOptions> & { seconds?: number } = {}) {
  const shown: Shown[] = [];
  const waiters: (() => void)[] = [];
  const notified: { title: string; body: string }[] = [];
  const logged: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const service = new ApprovalService({
    ui: {
      ask: (question, signal) =>
        new Promise((resolve) => {
          const closed = new Promise((done) => signal.addEventListener('abort', () => done(signal.reason), { once: true }));
          // As Electron's box: an aborted signal closes it with its cancel button, Deny.
          signal.addEventListener('abort', () => resolve('deny'), { once: true });
          shown.push({ question, signal, press: resolve, closed });
          for (const wake of waiters.splice(0)) wake();
        }),
      notify: (title, body) => void notified.push({ title, body }),
    },
    timeLimitSeconds: () => options.seconds ?? 120,
    broker: (profileId) => (profileId === 'prod' ? { name: 'Production', host: 'rabbit.example.com:5672', vhost: 'orders' } : null),
    secrets: (profileId) => (profileId === 'prod' ? [PASSWORD] : []),
    log: (level, msg, fields) => void logged.push({ level, msg, fields }),
    ...options,
  });
  /** The nth dialog, once it is on screen. */
  const dialog = async (n: number): Promise<Shown> => {
    while (!shown[n]) await new Promise<void>((resolve) => waiters.push(resolve));
    return shown[n] as Shown;
  };
  return { service, shown, dialog, notified, logged };
}

function asked(id: string, overrides: Partial<ApprovalRequest> = {}, profileId = 'prod') {
  const closer = new AbortController();
  const answers: { decision: ApprovalDecision; waitedMs: number }[] = [];
  let answered!: (answer: { decision: ApprovalDecision; waitedMs: number }) => void;
  const answer = new Promise<{ decision: ApprovalDecision; waitedMs: number }>((resolve) => (answered = resolve));
  const question: ApprovalAsked = {
    request: {
      type: 'rabbitmq-mcp/approval-request',
      id,
      tool: 'delete_queue',
      title: 'Delete queue',
      preview: `Deletes queue "orders.${id}" in vhost "orders" with its 12 messages.`,
      destructive: true,
      client: 'claude-ai 0.1.0',
      ...overrides,
    },
    profileId,
    profileName: profileId === 'prod' ? 'Production' : 'Gone',
    signal: closer.signal,
    answer: (decision, waitedMs) => {
      answers.push({ decision, waitedMs });
      answered({ decision, waitedMs });
      return true;
    },
  };
  return { question, answers, answer, close: (reason: ApprovalClosedReason) => closer.abort(reason) };
}

describe('the approval service', () => {
  it('shows the question in plain words with a notification, and sends the person’s Approve', async () => {
    const { service, dialog, notified, logged } = harness();
    const one = asked('1');
    service.receive(one.question);
    expect(notified).toEqual([
      {
        title: 'Approval needed: the AI wants to remove something',
        body: 'claude-ai 0.1.0 asks to "Delete queue" on Production. Answer in the RabbitMQ MCP dialog within 2 minutes.',
      },
    ]);
    const shown = await dialog(0);
    expect(shown.question.title).toBe('Approve a destructive action?');
    expect(shown.question.message).toBe('claude-ai 0.1.0 wants to: Delete queue');
    expect(shown.question.detail).toContain('Asked by: claude-ai 0.1.0');
    expect(shown.question.detail).toContain('Broker: Production (rabbit.example.com:5672, virtual host "orders")');
    expect(shown.question.detail).toContain('This removes or loses something on the broker');
    expect(shown.question.detail).toContain('Deletes queue "orders.1" in vhost "orders" with its 12 messages.');
    expect(shown.question.detail).toMatch(/Without an answer within (2 minutes|1 minute 59 seconds), it is refused\./);
    shown.press('approve');
    expect((await one.answer).decision).toBe('approved');
    expect(one.answers).toHaveLength(1);
    expect(service.open).toBe(0);
    expect(logged.map((line) => line.msg)).toEqual(['approval asked', 'approval approved']);
    expect(logged[0]?.fields).toMatchObject({
      id: '1',
      profile: 'Production',
      client: 'claude-ai 0.1.0',
      tool: 'delete_queue',
      destructive: true,
    });
    expect(logged[1]?.fields).toMatchObject({ id: '1', decision: 'approved' });
  });

  it('shows one dialog at a time, in the order the questions came', async () => {
    const { service, dialog, shown } = harness();
    const first = asked('first');
    const second = asked('second', { tool: 'create_queue', title: 'Create queue', destructive: false });
    service.receive(first.question);
    service.receive(second.question);
    const one = await dialog(0);
    expect(one.question.request.id).toBe('first');
    expect(shown).toHaveLength(1); // the second waits its turn
    one.press('deny');
    expect((await first.answer).decision).toBe('denied');
    const two = await dialog(1);
    expect(two.question.request.id).toBe('second');
    expect(two.question.title).toBe('Approve a change?');
    expect(two.question.detail).toContain('This changes something on the broker.');
    two.press('approve');
    expect((await second.answer).decision).toBe('approved');
  });

  it('answers timed-out when the time runs out, whether the dialog is open or the question still waits', async () => {
    // Time limits of a fraction of a second, read as each question arrives: nobody presses anything here.
    const limits = [0.4, 0.2];
    const { service, dialog, shown, logged } = harness({ timeLimitSeconds: () => limits.shift() ?? 120 });
    const open = asked('open');
    const waiting = asked('waiting');
    service.receive(open.question);
    service.receive(waiting.question);
    const onScreen = await dialog(0);
    // The second's time runs out first, while it waits behind the open dialog.
    expect((await waiting.answer).decision).toBe('timed-out');
    expect(onScreen.signal.aborted).toBe(false);
    expect(await onScreen.closed).toBe('timed-out');
    expect((await open.answer).decision).toBe('timed-out');
    expect(open.answers).toHaveLength(1);
    expect(waiting.answers).toHaveLength(1);
    // The one that waited was never shown: its time was up before its turn.
    expect(shown.map((entry) => entry.question.request.id)).not.toContain('waiting');
    expect(logged.filter((line) => line.msg === 'approval timed-out')).toHaveLength(2);
  });

  it('closes the dialog of a withdrawn question without answering it, and goes on with the next', async () => {
    const { service, dialog, logged } = harness();
    const withdrawn = asked('gone');
    const next = asked('next');
    service.receive(withdrawn.question);
    service.receive(next.question);
    const first = await dialog(0);
    withdrawn.close('withdrawn');
    expect(await first.closed).not.toBeUndefined();
    const second = await dialog(1);
    expect(second.question.request.id).toBe('next');
    second.press('deny');
    expect((await next.answer).decision).toBe('denied');
    expect(withdrawn.answers).toEqual([]);
    expect(logged.map((line) => line.msg)).toContain('approval withdrawn by the caller');
  });

  it('drops a waiting question whose server stopped, and never shows it', async () => {
    const { service, dialog, shown, logged } = harness();
    const first = asked('first');
    const stopped = asked('stopped');
    service.receive(first.question);
    service.receive(stopped.question);
    const one = await dialog(0);
    stopped.close('server-stopped');
    one.press('approve');
    await first.answer;
    expect(service.open).toBe(0);
    expect(shown).toHaveLength(1);
    expect(stopped.answers).toEqual([]);
    expect(logged.map((line) => line.msg)).toContain('approval closed: its server stopped');
  });

  it('keeps the profile’s password out of the dialog and the log', async () => {
    const { service, dialog, logged } = harness();
    const leaky = asked('leaky', { preview: `Sets the password of user "ops" to ${PASSWORD} (amqp://ops:${PASSWORD}@rabbit)` });
    service.receive(leaky.question);
    const shown = await dialog(0);
    expect(shown.question.detail).not.toContain(PASSWORD);
    expect(shown.question.detail).toContain('Sets the password of user "ops" to [removed]');
    shown.press('deny');
    await leaky.answer;
    expect(JSON.stringify(logged)).not.toContain(PASSWORD);
  });

  it('denies at once, with a log line, when the app has no dialog to ask in', async () => {
    const { service, logged } = harness({ ui: null });
    const nobody = asked('nobody');
    service.receive(nobody.question);
    expect((await nobody.answer).decision).toBe('denied');
    expect(logged.map((line) => line.msg)).toContain('approval denied: this app has no dialog to ask in');
  });

  it('denies when the dialog cannot be shown', async () => {
    const logged: string[] = [];
    const service = new ApprovalService({
      ui: { ask: () => Promise.reject(new Error('no display')), notify: () => undefined },
      timeLimitSeconds: () => 120,
      broker: () => null,
      secrets: () => [],
      log: (_level, msg, fields) => void logged.push(`${msg} ${String(fields.reason ?? '')}`),
    });
    const failing = asked('failing', {}, 'gone');
    service.receive(failing.question);
    expect((await failing.answer).decision).toBe('denied');
    expect(logged).toContain('approval denied: the dialog could not be shown no display');
  });

  it('names a profile that is gone by the name the question came with', () => {
    const question = approvalQuestion(
      asked('x', {}, 'gone').question.request,
      { name: 'Gone', host: 'unknown host', vhost: 'unknown' },
      45,
    );
    expect(question.detail).toContain('Broker: Gone (unknown host, virtual host "unknown")');
    expect(question.detail).toContain('within 45 seconds');
  });

  it('says durations as a person would', () => {
    expect([spokenDuration(15), spokenDuration(60), spokenDuration(90), spokenDuration(120), spokenDuration(61)]).toEqual([
      '15 seconds',
      '1 minute',
      '1 minute 30 seconds',
      '2 minutes',
      '1 minute 1 second',
    ]);
  });
});
