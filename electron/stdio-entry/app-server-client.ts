import { Client, ProtocolError, SdkError, SdkErrorCode, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { elicitationValidator } from '../../server/mcp/elicitation-validator.js';
import { VERSION } from '../../server/version.js';
import type { RuntimeInfo } from '../core/supervisor/runtime-file.js';
import { type AppServer, Unavailable } from './app-server.js';
import { CLIENT_HEADER } from './client-header.js';

/** One server process as the runtime file names it: another key is another server, whose handles are not ours. */
export function serverKey(info: RuntimeInfo): string {
  return JSON.stringify([info.profileId, info.url, info.pid, info.startedAt]);
}

/** A refusal that a moment later may not be: the server is being replaced (503, refused, a new token). */
function passing(error: unknown): boolean {
  if (error instanceof SdkHttpError) return error.status === 503 || error.status === 401;
  if (error instanceof ProtocolError) return false;
  if (error instanceof SdkError) return error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.SendFailed;
  // fetch failed: nothing listens at that port (yet, or any more).
  return error instanceof TypeError;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface AppServerClientOptions {
  /** CLIENT_HEADER's value: the AI client as it named itself, or null. */
  header(): string | null;
  /** How long a profile switch or restart is ridden out before the call fails. */
  retryWindowMs: number;
  pollMs: number;
}

/**
 * The SDK client of the app's server, following the runtime file: a new URL or token (a switch,
 * a restart) means a new connection, made on the next request. Every POST carries the bearer
 * token and names the AI client (CLIENT_HEADER).
 */
export class AppServerClient {
  #link: { key: string; client: Promise<Client> } | null = null;

  constructor(
    private readonly app: AppServer,
    private readonly options: AppServerClientOptions,
  ) {}

  /**
   * Runs `work` against the app's server (starting the app when none runs), riding out a switch
   * or restart; says which server answered. Throws Unavailable when no server can be reached, and
   * what the server answered (a protocol error) as it is.
   */
  async forward<T>(work: (client: Client) => Promise<T>, signal?: AbortSignal): Promise<{ result: T; server: RuntimeInfo }> {
    await this.app.reach();
    const deadline = Date.now() + this.options.retryWindowMs;
    for (;;) {
      const server = (await this.app.current()) ?? (await this.app.serverOfRunningApp(deadline));
      let problem: string;
      try {
        return { result: await work(await this.#clientFor(server)), server };
      } catch (error) {
        if (!passing(error) || signal?.aborted) throw error;
        this.#drop(serverKey(server));
        problem =
          error instanceof SdkHttpError
            ? `the app's server answered ${error.status}`
            : `the app's server is not reachable (${(error as Error).message})`;
      }
      if (Date.now() > deadline) throw new Unavailable(problem);
      await sleep(this.options.pollMs);
    }
  }

  async close(): Promise<void> {
    const link = this.#link;
    this.#link = null;
    await link?.client.then((client) => client.close()).catch(() => undefined);
  }

  async #clientFor(server: RuntimeInfo): Promise<Client> {
    const key = serverKey(server);
    if (this.#link?.key !== key) {
      void this.close();
      this.#link = { key, client: this.#connect(server) };
    }
    try {
      return await this.#link.client;
    } catch (error) {
      this.#drop(key);
      throw error;
    }
  }

  #drop(key: string): void {
    if (this.#link?.key === key) void this.close();
  }

  async #connect(server: RuntimeInfo): Promise<Client> {
    const header = this.options.header();
    const client = new Client({ name: 'rabbitmq-mcp-stdio-entry', version: VERSION }, { jsonSchemaValidator: elicitationValidator });
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { authorization: `Bearer ${server.token}`, ...(header ? { [CLIENT_HEADER]: header } : {}) } },
    });
    await client.connect(transport);
    return client;
  }
}
