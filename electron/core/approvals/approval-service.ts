import type { ApprovalDecision, ApprovalRequest } from '../../../server/mcp/app-approval.js';
import { redact } from '../diagnostics/redact.js';
import type { ApprovalAsked, ApprovalClosedReason } from '../supervisor/supervisor.js';

/** The broker a question is about, as the person knows it from the profile. */
export interface ApprovalBroker {
  name: string;
  /** host:port of its AMQP connection. */
  host: string;
  vhost: string;
}

/** One question as the dialog shows it, in plain words, and what it was made from. */
export interface ApprovalQuestion {
  /** The window title, the one-line question, and the text under it. */
  title: string;
  message: string;
  detail: string;
  request: ApprovalRequest;
  broker: ApprovalBroker;
  timeLimitSeconds: number;
}

/** What the person sees and answers with: the app's dialog and its notifications (Electron in the app, fakes in tests). */
export interface ApprovalUi {
  /** Shows the question until the person answers or the signal aborts (then it closes, and its answer does not count). */
  ask(question: ApprovalQuestion, signal: AbortSignal): Promise<'approve' | 'deny'>;
  /** A desktop notification: the app may be in the background when a question arrives. */
  notify(title: string, body: string): void;
}

export interface ApprovalServiceOptions {
  /** Without one nobody can answer in this app: every question is denied at once, with a log line. */
  ui: ApprovalUi | null;
  /** The time to answer, read when a question arrives (the Settings page's). */
  timeLimitSeconds: () => number;
  /** The profile's broker, or null when the profile is gone (its name from the question is shown then). */
  broker: (profileId: string) => ApprovalBroker | null;
  /** Secrets that must not appear in the dialog or the log (the profile's password). */
  secrets: (profileId: string) => readonly string[];
  log: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
}

interface Question {
  asked: ApprovalAsked;
  arrivedAt: number;
  timeLimitMs: number;
  /** Aborts the dialog when the time is up (reason 'timed-out'), with the question's own signal. */
  dialog: AbortController;
  timer: NodeJS.Timeout;
  settled: boolean;
}

/** Previews longer than this are cut in the dialog and the log (the dialog would not fit the screen). */
const MAX_PREVIEW = 4000;
/** How much of a preview the log keeps. */
const MAX_LOGGED_PREVIEW = 1000;

/** "2 minutes", "45 seconds", "1 minute 30 seconds". */
export function spokenDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  const part = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (minutes === 0) return part(rest, 'second');
  return rest === 0 ? part(minutes, 'minute') : `${part(minutes, 'minute')} ${part(rest, 'second')}`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The dialog's words for a request. */
export function approvalQuestion(request: ApprovalRequest, broker: ApprovalBroker, timeLimitSeconds: number): ApprovalQuestion {
  const effect = request.destructive
    ? 'This removes or loses something on the broker, and cannot be undone from here.'
    : 'This changes something on the broker.';
  const detail = [
    `Asked by: ${cut(request.client, 200)}`,
    `Broker: ${broker.name} (${broker.host}, virtual host "${broker.vhost}")`,
    `Action: ${request.title} (${request.tool})`,
    effect,
    '',
    'What would happen:',
    cut(request.preview, MAX_PREVIEW),
    '',
    `Approve only if you expected this. Without an answer within ${spokenDuration(timeLimitSeconds)}, it is refused.`,
  ].join('\n');
  return {
    title: request.destructive ? 'Approve a destructive action?' : 'Approve a change?',
    message: `${cut(request.client, 120)} wants to: ${cut(request.title, 120)}`,
    detail,
    request,
    broker,
    timeLimitSeconds,
  };
}

/**
 * A person approves in the app what the AI changes. Questions come from the supervised server
 * (the supervisor's 'approval' events) and are shown one at a time, in the order they came, each
 * with a notification as it arrives. Each has a time limit counted from its arrival: a question
 * still waiting its turn, or a dialog still open, when it runs out is answered timed-out. A
 * question the server withdraws (the caller gave up) or that closes with its server (a profile
 * switch, a crash) is dropped, its dialog closed. Nothing but the person's button in the dialog
 * approves: there is no other way in. Every question and decision goes into the app log, with
 * secrets taken out.
 */
export class ApprovalService {
  #options: ApprovalServiceOptions;
  #queue: Question[] = [];
  #showing: Question | null = null;
  #draining = false;

  constructor(options: ApprovalServiceOptions) {
    this.#options = options;
  }

  /** Questions not answered yet, the one on screen included. */
  get open(): number {
    return this.#queue.filter((question) => !question.settled).length + (this.#showing && !this.#showing.settled ? 1 : 0);
  }

