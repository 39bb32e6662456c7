/**
 * Approval by a person in the desktop app. The app runs this server as a child process with a
 * Node IPC channel and MCP_APP_APPROVAL set from the profile; a call that needs approval sends an
 * ApprovalRequest up that channel and waits for the ApprovalAnswer the app sends back once the
 * person pressed Approve or Deny, or the app's time to answer ran out. Nothing that reaches the
 * server over MCP (an argument, a tool, a client) can answer for the person: only the process
 * that spawned this one holds the channel.
 */

/** Which calls wait for the person in the app: removals and other destructive calls, every change, or none (a sandbox). */
export const APPROVAL_POLICIES = ['destructive', 'every-change', 'none'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

/** server → app: a call waits for the person. */
export interface ApprovalRequest {
  type: 'rabbitmq-mcp/approval-request';
  /** Unique per server process; the answer carries it back. */
  id: string;
  /** The tool, e.g. delete_queue, and its title, e.g. "Delete queue". */
  tool: string;
  title: string;
  /** What the call would do, in plain words: the dry run's preview, or the change and its arguments. */
  preview: string;
  /** True when the call removes or loses something (a destructive call), false for other changes. */
  destructive: boolean;
  /** Which AI app asked, as it names itself ("claude-ai 0.1.0"), or how it reached the server. */
  client: string;
}

/** server → app: the caller gave up (cancelled the call, or its connection closed): close the question. */
export interface ApprovalWithdrawn {
  type: 'rabbitmq-mcp/approval-withdrawn';
  id: string;
}

export type ApprovalDecision = 'approved' | 'denied' | 'timed-out';

/** app → server: the person's answer, or timed-out when nobody answered in the app's time. */
export interface ApprovalAnswer {
  type: 'rabbitmq-mcp/approval-answer';
  id: string;
  decision: ApprovalDecision;
  /** How long the app waited, for the answer to the model ("no answer within 120 s"). */
  waitedMs?: number;
}

export type ServerToApp = ApprovalRequest | ApprovalWithdrawn;
export type AppToServer = ApprovalAnswer;

export function isApprovalRequest(message: unknown): message is ApprovalRequest {
  return (message as ApprovalRequest | null)?.type === 'rabbitmq-mcp/approval-request';
}

export function isApprovalWithdrawn(message: unknown): message is ApprovalWithdrawn {
  return (message as ApprovalWithdrawn | null)?.type === 'rabbitmq-mcp/approval-withdrawn';
}

export function isApprovalAnswer(message: unknown): message is ApprovalAnswer {
  const answer = message as ApprovalAnswer | null;
  return answer?.type === 'rabbitmq-mcp/approval-answer' && ['approved', 'denied', 'timed-out'].includes(answer.decision);
}

/** What the server asks: the request without its envelope. */
export type ApprovalQuestion = Omit<ApprovalRequest, 'type' | 'id'>;

export type ApprovalOutcome =
  | { decision: ApprovalDecision; waitedMs?: number }
  /** No app to ask: the server runs without the channel its configuration promised, or the app went away. */
  | { decision: 'unavailable'; why: string };

/** Asks the person in the desktop app. */
export interface Approver {
  ask(question: ApprovalQuestion, signal: AbortSignal): Promise<ApprovalOutcome>;
}

/** The most the server waits for the app, whatever the app's own limit: a question is never open forever. */
const LONGEST_WAIT_MS = 16 * 60_000;

/** The part of a Node process that talks to its parent over IPC. */
export interface ParentChannel {
  send?: (message: ServerToApp) => boolean;
  connected?: boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

/**
 * The approver of a server the desktop app spawned: asks over the IPC channel to the app. Without
 * a channel every question is unavailable, so a server configured for approval never goes ahead
 * unasked.
 */
export function parentApprover(channel: ParentChannel = process as ParentChannel): Approver {
  const waiting = new Map<string, (outcome: ApprovalOutcome) => void>();
  let next = 0;
  if (channel.send) {
    channel.on('message', (message) => {
      if (isApprovalAnswer(message)) waiting.get(message.id)?.({ decision: message.decision, waitedMs: message.waitedMs });
    });
    channel.on('disconnect', () => {
      for (const settle of [...waiting.values()]) settle({ decision: 'unavailable', why: 'the app closed its channel to this server' });
    });
  }
  return {
    ask(question, signal) {
      if (!channel.send || channel.connected === false) {
        return Promise.resolve({
          decision: 'unavailable',
          why: 'this server was started to ask the RabbitMQ MCP app (MCP_APP_APPROVAL) but runs without it',
        });
      }
      const id = `${process.pid}-${++next}`;
      const send = channel.send.bind(channel);
      return new Promise<ApprovalOutcome>((resolve) => {
        const settle = (outcome: ApprovalOutcome) => {
          if (!waiting.delete(id)) return;
          clearTimeout(timer);
          signal.removeEventListener('abort', withdraw);
          resolve(outcome);
        };
        const withdraw = () => {
          send({ type: 'rabbitmq-mcp/approval-withdrawn', id });
          settle({ decision: 'denied' });
        };
        const timer = setTimeout(() => {
          send({ type: 'rabbitmq-mcp/approval-withdrawn', id });
          settle({ decision: 'timed-out', waitedMs: LONGEST_WAIT_MS });
        }, LONGEST_WAIT_MS);
        timer.unref?.();
        waiting.set(id, settle);
        if (signal.aborted) return withdraw();
        signal.addEventListener('abort', withdraw, { once: true });
        try {
          send({ type: 'rabbitmq-mcp/approval-request', id, ...question });
        } catch (error) {
          settle({ decision: 'unavailable', why: `the app cannot be reached (${(error as Error).message})` });
        }
      });
    },
  };
}

/**
 * The approval a configuration asks for: none, or the desktop app's through this process's IPC
 * channel. The channel is unreferenced: it never keeps a stopping server alive.
 */
export function approvalOf(config: { appApproval: ApprovalPolicy }): { policy: ApprovalPolicy; approver: Approver } | undefined {
  if (config.appApproval === 'none') return undefined;
  const approver = parentApprover();
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
  return { policy: config.appApproval, approver };
}
