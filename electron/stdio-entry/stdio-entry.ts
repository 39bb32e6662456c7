/**
 * What AI clients launch (through the app's own binary, ELECTRON_RUN_AS_NODE=1): an MCP server
 * on stdio that forwards every message to the server the app supervises, found through the
 * runtime file. A profile switch in the app rewrites that file, so the client's next call goes
 * to the new server without the client reconnecting. Every switch (or restart of the server) is
 * announced: notifications/tools/list_changed, a warning log message, and a notice in the first
 * tool answer from the new server, because previews and confirmation handles from before are void.
 * Each POST names the AI client to the server (x-rabbitmq-mcp-client). When no server is
 * published, the app's status file says why (a crash loop given up on, no profile yet) and the
 * answer says so; a running app is never started twice. When the app is not running it is
 * started in the background and waited for; one that exits at once, or cannot start, is reported
 * at once.
 */
import { spawn } from 'node:child_process';
import { watchFile } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inQuotes } from '../../server/broker/one-line.js';
import { DailyLogFile } from '../../server/logging/daily-log-file.js';
import { type AppStatusInfo, type RuntimeInfo, processAlive, readAppStatus, readRuntimeInfo } from '../core/supervisor/runtime-file.js';
import { requestSwitch } from '../core/supervisor/switch-requests.js';

const home = process.env.RABBITMQ_MCP_HOME ?? join(homedir(), '.rabbitmq-mcp');
const runtimeFile = join(home, 'runtime.json');
const statusFile = join(home, 'app-status.json');
const START_WAIT_MS = 30_000;
const RETRY_WINDOW_MS = 15_000;

let logFile: DailyLogFile | null = null;
try {
  logFile = new DailyLogFile({ dir: join(home, 'logs'), prefix: 'stdio-entry', retentionDays: 30 });
} catch {
  // No log folder: keep serving, stdout must stay clean either way.
}

function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  logFile?.write(`${JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, source: 'stdio-entry', ...fields, msg })}\n`);
}

interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: unknown;
}

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function currentServer(): Promise<RuntimeInfo | null> {
  const info = await readRuntimeInfo(runtimeFile);
  return info && processAlive(info.appPid) ? info : null;
}

/** What the running app says it is doing, or null when no app is running. */
async function runningApp(): Promise<AppStatusInfo | null> {
  const status = await readAppStatus(statusFile);
  return status && processAlive(status.appPid) ? status : null;
}

const OPEN_THE_APP = 'Open the RabbitMQ MCP app (it starts the server for the active profile), then try again.';

/** Why a call cannot reach a server, and what the user can do about it. */
class Unavailable extends Error {
  constructor(
    reason: string,
    readonly advice = OPEN_THE_APP,
  ) {
    super(reason);
  }
}

/** The truth when the app runs but publishes no server, or null while it is still getting there. */
function notServing(status: AppStatusInfo): Unavailable | null {
  const { server } = status;
  switch (server.status) {
    case 'failed':
      return new Unavailable(
        `the server for profile '${server.profileName}' crashed ${server.crashes} times (${server.exit}) and the app stopped restarting it${server.lastError ? `; its last error: ${server.lastError}` : ''}`,
        'Open the RabbitMQ MCP app and press "Restart the server" (Profiles page or tray menu), or edit the profile, then try again.',
      );
    case 'stopped':
      return status.profiles === 0
        ? new Unavailable('the RabbitMQ MCP app has no broker yet', 'Open the RabbitMQ MCP app and add a broker, then try again.')
        : new Unavailable("the RabbitMQ MCP app's server is stopped", 'Open the RabbitMQ MCP app and pick a profile, then try again.');
    default:
      return null;
  }
}

let launching: Promise<RuntimeInfo> | null = null;

