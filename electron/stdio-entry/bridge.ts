import { unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import {
  CLIENT_INFO_META_KEY,
  type CallToolResult,
  type JSONRPCMessage,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
  type Tool,
  type Transport,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { z } from 'zod';
import { inQuotes } from '../../server/broker/one-line.js';
import { askYesNo } from '../../server/mcp/ask-yes-no.js';
import { elicitationValidator } from '../../server/mcp/elicitation-validator.js';
import { describeInvalidArguments, describeTool } from '../../server/tools/tool-listing.js';
import type { ToolDefinition, ToolResult } from '../../server/tools/tool.js';
import { SERVER_NAME, VERSION } from '../../server/version.js';
import type { RuntimeInfo } from '../core/supervisor/runtime-file.js';
import { requestSwitch } from '../core/supervisor/switch-requests.js';
import { AppServer, Unavailable } from './app-server.js';
import { AppServerClient, serverKey } from './app-server-client.js';
import { type BrokerToolContext, brokerTools } from './broker-tools.js';
import { clientHeader } from './client-header.js';
import type { EntryLog } from './entry-log.js';

export interface BridgeDependencies {
  /** The app's folder: runtime.json, app-status.json, requests/ (switch_broker). */
  home: string;
  /** How to start the app when it is not running, or null when this entry cannot (then calls say so). */
  launchCommand: readonly string[] | null;
  /** The environment the app is started with. */
  launchEnv: NodeJS.ProcessEnv;
  /** The connection to the AI client: a StdioServerTransport, or one end of an in-memory pair. */
  transport: Transport;
  log: EntryLog;
  /** How often the runtime and status files are looked at (default 500 ms). */
  pollMs?: number;
  /** How long to wait for the server of an app being started (default 30 s). */
  startWaitMs?: number;
  /** How long a switch or restart is ridden out before a call fails (default 15 s). */
  retryWindowMs?: number;
}

export interface Bridge {
  /** Stops following the app's files, closes both connections. Safe to call twice. */
  close(): Promise<void>;
}

/** A forwarded call may wait long (a person approving it in the app); the client's own timeout and cancel bound it. */
const FORWARDED_CALL_TIMEOUT_MS = 60 * 60_000;
const ENTRY_LOGGER = 'rabbitmq-mcp';
type EntryTool = ToolDefinition<z.ZodObject, BrokerToolContext>;

const asResult = (output: string | ToolResult): CallToolResult => {
  const result = typeof output === 'string' ? { text: output } : output;
  return { content: [{ type: 'text', text: result.text }], ...(result.isError ? { isError: true } : {}) };
};

function unavailable(error: unknown): Unavailable | null {
  return error instanceof Unavailable ? error : null;
}

/** What a switch or restart means for the client, in plain words; the profile name is quoted on one line. */
function switchNotice(info: RuntimeInfo, sameProfile: boolean): string {
  const profile = `broker profile ${inQuotes(info.profileName)} (${info.safety})`;
  return sameProfile
    ? `The RabbitMQ MCP app restarted its server for ${profile}. Previews and confirmation handles from before the restart are void: preview again before changing anything.`
    : `The RabbitMQ MCP app switched to ${profile}. Previews and confirmation handles from before the switch are void: preview again before changing anything.`;
}

/**
 * The stdio entry as a bridge: toward the AI client an SDK server of either protocol generation
 * (serveStdio pins the one the client opens with), toward the app's server an SDK client
 * (AppServerClient). tools, resources, prompts and completions are forwarded; list_brokers and
 * switch_broker are the entry's own, offered while the app has two profiles or more. Every switch
 * or restart of the app's server is told to the client: tools/list_changed, a warning log message
 * (as its logging level allows), and a notice first in the next tool answer from the new server,
 * unless this client asked for that switch. Nothing happens until called.
 */
export function serveBridge(dependencies: BridgeDependencies): Bridge {
  const { home, log, transport } = dependencies;
  const pollMs = dependencies.pollMs ?? 500;
  const app = new AppServer({
    home,
    launchCommand: dependencies.launchCommand,
    launchEnv: dependencies.launchEnv,
    log,
    startWaitMs: dependencies.startWaitMs ?? 30_000,
    pollMs: Math.min(pollMs, 250),
  });
  /** Who the client said it is as it opened the connection (initialize, or its first request's _meta). */
  let client: { name: string; header: string | null } = { name: 'an AI client', header: null };
  const upstream = new AppServerClient(app, {
    header: () => client.header,
    retryWindowMs: dependencies.retryWindowMs ?? 15_000,
    pollMs: 250,
  });
  /** What the entry knows of the server it follows and what the client was told. */
  const following: {
    server: { key: string; profileId: string; safety: RuntimeInfo['safety'] } | null;
    /** The runtime file named no live server at the last look: the next one's tools are news. */
    gone: boolean;
    /** The profile this client asked for with switch_broker: switching to it needs no notice in a tool answer. */
    asked: string | null;
    /** The notice owed to the first tool answer from that server (by key). */
    notice: { server: string; text: string } | null;
  } = { server: null, gone: false, asked: null, notice: null };
  /** The instance serving the client, once it can hear of changes (its opening is answered). */
  let serving: Server | null = null;
  let offered = false;
  let closed = false;

  const notify = (send: (server: Server) => Promise<void>) => {
    if (serving) void send(serving).catch(() => undefined);
  };

  /**
   * Takes note of the server the runtime file names (or that answered), and tells the client what
   * changed: tools/list_changed when the server appears or its safety level changes; for another
   * server than the last one also the warning and the notice.
   */
  function followServer(info: RuntimeInfo | null): void {
    if (!info) {
      following.gone = true;
      return;
    }
    const before = following.server;
    const wasGone = following.gone;
    const key = serverKey(info);
    following.server = { key, profileId: info.profileId, safety: info.safety };
    following.gone = false;
    const switched = before !== null && before.key !== key;
    if ((!switched && !wasGone && before?.safety === info.safety) || !serving) return;
    log('info', 'tool set changed', { safety: info.safety, profile: info.profileName, switched });
    notify((server) => server.sendToolListChanged());
    if (!switched) return;
    const text = switchNotice(info, before.profileId === info.profileId);
    notify((server) => server.sendLoggingMessage({ level: 'warning', logger: ENTRY_LOGGER, data: text }));
    const asked = following.asked;
    following.asked = null;
    following.notice = asked === info.profileId ? null : { server: key, text };
  }

  async function forward<T>(
    rpc: string,
    work: (upstream: Client) => Promise<T>,
    signal: AbortSignal,
  ): Promise<{ result: T; server: string }> {
    const started = Date.now();
    try {
      const { result, server } = await upstream.forward(work, signal);
      followServer(server);
      log('info', 'forwarded', { rpc, ms: Date.now() - started });
      return { result, server: serverKey(server) };
    } catch (error) {
      log('warn', 'not forwarded', { rpc, reason: (error as Error).message });
      throw error;
    }
  }

  /** Forwards a request; when no server can be reached, `fallback` answers (or an error says why). */
  async function forwardOr<T>(rpc: string, work: (upstream: Client) => Promise<T>, signal: AbortSignal, fallback?: T): Promise<T> {
    try {
      return (await forward(rpc, work, signal)).result;
    } catch (error) {
      const problem = unavailable(error);
      if (!problem) throw error;
      if (fallback !== undefined) return fallback;
      throw new ProtocolError(ProtocolErrorCode.InternalError, problem.text);
    }
  }

  async function callEntryTool(tool: EntryTool, rawArguments: unknown, server: Server, ctx: ServerContext): Promise<CallToolResult> {
    const parsed = tool.input.safeParse(rawArguments ?? {});
    if (!parsed.success) return { content: [{ type: 'text', text: describeInvalidArguments(tool.name, parsed.error) }], isError: true };
    const canAsk = server.getClientCapabilities()?.elicitation !== undefined;
    const context: BrokerToolContext = {
      brokers: await app.brokers(),
      ask: canAsk
        ? async (message) => {
            try {
              const action = await askYesNo(ctx, message, {
                title: 'Switch',
                description: 'Yes, switch the RabbitMQ MCP app to this broker',
              });
              if (action !== 'accept') log('info', 'broker switch declined', { client: client.name, action });
              return action;
            } catch (error) {
              log('warn', 'could not ask to switch', { reason: (error as Error).message });
              return 'cancel';
            }
          }
        : null,
      async switchTo(profile) {
        // This client asked for the switch and is told so in the answer: its tool answers need no notice of it.
        following.asked = profile.id;
        const result = await requestSwitch(join(home, 'requests'), profile.id, client.name);
        if (!result?.ok && following.asked === profile.id) following.asked = null;
        log('info', 'broker switched from the chat', { client: client.name, profile: profile.name, ok: result?.ok ?? null });
        return result;
      },
    };
    return asResult(await tool.handler(parsed.data, context));
  }

  async function newServer(era: 'legacy' | 'modern'): Promise<Server> {
    // The opening waits for the app's server (starting the app if need be), for its instructions.
    let instructions: string | undefined;
    try {
      instructions = (await forward('open', async (upstreamClient) => upstreamClient.getInstructions(), AbortSignal.timeout(60_000)))
        .result;
    } catch (error) {
      instructions = unavailable(error)?.text ?? `RabbitMQ MCP: ${(error as Error).message}`;
    }
    const server = new Server(
      { name: SERVER_NAME, version: VERSION },
      {
        capabilities: { tools: { listChanged: true }, resources: {}, prompts: {}, completions: {}, logging: {} },
        instructions,
        jsonSchemaValidator: elicitationValidator,
      },
    );
    server.setRequestHandler('tools/list', async (request, ctx) => {
      const tools = await forwardOr(
        'tools/list',
        async (upstreamClient) => upstreamClient.listTools(request.params, { signal: ctx.mcpReq.signal, cacheMode: 'bypass' }),
        ctx.mcpReq.signal,
        { tools: [] },
      );
      const ours =
        request.params?.cursor === undefined && (await app.brokers())
          ? brokerTools.map((tool) => describeTool(tool, 'destructive', false))
          : [];
      return { ...tools, tools: [...tools.tools, ...ours] };
    });
    server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult> => {
      const own = brokerTools.find((tool) => tool.name === request.params.name);
      if (own) return callEntryTool(own, request.params.arguments, server, ctx);
      const progressToken = ctx.mcpReq._meta?.progressToken;
      const { signal } = ctx.mcpReq;
      try {
        const { result, server: answered } = await forward(
          'tools/call',
          async (upstreamClient) =>
            (await upstreamClient.callTool(request.params, {
              signal,
              timeout: FORWARDED_CALL_TIMEOUT_MS,
              ...(progressToken === undefined
                ? {}
                : {
                    onprogress: (progress) =>
                      void ctx.mcpReq
                        .notify({ method: 'notifications/progress', params: { ...progress, progressToken } })
                        .catch(() => undefined),
                  }),
            })) as CallToolResult,
          signal,
        );
        const notice = following.notice;
        if (!notice || notice.server !== answered) return result;
        following.notice = null;
        return { ...result, content: [{ type: 'text', text: notice.text }, ...result.content] };
      } catch (error) {
        const problem = unavailable(error);
        if (!problem) throw error;
        return { content: [{ type: 'text', text: problem.text }], isError: true };
      }
    });
    server.setRequestHandler('resources/list', (request, ctx) =>
      forwardOr(
        'resources/list',
        (up) => up.listResources(request.params, { signal: ctx.mcpReq.signal, cacheMode: 'bypass' }),
        ctx.mcpReq.signal,
        {
          resources: [],
        },
      ),
    );
    server.setRequestHandler('resources/templates/list', (request, ctx) =>
      forwardOr(
        'resources/templates/list',
        (up) => up.listResourceTemplates(request.params, { signal: ctx.mcpReq.signal, cacheMode: 'bypass' }),
        ctx.mcpReq.signal,
        { resourceTemplates: [] },
      ),
    );
    server.setRequestHandler('resources/read', (request, ctx) =>
      forwardOr(
        'resources/read',
        (up) => up.readResource(request.params, { signal: ctx.mcpReq.signal, cacheMode: 'bypass' }),
        ctx.mcpReq.signal,
      ),
    );
    server.setRequestHandler('prompts/list', (request, ctx) =>
      forwardOr(
        'prompts/list',
        (up) => up.listPrompts(request.params, { signal: ctx.mcpReq.signal, cacheMode: 'bypass' }),
        ctx.mcpReq.signal,
        {
          prompts: [],
        },
      ),
    );
    server.setRequestHandler('prompts/get', (request, ctx) =>
      forwardOr('prompts/get', (up) => up.getPrompt(request.params, { signal: ctx.mcpReq.signal }), ctx.mcpReq.signal),
    );
    server.setRequestHandler('completion/complete', (request, ctx) =>
      forwardOr('completion/complete', (up) => up.complete(request.params, { signal: ctx.mcpReq.signal }), ctx.mcpReq.signal, {
        completion: { values: [] },
      }),
    );
    // The last instance made is the one serveStdio pins (a discarded probe instance comes first).
    if (era === 'modern') serving = server;
    else server.oninitialized = () => (serving = server);
    return server;
  }

  const handle = serveStdio(({ era }) => newServer(era), {
    transport,
    onerror: (error) => log('warn', 'stdio connection error', { reason: error.message }),
  });
  // Who the client is, from the message it opens with, before the instance for it is made.
  const deliver = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if (client.header === null && 'method' in message) {
      const params = message.params as { clientInfo?: unknown; _meta?: Record<string, unknown> } | undefined;
      const info = (message.method === 'initialize' ? params?.clientInfo : params?._meta?.[CLIENT_INFO_META_KEY]) as
        { name?: unknown; version?: unknown } | undefined;
      const header = clientHeader(info);
      if (header) client = { name: typeof info?.name === 'string' ? info.name : header, header };
    }
    deliver?.(message, extra);
  };

  const runtimeChanged = () => void app.current().then(followServer);
  const statusChanged = () =>
    void app.brokers().then((list) => {
      if ((list !== null) === offered) return;
      offered = list !== null;
      notify((server) => server.sendToolListChanged());
    });
  void (async () => {
    followServer(await app.current());
    offered = (await app.brokers()) !== null;
    if (closed) return;
    watchFile(app.runtimeFile, { interval: pollMs, persistent: false }, runtimeChanged);
    watchFile(app.statusFile, { interval: pollMs, persistent: false }, statusChanged);
  })();

  return {
    async close() {
      if (closed) return;
      closed = true;
      unwatchFile(app.runtimeFile, runtimeChanged);
      unwatchFile(app.statusFile, statusChanged);
      await handle.close();
      await upstream.close();
    },
  };
}
