import { z } from 'zod';
import { profileInputSchema } from '../core/profiles/profile.js';
import { API_EVENTS, API_METHODS, type AppEventName } from '../shared/contract.js';

/** IPC channels are named "namespace:method"; events travel on "event:<name>". */
export function methodChannel(namespace: string, method: string): string {
  return `${namespace}:${method}`;
}

export function eventChannel(event: AppEventName): string {
  return `event:${event}`;
}

const id = z.string().min(1).max(100);
const clientId = z.enum(['claude-desktop', 'claude-code', 'cursor', 'vscode', 'windsurf']);
const password = z.string().max(10_000);
const logQuery = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  search: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(5000).optional(),
});

/** The arguments each method accepts from the window, checked in the main process. */
export const argumentSchemas: { [N in keyof typeof API_METHODS]: Record<(typeof API_METHODS)[N][number], z.ZodType> } = {
  app: { info: z.tuple([]), completeFirstRun: z.tuple([]) },
  profiles: {
    list: z.tuple([]),
    create: z.tuple([profileInputSchema, password]),
    update: z.tuple([id, profileInputSchema, password.optional()]),
    duplicate: z.tuple([id]),
    remove: z.tuple([id]),
    activate: z.tuple([id]),
    exportAll: z.tuple([]),
  },
  connection: { test: z.tuple([profileInputSchema, password.optional(), id.optional()]) },
  server: { state: z.tuple([]), restart: z.tuple([]) },
  clients: { list: z.tuple([]), connect: z.tuple([clientId]), undo: z.tuple([clientId]) },
  logs: { tail: z.tuple([logQuery]), export: z.tuple([logQuery]) },
  health: { history: z.tuple([]) },
};

export { API_EVENTS, API_METHODS };