/** How to start the app: RABBITMQ_MCP_LAUNCH (a JSON array, set in AppImage configs), else the app's own binary. */
function launchCommand(): string[] | null {
  if (process.env.RABBITMQ_MCP_LAUNCH) return JSON.parse(process.env.RABBITMQ_MCP_LAUNCH) as string[];
  if (!process.versions.electron) return null;
  // Inside an AppImage the binary lives on a mount that goes away with this process: start the
  // AppImage file itself. APPIMAGE counts only when this binary is inside its APPDIR (another
  // AppImage, say the AI client's own, would leave its APPIMAGE in our environment).
  const { APPIMAGE, APPDIR } = process.env;
  if (APPIMAGE && APPDIR && process.execPath.startsWith(`${APPDIR}/`)) return [APPIMAGE, '--hidden'];
  return [process.execPath, '--hidden'];
}

/**
 * Waits for the server of an app that runs (starting, restarting after a crash), and says what
 * is true when it will not come (crash loop given up, no profile, the app quit). Never starts
 * another app.
 */
async function serverOfRunningApp(deadline: number): Promise<RuntimeInfo> {
  for (;;) {
    const info = await currentServer();
    if (info) return info;
    const status = await runningApp();
    if (!status) throw new Unavailable('the RabbitMQ MCP app quit');
    const problem = notServing(status);
    if (problem) throw problem;
    if (Date.now() > deadline) {
      throw new Unavailable(
        `the app's server for profile '${'profileName' in status.server ? status.server.profileName : '?'}' is still ${status.server.status}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts the app in the background (tray only) once, and waits until its server is published. */
function startApp(): Promise<RuntimeInfo> {
  launching ??= (async () => {
    const command = launchCommand();
    if (!command) throw new Unavailable('the RabbitMQ MCP app is not running');
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    log('info', 'starting the app', { command: command[0] });
    let failure: Unavailable | null = null;
    try {
      const child = spawn(command[0] as string, command.slice(1), { detached: true, stdio: 'ignore', env, windowsHide: true });
      child.on('error', (error) => {
        failure = new Unavailable('the RabbitMQ MCP app could not be started');
        log('error', 'cannot start the app', { reason: error.message });
      });
      // A tray app keeps running: one that exits at once crashed, or found another instance.
      child.on('exit', (code, signal) => {
        failure ??= new Unavailable(
          `the RabbitMQ MCP app exited at once (${signal ? `killed by ${signal}` : `exit code ${code}`}) without starting its server`,
          'Open the RabbitMQ MCP app yourself to see what is wrong, then try again.',
        );
        log('warn', 'the app exited at once', { code, signal });
      });
      child.unref();
    } catch (error) {
      log('error', 'cannot start the app', { reason: (error as Error).message });
      throw new Unavailable('the RabbitMQ MCP app could not be started');
    }
    const deadline = Date.now() + START_WAIT_MS;
    for (;;) {
      const info = await currentServer();
      if (info) return info;
      const status = await runningApp();
      // Another instance was already there (ours left at once): follow that one.
      if (status) return serverOfRunningApp(deadline);
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Unavailable(`the RabbitMQ MCP app did not start its server within ${START_WAIT_MS / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })().finally(() => {
    setTimeout(() => {
      launching = null;
    }, 5000);
  });
  return launching;
}

/** The header that tells the app's server which AI app asks (its approval dialog shows it). */
const CLIENT_HEADER = 'x-rabbitmq-mcp-client';
const CLIENT_HEADER_MAX = 100;

/**
 * The client's clientInfo as CLIENT_HEADER's value, `<name> <version>`: printable ASCII only
 * (anything else becomes '?', so the client cannot break the header or forge another), at most
 * CLIENT_HEADER_MAX characters. Null when the client named itself not at all.
 */
function clientHeader(info: { name?: unknown; version?: unknown } | undefined): string | null {
  const words = [info?.name, info?.version].filter((word): word is string => typeof word === 'string' && word.trim() !== '');
  if (words.length === 0) return null;
  const printable = Array.from(words.join(' '), (char) => (char >= ' ' && char <= '~' ? char : '?')).join('');
  return printable.slice(0, CLIENT_HEADER_MAX).trim();
}

async function post(info: RuntimeInfo, message: JsonRpcMessage): Promise<Response> {
  return fetch(info.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${info.token}`,
      ...(client.header ? { [CLIENT_HEADER]: client.header } : {}),
    },
    body: JSON.stringify(message),
  });
}

/** The published server: now, once the running app publishes one, or after starting the app. */
async function reachServer(): Promise<RuntimeInfo> {
  const info = await currentServer();
  if (info) return info;
  if (await runningApp()) return serverOfRunningApp(Date.now() + START_WAIT_MS);
  return startApp();
}

/**
 * Posts one message, riding out a profile switch or restart (503, refused, new token), and says
 * which server answered. A server the entry had not seen yet is announced (followServer) before
 * its answer is relayed.
 */
async function deliver(message: JsonRpcMessage): Promise<{ response: Response; server: RuntimeInfo }> {
  await reachServer();
  const deadline = Date.now() + RETRY_WINDOW_MS;
  let lastProblem = '';
  for (;;) {
    const info = (await currentServer()) ?? (await serverOfRunningApp(deadline));
    try {
      const response = await post(info, message);
      if (response.status !== 503 && response.status !== 401) {
        followServer(info);
        return { response, server: info };
      }
      lastProblem = `the app's server answered ${response.status}`;
      await response.body?.cancel();
    } catch (error) {
      lastProblem = `the app's server is not reachable (${(error as Error).message})`;
    }
    if (Date.now() > deadline) throw new Unavailable(lastProblem);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Copies a JSON or SSE answer to stdout, message by message, each through `transform` when given. */
async function relay(response: Response, transform?: (message: JsonRpcMessage & { result?: unknown }) => unknown): Promise<void> {
  const write = (json: string) => {
    if (!transform) return process.stdout.write(`${json.replace(/\n/g, ' ')}\n`);
    let message: JsonRpcMessage;
    try {
      message = JSON.parse(json) as JsonRpcMessage;
    } catch {
      return process.stdout.write(`${json.replace(/\n/g, ' ')}\n`);
    }
    return process.stdout.write(`${JSON.stringify(transform(message))}\n`);
  };
  if (response.status === 202) return;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream') && response.body) {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary !== -1) {
        const event = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data) write(data);
        boundary = buffer.indexOf('\n\n');
      }
    }
    return;
  }
  const text = (await response.text()).trim();
  if (text) write(text);
}

