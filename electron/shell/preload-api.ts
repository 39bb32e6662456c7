import type { AppApi, AppEventName, AppEvents } from '../shared/contract.js';
import { API_EVENTS, API_METHODS } from '../shared/contract.js';

/** The part of Electron's ipcRenderer the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}

/**
 * The object the preload exposes as window.rabbitmqMcp: exactly the methods of the contract,
 * each one invoke on "namespace:method", and typed event subscriptions that hand the listener
 * the payload only (never Electron's event object) and return their unsubscribe function.
 */
export function createPreloadApi(ipc: IpcRendererLike): AppApi {
  const api: Record<string, unknown> = {};
  for (const [namespace, methods] of Object.entries(API_METHODS)) {
    api[namespace] = Object.fromEntries(
      methods.map((method) => [method, (...args: unknown[]) => ipc.invoke(`${namespace}:${method}`, ...args)]),
    );
  }
  api.events = {
    on<E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void): () => void {
      if (!API_EVENTS.includes(event)) throw new Error(`unknown event ${String(event)}`);
      const channel = `event:${event}`;
      const wrapped = (_event: unknown, payload: unknown) => listener(payload as AppEvents[E]);
      ipc.on(channel, wrapped);
      return () => {
        ipc.removeListener(channel, wrapped);
      };
    },
  };
  return api as unknown as AppApi;
}
