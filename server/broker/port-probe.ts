import { connect } from 'node:net';

/** What answers on a TCP port, told from its first bytes. */
export type PortSpeaks = 'amqp' | 'http' | 'tls' | 'unknown';

/**
 * Asks a plain TCP port what it speaks, in one round trip: it sends an HTTP request, which an
 * HTTP server (the management port, a proxy) answers with "HTTP/", RabbitMQ's AMQP listener with
 * its protocol header ("AMQP"), and a TLS listener with an alert record (0x15). An AMQP client
 * sending its own header to an HTTP port waits for the server's timeout instead, seconds later,
 * and learns only that the connection closed.
 */
export function probePort(host: string, port: number, timeoutMs = 2000): Promise<PortSpeaks> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const finish = (speaks: PortSpeaks) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(speaks);
    };
    socket.setTimeout(timeoutMs, () => finish('unknown'));
    socket.once('connect', () => socket.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    socket.once('data', (chunk: Buffer) => {
      if (chunk.subarray(0, 5).toString('latin1') === 'HTTP/') finish('http');
      else if (chunk.subarray(0, 4).toString('latin1') === 'AMQP') finish('amqp');
      else if (chunk[0] === 0x15) finish('tls');
      else finish('unknown');
    });
    socket.once('error', () => finish('unknown'));
    socket.once('close', () => finish('unknown'));
  });
}