// --- list_brokers and switch_broker: the app's profiles, from the chat -------------------------

/**
 * What the client said about itself in initialize: its name (for the app's log), the same with its
 * version as CLIENT_HEADER's value, and whether it can ask its user (elicitation).
 */
let client: { name: string; header: string | null; elicitation: boolean } = { name: 'an AI client', header: null, elicitation: false };
const elicitations = new Map<string | number, (answer: JsonRpcMessage & { result?: unknown; error?: unknown }) => void>();
let nextElicitation = 0;
const ELICITATION_TIMEOUT_MS = 5 * 60_000;

const BROKER_TOOLS = [
  {
    name: 'list_brokers',
    title: 'List brokers',
    description: "The RabbitMQ MCP app's broker profiles: name, host, vhost, safety level, which is active. Never secrets.",
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'switch_broker',
    title: 'Switch broker',
    description: 'Make another profile active, after the user confirms; every connected AI app follows.',
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string', description: 'A profile name from list_brokers' } },
      required: ['name'],
    },
    annotations: { destructiveHint: false, idempotentHint: true },
  },
];

/** Offered when the app runs with two profiles or more: otherwise there is nothing to switch to. */
async function brokers(): Promise<NonNullable<AppStatusInfo['brokers']> | null> {
  const status = await runningApp();
  return status?.brokers && status.brokers.length >= 2 ? status.brokers : null;
}

