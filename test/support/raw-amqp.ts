import { type ChannelModel, type GetMessage, connect } from 'amqplib';
import { BROKER } from './broker-env.js';

/** A plain amqplib connection to the test broker, outside the server under test. */
export function connectRaw(vhost: string): Promise<ChannelModel> {
  return connect({ hostname: BROKER.host, port: BROKER.amqpPort, username: BROKER.user, password: BROKER.password, vhost });
}

/** Takes every message off a queue (auto-ack), in queue order. */
export async function takeAll(connection: ChannelModel, queue: string): Promise<GetMessage[]> {
  const channel = await connection.createChannel();
  const messages: GetMessage[] = [];
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message === false) break;
    messages.push(message);
  }
  await channel.close();
  return messages;
}

/** Publishes `count` persistent messages "<prefix>-00000"… with confirms; returns the bodies in queue order. */
export async function publishNumbered(connection: ChannelModel, queue: string, count: number, prefix = queue): Promise<string[]> {
  const channel = await connection.createConfirmChannel();
  const bodies = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
  for (const body of bodies) {
    if (!channel.sendToQueue(queue, Buffer.from(body), { persistent: true }))
      await new Promise((resolve) => channel.once('drain', resolve));
  }
  await channel.waitForConfirms();
  await channel.close();
  return bodies;
}

/** Takes every ready message off a queue with a consumer (10,000 gets are slow), in queue order; returns the bodies. */
export async function consumeAllBodies(connection: ChannelModel, queue: string): Promise<string[]> {
  const channel = await connection.createChannel();
  const { messageCount } = await channel.checkQueue(queue);
  const bodies: string[] = [];
  if (messageCount > 0) {
    await new Promise<void>((resolve) => {
      void channel.consume(
        queue,
        (message) => {
          if (!message) return resolve();
          bodies.push(message.content.toString());
          if (bodies.length === messageCount) resolve();
        },
        { noAck: true },
      );
    });
  }
  await channel.close();
  return bodies;
}
