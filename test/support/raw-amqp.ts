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