const SAFETY_WORDS: Record<string, string> = {
  'read-only': 'read-only: the assistant can look but not change anything',
  write: 'write: the assistant can also create queues, exchanges and bindings and publish messages',
  destructive: 'destructive: the assistant can also delete, purge, consume and close connections, each after a confirmation',
};

function toolResult(id: JsonRpcMessage['id'], text: string, isError = false): unknown {
  return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], ...(isError ? { isError: true } : {}) } };
}

/** Asks the user through the client (elicitation/create) and resolves with their answer. */
function elicit(message: string): Promise<{ action: string; content?: Record<string, unknown> }> {
  const id = `rabbitmq-mcp-elicit-${++nextElicitation}`;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      elicitations.delete(id);
      resolve({ action: 'cancel' });
    }, ELICITATION_TIMEOUT_MS);
    elicitations.set(id, (answer) => {
      clearTimeout(timer);
      elicitations.delete(id);
      resolve((answer.result as { action: string; content?: Record<string, unknown> } | undefined) ?? { action: 'cancel' });
    });
    send({
      jsonrpc: '2.0',
      id,
      method: 'elicitation/create',
      params: {
        message,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Switch', description: 'Yes, switch the RabbitMQ MCP app to this broker' } },
          required: ['confirm'],
        },
      },
    });
  });
}

async function brokerTool(message: JsonRpcMessage): Promise<unknown> {
  const params = (message.params ?? {}) as { name?: string; arguments?: { name?: unknown } };
  const list = await brokers();
  if (!list)
    return toolResult(
      message.id,
      'The RabbitMQ MCP app has fewer than two broker profiles (or is not running): there is nothing to switch to.',
      true,
    );
  if (params.name === 'list_brokers') {
    const lines = list.map(
      (broker) => `${broker.active ? '* ' : '  '}${broker.name}: ${broker.host}, vhost '${broker.vhost}', ${broker.safety}`,
    );
    return toolResult(
      message.id,
      `Broker profiles in the RabbitMQ MCP app (* is active):\n${lines.join('\n')}\nswitch_broker with name switches, after the user confirms.`,
    );
  }
  const name = typeof params.arguments?.name === 'string' ? params.arguments.name : '';
  const target = list.find((broker) => broker.name === name) ?? list.find((broker) => broker.name.toLowerCase() === name.toLowerCase());
  if (!target)
    return toolResult(
      message.id,
      `No profile named '${name}'. The profiles are: ${list.map((broker) => `'${broker.name}'`).join(', ')}.`,
      true,
    );
  if (target.active) return toolResult(message.id, `${target.name} is already the active broker.`);
  if (!client.elicitation) {
    return toolResult(
      message.id,
      `This AI client cannot ask its user to confirm a switch, so nothing was switched. Ask the user to switch to '${target.name}' from the RabbitMQ MCP tray menu (or its window).`,
      true,
    );
  }
  const answer = await elicit(
    `Switch the RabbitMQ MCP app to '${target.name}' (${target.host}, vhost '${target.vhost}')? Its safety level is ${SAFETY_WORDS[target.safety] ?? target.safety}. Every connected AI app follows the switch.`,
  );
  if (answer.action !== 'accept' || answer.content?.confirm !== true) {
    log('info', 'broker switch declined', { client: client.name, profile: target.name, action: answer.action });
    return toolResult(message.id, `The user did not confirm: the active broker is unchanged.`);
  }
  // This client asked for the switch and is told so below: its tool answers need no notice of it.
  following.asked = target.id;
  const result = await requestSwitch(join(home, 'requests'), target.id, client.name);
  if (!result?.ok && following.asked === target.id) following.asked = null;
  if (!result)
    return toolResult(message.id, 'The RabbitMQ MCP app did not answer the switch request: it may have quit. Nothing was switched.', true);
  log('info', 'broker switched from the chat', { client: client.name, profile: target.name, ok: result.ok });
  return toolResult(
    message.id,
    result.ok ? `${result.message} The tools follow its safety level.` : `Not switched: ${result.message}`,
    !result.ok,
  );
}

