/**
 * What the app tells the person about the active broker with a desktop notification. Each can be
 * switched off in Settings (the injected `enabled(cause)`); each shows at most once per quiet
 * period (five minutes unless configured), per queue where the cause is about one queue.
 */
export type NotificationCause = 'alarm' | 'dead-letters' | 'idle-queue' | 'broker-down' | 'server-crash';

/** Every cause, with what it means in words (for the Settings page's switches). */
export const NOTIFICATION_CAUSES: readonly { cause: NotificationCause; label: string; description: string }[] = [
  {
    cause: 'alarm',
    label: 'Memory or disk alarm',
    description: 'The broker ran short of memory or disk space (a resource alarm) and stopped accepting new messages.',
  },
  {
    cause: 'dead-letters',
    label: 'Dead letters',
    description: 'Messages were rejected, expired or over a limit and went to a queue that collects them (a dead-letter queue).',
  },
  {
    cause: 'idle-queue',
    label: 'A queue lost its consumers',
    description: 'The last app reading a queue (its last consumer) went away while messages wait in it.',
  },
  {
    cause: 'broker-down',
    label: 'Broker down and back',
    description: 'The broker stopped answering, and when it answers again.',
  },
  {
    cause: 'server-crash',
    label: 'MCP server crashed',
    description: 'The MCP server that AI apps use stopped unexpectedly (the app restarts it), or kept crashing and was stopped.',
  },
];

/** A notification to show: a short title and one or two sentences. */
export interface Notice {
  cause: NotificationCause;
  title: string;
  body: string;
}
