import type { Channel, ConfirmChannel, Message, Options } from 'amqplib';

export interface ConsumeOptions {
  /** At most this many messages; the consumer's prefetch, so the broker hands it no more. */
  limit: number;
  /** How long to wait for the first message before deciding there is none. */
  firstWaitMs: number;
  /** How long to wait for each next one before deciding the queue has no more for us. */
  idleMs: number;
  /** Consumer arguments (e.g. x-stream-offset). */
  arguments?: Options.Consume['arguments'];
  /**
   * Ack each message as it arrives: for streams, where an ack only grants credit and removes
   * nothing. Otherwise the messages stay unacked on the channel for the caller to settle.
   */
  ackEach?: boolean;
}

/**
 * The one consume-until-idle reader: a consumer with prefetch = limit takes messages until it has
 * `limit`, the queue has nothing more within `idleMs`, the broker cancels it, or the channel
 * closes; then it is cancelled, so it takes nothing more. Messages arrive in queue order.
 */
export async function consumeUntilIdle(channel: ConfirmChannel | Channel, queue: string, options: ConsumeOptions): Promise<Message[]> {
  const taken: Message[] = [];
  if (options.limit <= 0) return taken;
  await channel.prefetch(options.limit);
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let idle = setTimeout(() => finish(), options.firstWaitMs);
  channel.once('close', finish);
  const { consumerTag } = await channel.consume(
    queue,
    (message) => {
      if (message === null) return finish();
      if (options.ackEach) channel.ack(message);
      if (taken.length >= options.limit) return;
      taken.push(message);
      clearTimeout(idle);
      if (taken.length >= options.limit) return finish();
      idle = setTimeout(() => finish(), options.idleMs);
    },
    { noAck: false, arguments: options.arguments },
  );
  await done;
  clearTimeout(idle);
  channel.off('close', finish);
  await channel.cancel(consumerTag).catch(() => undefined);
  return taken;
}

/** Resolves once the channel's write buffer drains, or the channel closes (its confirms then fail). */
export function waitForDrain(channel: ConfirmChannel | Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}

/**
 * A quorum queue's client in the channel sends at most 32 commands ahead and keeps further acks
 * in a stash that is dropped if the channel closes first: those messages would come back to the
 * queue although they were taken. The queue keeps a cancelled consumer on its (live) consumer
 * count until every message it took is settled, so once our consumers hold nothing, the count
 * falling back to the others says every ack was applied. False when that took over `timeoutMs`.
 */
export async function waitUntilSettled(
  channel: ConfirmChannel | Channel,
  queue: string,
  otherConsumers: number,
  timeoutMs = 10_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { consumerCount } = await channel.checkQueue(queue);
    if (consumerCount <= otherConsumers) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
