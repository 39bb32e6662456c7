import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';

/**
 * A loopback TCP proxy that a test can cut (close every connection and refuse new ones) and
 * restore on the same port, to play a broker outage without touching the broker.
 */
export class TcpProxy {
  #server: Server | null = null;
  #sockets = new Set<Socket>();
  #port = 0;

  constructor(
    private targetHost: string,
    private targetPort: number,
  ) {}

  /** Sends new connections elsewhere and drops the open ones: the name now reaches another broker. */
  retarget(host: string, port: number): void {
    this.targetHost = host;
    this.targetPort = port;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  get port(): number {
    return this.#port;
  }

  async start(port = 0): Promise<number> {
    const server = createServer((client) => {
      const upstream = new (client.constructor as typeof Socket)();
      upstream.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
    return this.#port;
  }

  /** Drops every open connection and stops listening: clients see resets, then refusals. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    if (!this.#server) await this.start(this.#port);
  }

  close(): Promise<void> {
    return this.cut();
  }
}
