import type { AppApi } from '../shared/contract.js';
import { API_EVENTS, API_METHODS, argumentSchemas, eventChannel, methodChannel } from './ipc-contract.js';

/** The part of Electron's ipcMain this uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/**
 * Serves the API to the window over invoke/handle: every call must come from the app's own
 * page, and its arguments must match the contract; the answer is the host's.
 */
export function registerApiHandlers(ipc: IpcMainLike, api: AppApi, isTrustedPage: (url: string) => boolean): () => void {
  const channels: string[] = [];
  for (const [namespace, methods] of Object.entries(API_METHODS) as [keyof typeof API_METHODS, readonly string[]][]) {
    for (const method of methods) {
      const channel = methodChannel(namespace, method);
      const schema = (
        argumentSchemas[namespace] as Record<
          string,
          {
            safeParse(value: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } };
          }
        >
      )[method];
      ipc.handle(channel, (event, ...args) => {
        const url = event.senderFrame?.url ?? '';
        if (!isTrustedPage(url)) throw new Error(`${channel} refused: the request did not come from the app's window`);
        const parsed = schema?.safeParse(args);
        if (!parsed?.success) {
          const problems = parsed?.error?.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ');
          throw new Error(`Invalid arguments for ${channel}: ${problems}`);
        }
        const target = (api as unknown as Record<string, Record<string, (...values: unknown[]) => unknown>>)[namespace]?.[method];
        return target?.(...(parsed.data as unknown[]));
      });
      channels.push(channel);
    }
  }
  return () => {
    for (const channel of channels) ipc.removeHandler(channel);
  };
}

/** Pushes the host's events to a window; returns the function that stops. */
export function forwardEvents(api: AppApi, send: (channel: string, payload: unknown) => void): () => void {
  const stops = API_EVENTS.map((event) => api.events.on(event, (payload) => send(eventChannel(event), payload)));
  return () => {
    for (const stop of stops) stop();
  };
}
