import type { ConfirmChannel, Message, Options } from 'amqplib';
import { waitForDrain } from './consume.js';

export interface Outgoing {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/**
 * What became of one message:
 * - confirmed: the broker took responsibility for it (routed, or dropped as unroutable when not mandatory);
 * - returned: mandatory and unroutable, so stored nowhere (confirmed after its return);
 * - nacked: refused, e.g. by a full queue with overflow reject-publish;
 * - unconfirmed: the channel closed first: it may or may not have been stored.
 */
export type Outcome = { status: 'confirmed' } | { status: 'returned'; reason: string } | { status: 'nacked' } | { status: 'unconfirmed' };

export interface PublishResult {
  outcomes: Outcome[];
  /** The error that closed the channel, if one did. */
  channelError?: unknown;
}

/**
 * The one publish-with-confirms: publishes in order, respecting the channel's back-pressure, and
 * waits for every confirm (or for the channel to close, or `timeoutMs`). The broker returns
 * unroutable mandatory messages in publish order, each before its confirm, so a cursor moving
 * forward pairs each return with its message.
 */
export async function publishWithConfirms(
  channel: ConfirmChannel,
  messages: readonly Outgoing[],
  options: { timeoutMs?: number; onPublished?: (count: number) => Promise<void> | void } = {},
): Promise<PublishResult> {
  const outcomes: (Outcome | undefined)[] = messages.map(() => undefined);
  const returned = new Map<number, string>();
  let cursor = 0;
  const onReturn = (message: Message) => {
    for (; cursor < messages.length; cursor++) {
      const candidate = messages[cursor] as Outgoing;
      if (candidate.routingKey === message.fields.routingKey && candidate.content.equals(message.content)) {
        returned.set(cursor, (message.fields as { replyText?: string }).replyText ?? 'NO_ROUTE');
        cursor++;
        return;
      }
    }
  };
  let channelError: unknown;
  const onError = (error: unknown) => {
    channelError = error;
  };
  channel.on('return', onReturn);
  channel.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    const confirmations: Promise<void>[] = [];
    for (const [index, message] of messages.entries()) {
      let accepted = true;
      confirmations.push(
        new Promise<void>((resolve) => {
          accepted = channel.publish(message.exchange, message.routingKey, message.content, message.options, (error: unknown) => {
            outcomes[index] = !error
              ? returned.has(index)
                ? { status: 'returned', reason: returned.get(index) as string }
                : { status: 'confirmed' }
              : (error as Error).message === 'message nacked'
                ? { status: 'nacked' }
                : { status: 'unconfirmed' };
            resolve();
          });
        }),
      );
      if (!accepted) await waitForDrain(channel);
      if ((index + 1) % 1000 === 0) await options.onPublished?.(index + 1);
    }
    const all = Promise.all(confirmations).then(() => undefined);
    if (options.timeoutMs === undefined) await all;
    else await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs)))]);
  } finally {
    clearTimeout(timer);
    channel.off('return', onReturn);
    channel.off('error', onError);
  }
  return { outcomes: outcomes.map((outcome) => outcome ?? { status: 'unconfirmed' }), channelError };
}
