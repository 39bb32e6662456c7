import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { AppApi } from '../../electron/shared/contract.js';
import { API_METHODS } from '../../electron/shared/contract.js';
import { forwardEvents, registerApiHandlers } from '../../electron/shell/ipc-server.js';
import { isAppPage } from '../../electron/shell/window-security.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.png': 'image/png',
};

type Handler = (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown;

/**
 * Stands in for Electron's IPC so the real window runs in a real Chromium against the real
 * host: it serves the built page, and carries invoke/handle over HTTP through the same
 * handlers main.ts registers (sender check and argument validation included) and the host's
 * events over server-sent events. The page's URL (its Referer) plays the sender frame's URL.
 */
export async function startWindowBridge(root: string, host: AppApi): Promise<{ url: string; close: () => Promise<void> }> {
  const handlers = new Map<string, Handler>();
  const streams = new Set<ServerResponse>();
  let pageUrl = '';

  const stopHandlers = registerApiHandlers(
    { handle: (channel, listener) => handlers.set(channel, listener), removeHandler: (channel) => handlers.delete(channel) },
    host,
    (url) => isAppPage(url, pageUrl),
  );
  const stopEvents = forwardEvents(host, (channel, payload) => {
    for (const stream of streams) stream.write(`event: ${channel}\ndata: ${JSON.stringify(payload)}\n\n`);
  });

  async function invoke(request: IncomingMessage, response: ServerResponse, channel: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const handler = handlers.get(channel);
    try {
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      const args = JSON.parse(Buffer.concat(chunks).toString('utf8') || '[]') as unknown[];
      const result = await handler({ senderFrame: { url: request.headers.referer ?? '' } }, ...args);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: result ?? null }));
    } catch (error) {
      // What Electron's invoke rejects with in the renderer.
      const message = `Error invoking remote method '${channel}': Error: ${(error as Error).message}`;
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
    }
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://bridge').pathname;
    if (request.method === 'POST' && path.startsWith('/ipc/')) return void invoke(request, response, decodeURIComponent(path.slice(5)));
    if (path === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      response.write(': connected\n\n');
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return;
    }
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root)) return void response.writeHead(403).end();
    readFile(file).then(
      (body) => response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`;
  pageUrl = url;
  return {
    url,
    close: async () => {
      stopHandlers();
      stopEvents();
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The preload's job in the browser: window.rabbitmqMcp with exactly the contract's methods,
 * each a call on "namespace:method", and events that hand listeners the payload only. Runs in
 * the page (serialised by Playwright), so it may not close over anything.
 */
export function installBridgeApi(methods: typeof API_METHODS): void {
  type Listener = (message: { data: string }) => void;
  interface PageGlobals {
    EventSource: new (url: string) => {
      addEventListener(type: string, listener: Listener): void;
      removeEventListener(type: string, listener: Listener): void;
    };
    rabbitmqMcp?: unknown;
  }
  const page = globalThis as unknown as PageGlobals;
  const api: Record<string, unknown> = {};
  for (const [namespace, names] of Object.entries(methods)) {
    api[namespace] = Object.fromEntries(
      names.map((method) => [
        method,
        async (...args: unknown[]) => {
          const response = await fetch(`/ipc/${encodeURIComponent(`${namespace}:${method}`)}`, {
            method: 'POST',
            body: JSON.stringify(args),
          });
          const body = (await response.json()) as { result?: unknown; error?: string };
          if (!response.ok) throw new Error(body.error);
          return body.result;
        },
      ]),
    );
  }
  let source: InstanceType<PageGlobals['EventSource']> | null = null;
  api.events = {
    on(event: string, listener: (payload: unknown) => void) {
      source ??= new page.EventSource('/events');
      const handler: Listener = (message) => listener(JSON.parse(message.data));
      source.addEventListener(`event:${event}`, handler);
      return () => source?.removeEventListener(`event:${event}`, handler);
    },
  };
  page.rabbitmqMcp = api;
}