/**
 * The answer when the app's server cannot be reached: the client still gets through initialize
 * (so it stays connected and picks the tools up once the app runs: see watchServer), an empty
 * tool list, and tool calls that say what to do.
 */
function unavailableAnswer(message: JsonRpcMessage, problem: Unavailable): unknown {
  const text = `RabbitMQ MCP: ${problem.message}. ${problem.advice}`;
  const params = (message.params ?? {}) as { protocolVersion?: string };
  switch (message.method) {
    case 'initialize':
      return {
        jsonrpc: '2.0',
        id: message.id,
        result: {
          protocolVersion: params.protocolVersion ?? '2025-06-18',
          capabilities: { tools: { listChanged: true } },
          serverInfo: { name: 'rabbitmq-mcp-server', version: 'stdio-entry' },
          instructions: text,
        },
      };
    case 'tools/list':
      return { jsonrpc: '2.0', id: message.id, result: { tools: [] } };
    case 'ping':
      return { jsonrpc: '2.0', id: message.id, result: {} };
    case 'tools/call':
      return { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text }], isError: true } };
    default:
      return { jsonrpc: '2.0', id: message.id, error: { code: -32603, message: text } };
  }
}

async function handle(line: string): Promise<void> {
  let message: JsonRpcMessage;
  try {
    message = JSON.parse(line) as JsonRpcMessage;
  } catch {
    send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    return;
  }
  // The client's answer to our own question (elicitation): ours, not the server's.
  if (message.method === undefined && message.id !== undefined && message.id !== null && elicitations.has(message.id)) {
    elicitations.get(message.id)?.(message);
    return;
  }
  if (message.method === 'initialize') {
    const params = (message.params ?? {}) as {
      clientInfo?: { name?: unknown; version?: unknown };
      capabilities?: { elicitation?: unknown };
    };
    client = {
      name: typeof params.clientInfo?.name === 'string' ? params.clientInfo.name : 'an AI client',
      header: clientHeader(params.clientInfo),
      elicitation: params.capabilities?.elicitation !== undefined,
    };
  }
  if (message.method === 'logging/setLevel') {
    const level = (message.params as { level?: unknown } | undefined)?.level;
    if (LOG_LEVELS.includes(level as LogLevel)) following.logLevel = level as LogLevel;
  }
  const tool = (message.params as { name?: string } | undefined)?.name;
  if (message.method === 'tools/call' && (tool === 'list_brokers' || tool === 'switch_broker')) {
    send(await brokerTool(message));
    return;
  }
  const started = Date.now();
  try {
    const { response, server } = await deliver(message);
    const notice = message.method === 'tools/call' ? following.notice : null;
    // Buffered and rewritten (the tools list, and the first tool answer after a switch): relay's transform is synchronous.
    if (notice && notice.server === serverKey(server)) {
      await relay(response, (answer) => {
        const result = answer.result as { content?: unknown } | undefined;
        if (answer.id !== message.id || !result || !Array.isArray(result.content) || following.notice !== notice) return answer;
        following.notice = null;
        return { ...answer, result: { ...result, content: [{ type: 'text', text: notice.text }, ...result.content] } };
      });
    } else if (message.method === 'tools/list') {
      const extra = await brokers();
      await relay(response, (answer) => {
        const result = answer.result as { tools?: unknown[] } | undefined;
        return extra && answer.id === message.id && result?.tools
          ? { ...answer, result: { ...result, tools: [...result.tools, ...BROKER_TOOLS] } }
          : answer;
      });
    } else await relay(response);
    log('info', 'forwarded', { rpc: message.method ?? 'response', status: response.status, ms: Date.now() - started });
  } catch (error) {
    const problem = error instanceof Unavailable ? error : new Unavailable(`forwarding failed: ${(error as Error).message}`);
    log('warn', 'not forwarded', { rpc: message.method, reason: problem.message });
    if (message.id !== undefined && message.method !== undefined) send(unavailableAnswer(message, problem));
  }
  // Answered (by the server or by us): from now on the client hears of switches.
  if (message.method === 'initialize') following.ready = true;
}