  /** A question from the server (the supervisor's 'approval' event). */
  receive(asked: ApprovalAsked): void {
    const arrivedAt = Date.now();
    const { request } = asked;
    const seconds = this.#options.timeLimitSeconds();
    const question: Question = {
      asked,
      arrivedAt,
      timeLimitMs: seconds * 1000,
      dialog: new AbortController(),
      timer: setTimeout(() => this.#timeUp(question), seconds * 1000),
      settled: false,
    };
    const base = this.#fields(question);
    this.#options.log('info', 'approval asked', {
      ...base,
      destructive: request.destructive,
      timeLimitSeconds: seconds,
      preview: cut(this.#scrub(asked.profileId, request.preview), MAX_LOGGED_PREVIEW),
    });
    if (!this.#options.ui) {
      this.#options.log('warn', 'approval denied: this app has no dialog to ask in', base);
      this.#settle(question, 'denied');
      return;
    }
    asked.signal.addEventListener('abort', () => this.#closed(question), { once: true });
    if (asked.signal.aborted) {
      this.#closed(question);
      return;
    }
    this.#queue.push(question);
    const broker = this.#broker(asked);
    this.#options.ui.notify(
      request.destructive ? 'Approval needed: the AI wants to remove something' : 'Approval needed: the AI wants to change something',
      `${request.client} asks to "${request.title}" on ${broker.name}. Answer in the RabbitMQ MCP dialog within ${spokenDuration(seconds)}.`,
    );
    void this.#drain();
  }

  /** Shows the waiting questions one after the other. */
  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        if (next.settled) continue;
        this.#showing = next;
        await this.#show(next);
        this.#showing = null;
      }
    } finally {
      this.#draining = false;
    }
  }

  async #show(question: Question): Promise<void> {
    const { asked } = question;
    const ui = this.#options.ui as ApprovalUi;
    const signal = AbortSignal.any([question.dialog.signal, asked.signal]);
    let response: 'approve' | 'deny';
    try {
      const preview = this.#scrub(asked.profileId, asked.request.preview);
      const remaining = Math.max(1, Math.round((question.arrivedAt + question.timeLimitMs - Date.now()) / 1000));
      const shown = approvalQuestion({ ...asked.request, preview }, this.#broker(asked), remaining);
      response = await ui.ask(shown, signal);
    } catch (error) {
      if (question.settled || signal.aborted) return;
      this.#options.log('warn', 'approval denied: the dialog could not be shown', {
        ...this.#fields(question),
        reason: (error as Error).message,
      });
      this.#settle(question, 'denied');
      return;
    }
    // A dialog the time limit or a withdrawal closed answers with its cancel button: that is not the person's answer.
    if (question.settled || signal.aborted) return;
    this.#settle(question, response === 'approve' ? 'approved' : 'denied');
  }

  #timeUp(question: Question): void {
    if (question.settled) return;
    this.#settle(question, 'timed-out');
  }

  /** The server withdrew the question, or stopped: no answer is due; its dialog closes. */
  #closed(question: Question): void {
    if (question.settled) return;
    question.settled = true;
    clearTimeout(question.timer);
    question.dialog.abort('closed');
    this.#queue = this.#queue.filter((waiting) => waiting !== question);
    const reason = question.asked.signal.reason as ApprovalClosedReason;
    this.#options.log('info', reason === 'withdrawn' ? 'approval withdrawn by the caller' : 'approval closed: its server stopped', {
      ...this.#fields(question),
      waitedMs: Date.now() - question.arrivedAt,
    });
  }

  #settle(question: Question, decision: ApprovalDecision): void {
    if (question.settled) return;
    question.settled = true;
    clearTimeout(question.timer);
    const waitedMs = Date.now() - question.arrivedAt;
    this.#queue = this.#queue.filter((waiting) => waiting !== question);
    // Closes the dialog if it is still open (the time ran out while it was shown).
    question.dialog.abort('timed-out');
    const delivered = question.asked.answer(decision, waitedMs);
    this.#options.log(delivered ? 'info' : 'warn', `approval ${decision}`, {
      ...this.#fields(question),
      decision,
      waitedMs,
      ...(delivered ? {} : { delivered: false }),
    });
  }

  #broker(asked: ApprovalAsked): ApprovalBroker {
    return this.#options.broker(asked.profileId) ?? { name: asked.profileName, host: 'unknown host', vhost: 'unknown' };
  }

  #fields(question: Question): Record<string, unknown> {
    const { asked } = question;
    return { id: asked.request.id, profile: asked.profileName, client: cut(asked.request.client, 200), tool: asked.request.tool };
  }

  #scrub(profileId: string, text: string): string {
    return redact(text, this.#options.secrets(profileId));
  }
}
