import { type Browser, type Page, chromium } from 'playwright-core';
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
 * Electron's IPC carries values by structured clone, not JSON: undefined stays undefined (an
 * argument left out is not null), and Dates, Maps and Sets arrive as themselves. Over HTTP every
 * value travels tagged, { $: kind, v: value }, so both ends see what Electron's would. The page
 * has its own copy of these two functions (it may not close over this module's).
 */
type Tagged =
  | { $: 'u' }
  | { $: 'p'; v: string | number | boolean | null }
  | { $: 'a'; v: Tagged[] }
  | { $: 'o'; v: Record<string, Tagged> }
  | { $: 'd'; v: number }
  | { $: 'm'; v: [Tagged, Tagged][] }
  | { $: 's'; v: Tagged[] }
  | { $: 'n'; v: 'NaN' | 'Infinity' | '-Infinity' };

export function encodeClone(value: unknown): Tagged {
  if (value === undefined) return { $: 'u' };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $: 'n', v: String(value) as 'NaN' | 'Infinity' | '-Infinity' };
  if (value === null || typeof value !== 'object') return { $: 'p', v: value as string | number | boolean };
  if (Array.isArray(value)) return { $: 'a', v: value.map(encodeClone) };
  if (value instanceof Date) return { $: 'd', v: value.getTime() };
  if (value instanceof Map)
    return { $: 'm', v: [...value].map(([key, item]) => [encodeClone(key), encodeClone(item)] as [Tagged, Tagged]) };
  if (value instanceof Set) return { $: 's', v: [...value].map(encodeClone) };
  return { $: 'o', v: Object.fromEntries(Object.entries(value).map(([key, item]) => [key, encodeClone(item)])) };
}

export function decodeClone(tagged: Tagged): unknown {
  switch (tagged.$) {
    case 'u':
      return undefined;
    case 'p':
      return tagged.v;
    case 'n':
      return Number(tagged.v);
    case 'a':
      return tagged.v.map(decodeClone);
    case 'd':
      return new Date(tagged.v);
    case 'm':
      return new Map(tagged.v.map(([key, item]) => [decodeClone(key), decodeClone(item)]));
    case 's':
      return new Set(tagged.v.map(decodeClone));
    case 'o':
      return Object.fromEntries(Object.entries(tagged.v).map(([key, item]) => [key, decodeClone(item)]));
  }
}

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
    for (const stream of streams) stream.write(`event: ${channel}\ndata: ${JSON.stringify(encodeClone(payload))}\n\n`);
  });

  async function invoke(request: IncomingMessage, response: ServerResponse, channel: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const handler = handlers.get(channel);
    try {
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      const args = decodeClone(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Tagged) as unknown[];
      const result = await handler({ senderFrame: { url: request.headers.referer ?? '' } }, ...args);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: encodeClone(result) }));
    } catch (error) {
      // What Electron's invoke rejects with in the renderer: the main process's error as text
      // (error.toString(), so its class name too: "ProfileValidationError: …").
      const message = `Error invoking remote method '${channel}': ${String(error)}`;
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
  // The page's copy of encodeClone/decodeClone (see above); structuredClone first, so what
  // Electron could not clone (a function) fails here too.
  type Tag = { $: string; v?: unknown };
  const encode = (value: unknown): Tag => {
    if (value === undefined) return { $: 'u' };
    if (typeof value === 'number' && !Number.isFinite(value)) return { $: 'n', v: String(value) };
    if (value === null || typeof value !== 'object') return { $: 'p', v: value };
    if (Array.isArray(value)) return { $: 'a', v: value.map(encode) };
    if (value instanceof Date) return { $: 'd', v: value.getTime() };
    if (value instanceof Map) return { $: 'm', v: [...value].map(([key, item]) => [encode(key), encode(item)]) };
    if (value instanceof Set) return { $: 's', v: [...value].map(encode) };
    return { $: 'o', v: Object.fromEntries(Object.entries(value).map(([key, item]) => [key, encode(item)])) };
  };
  const decode = (tagged: Tag): unknown => {
    const v = tagged.v as never;
    if (tagged.$ === 'u') return undefined;
    if (tagged.$ === 'p') return v;
    if (tagged.$ === 'n') return Number(v);
    if (tagged.$ === 'a') return (v as Tag[]).map(decode);
    if (tagged.$ === 'd') return new Date(v);
    if (tagged.$ === 'm') return new Map((v as [Tag, Tag][]).map(([key, item]) => [decode(key), decode(item)]));
    if (tagged.$ === 's') return new Set((v as Tag[]).map(decode));
    return Object.fromEntries(Object.entries(v as Record<string, Tag>).map(([key, item]) => [key, decode(item)]));
  };
  const api: Record<string, unknown> = {};
  for (const [namespace, names] of Object.entries(methods)) {
    api[namespace] = Object.fromEntries(
      names.map((method) => [
        method,
        async (...args: unknown[]) => {
          const response = await fetch(`/ipc/${encodeURIComponent(`${namespace}:${method}`)}`, {
            method: 'POST',
            body: JSON.stringify(encode(structuredClone(args))),
          });
          const body = (await response.json()) as { result?: Tag; error?: string };
          if (!response.ok) throw new Error(body.error);
          return decode(body.result as Tag);
        },
      ]),
    );
  }
  let source: InstanceType<PageGlobals['EventSource']> | null = null;
  api.events = {
    on(event: string, listener: (payload: unknown) => void) {
      source ??= new page.EventSource('/events');
      const handler: Listener = (message) => listener(decode(JSON.parse(message.data) as Tag));
      source.addEventListener(`event:${event}`, handler);
      return () => source?.removeEventListener(`event:${event}`, handler);
    },
  };
  page.rabbitmqMcp = api;
}

/** Debian's Chromium (CHROMIUM_PATH picks another), headless, for the window tests. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * The window at its default size (electron/shell/app-window.ts) in the light theme, talking to the
 * host through the bridge at `url`; its page errors and console errors go into `pageErrors`.
 */
export async function openBridgedPage(browser: Browser, url: string, pageErrors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1120, height: 780 }, colorScheme: 'light' });
  await context.addInitScript(installBridgeApi, API_METHODS);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(url);
  return page;
}