// --- Following the app's server: every switch or restart is told to the client -----------------

/** The MCP log levels (logging/setLevel), least severe first. */
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** One server process as the runtime file names it: another key is another server, whose handles are not ours. */
function serverKey(info: RuntimeInfo): string {
  return JSON.stringify([info.profileId, info.url, info.pid, info.startedAt]);
}

/** What the entry knows of the server it follows and of what the client was told. */
const following: {
  /** The server last seen (runtime file or answer), or null before the first. */
  server: { key: string; profileId: string; safety: RuntimeInfo['safety'] } | null;
  /** The runtime file named no live server at the last look: the next one's tools are news. */
  gone: boolean;
  /** The client has its initialize answer: before that it holds no tools to refetch, no handles to lose. */
  ready: boolean;
  /** The level of the client's last logging/setLevel; null (none sent) lets every message through. */
  logLevel: LogLevel | null;
  /** The profile this client asked for with switch_broker: switching to it needs no notice in a tool answer. */
  asked: string | null;
  /** The notice owed to the first tools/call answer from that server (by key). */
  notice: { server: string; text: string } | null;
} = { server: null, gone: false, ready: false, logLevel: null, asked: null, notice: null };

/** What a switch or restart means for the client, in plain words; the profile name is quoted on one line. */
function switchNotice(info: RuntimeInfo, sameProfile: boolean): string {
  const profile = `broker profile ${inQuotes(info.profileName)} (${info.safety})`;
  return sameProfile
    ? `The RabbitMQ MCP app restarted its server for ${profile}. Previews and confirmation handles from before the restart are void: preview again before changing anything.`
    : `The RabbitMQ MCP app switched to ${profile}. Previews and confirmation handles from before the switch are void: preview again before changing anything.`;
}

/**
 * Takes note of the server the runtime file names (or that answered), and tells the client what
 * changed: tools/list_changed when the server appears or its safety level changes; for another
 * server than the last one (a switch, or a restart of the same profile) also a warning log message
 * (unless the client's logging/setLevel is above warning) and a notice for the next tool answer
 * from it (unless this client asked for that switch itself).
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
  if (!switched && !wasGone && before?.safety === info.safety) return;
  if (!following.ready) return;
  log('info', 'tool set changed', { safety: info.safety, profile: info.profileName, switched });
  send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  if (!switched) return;
  const text = switchNotice(info, before.profileId === info.profileId);
  if (following.logLevel === null || LOG_LEVELS.indexOf(following.logLevel) <= LOG_LEVELS.indexOf('warning')) {
    send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'warning', logger: 'rabbitmq-mcp', data: text } });
  }
  const asked = following.asked;
  following.asked = null;
  following.notice = asked === info.profileId ? null : { server: key, text };
}

/**
 * Follows the runtime file (followServer): the app's server appearing (the app was opened), a
 * switch to another profile, a restart. Also announces list_brokers and switch_broker coming and going.
 */
async function watchServer(): Promise<void> {
  followServer(await currentServer());
  watchFile(runtimeFile, { interval: 500, persistent: false }, () => {
    void currentServer().then(followServer);
  });
  // list_brokers and switch_broker come and go with the second profile.
  let offered = (await brokers()) !== null;
  watchFile(statusFile, { interval: 500, persistent: false }, () => {
    void brokers().then((list) => {
      if ((list !== null) === offered) return;
      offered = list !== null;
      send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    });
  });
}

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
const pending = new Set<Promise<void>>();
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const work = handle(line);
  pending.add(work);
  void work.finally(() => pending.delete(work));
});
lines.on('close', () => {
  void Promise.allSettled([...pending]).then(() => process.exit(0));
});
log('info', 'stdio entry started', { home });
void watchServer();
