import { connect } from 'node:net';

/** Whether something accepts TCP connections on host:port right now. */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Waits until the port accepts connections; false after `seconds`. */
export async function waitForPort(port: number, seconds: number, host = '127.0.0.1'): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await portOpen(port, host)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
