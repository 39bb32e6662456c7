import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountedRequest {
  at: number;
  method: string;
  /** Path and query, as the client sent them. */
  url: string;
}

/**
 * A loopback HTTP proxy in front of the real management API that remembers every request, to
 * measure how often something asks the broker (the app's idle request rate). `intercept` may
 * answer a request itself instead (true when it did), to play a broker race.
 */
export class CountingProxy {
  readonly requests: CountedRequest[] = [];
  #server: Server | null = null;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly intercept?: (incoming: IncomingMessage, outgoing: ServerResponse) => boolean,
  ) {}

  async start(): Promise<number> {
    const server = createServer((incoming: IncomingMessage, outgoing) => {
      this.requests.push({ at: Date.now(), method: incoming.method ?? 'GET', url: incoming.url ?? '/' });
      if (this.intercept?.(incoming, outgoing)) return;
      const upstream = request(
        { host: this.targetHost, port: this.targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      incoming.pipe(upstream);
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** Requests between two instants. */
  between(from: number, to: number): CountedRequest[] {
    return this.requests.filter((entry) => entry.at >= from && entry.at <= to);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
