import { z } from 'zod';
import { profileInputSchema } from '../shared/profile.js';
import { settingsPatchSchema } from '../core/settings/settings-schema.js';
import { API_ARGUMENTS, API_EVENTS, API_METHODS, type AppEventName, type ArgumentKinds, type ArgumentSpec } from '../shared/contract.js';

/** IPC channels are named "namespace:method"; events travel on "event:<name>". */
export function methodChannel(namespace: string, method: string): string {
  return `${namespace}:${method}`;
}

export function eventChannel(event: AppEventName): string {
  return `event:${event}`;
}

const logQuery = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  search: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(5000).optional(),
});

/** The schema of each kind of argument the contract names. */
const ARGUMENT_SCHEMAS: { [K in keyof ArgumentKinds]: z.ZodType<ArgumentKinds[K], unknown> } = {
  id: z.string().min(1).max(100),
  profileInput: profileInputSchema as z.ZodType<ArgumentKinds['profileInput'], unknown>,
  password: z.string().max(10_000),
  clientId: z.enum(['claude-desktop', 'claude-code', 'cursor', 'vscode', 'windsurf']),
  logQuery,
  adminLogin: z.strictObject({ user: z.string().min(1).max(1000), password: z.string().max(10_000) }),
  exportRequest: z.strictObject({ ids: z.array(z.string().min(1).max(100)).max(1000), passphrase: z.string().max(10_000).optional() }),
  importSource: z.discriminatedUnion('from', [
    z.strictObject({ from: z.literal('dialog') }),
    z.strictObject({ from: z.literal('usual'), path: z.string().min(1).max(4096) }),
  ]),
  importRequest: z.strictObject({
    token: z.string().min(1).max(100),
    choices: z.array(z.strictObject({ key: z.number().int().min(0).max(10_000), name: z.string().max(1000) })).max(1000),
    passphrase: z.string().max(10_000).optional(),
    withoutPasswords: z.boolean().optional(),
  }),
  settingsPatch: settingsPatchSchema as z.ZodType<ArgumentKinds['settingsPatch'], unknown>,
  aboutLink: z.enum(['docs', 'issues']),
};

function tupleOf(specs: readonly ArgumentSpec[]): z.ZodType {
  const items = specs.map((spec) => {
    const kind = spec.replace(/\?$/, '') as keyof ArgumentKinds;
    return spec.endsWith('?') ? ARGUMENT_SCHEMAS[kind].optional() : ARGUMENT_SCHEMAS[kind];
  });
  return z.tuple(items as [z.ZodType, ...z.ZodType[]]);
}

/** The arguments each method accepts from the window, checked in the main process. */
export const argumentSchemas = Object.fromEntries(
  Object.entries(API_ARGUMENTS).map(([namespace, methods]) => [
    namespace,
    Object.fromEntries(Object.entries(methods).map(([method, specs]) => [method, tupleOf(specs)])),
  ]),
) as { [N in keyof typeof API_ARGUMENTS]: Record<keyof (typeof API_ARGUMENTS)[N], z.ZodType> };

export { API_EVENTS, API_METHODS };
