/**
 * A connection profile as the user edits it and the app stores it: the schema (which the window,
 * the IPC checks and the store share) and its types. No Node or Electron, like all of shared/.
 */
import { z } from 'zod';

const MAX_NAME = 80;

const host = z
  .string()
  .trim()
  .min(1, 'enter a host name or IP address')
  .regex(/^[^\s/@]+$/, 'a host name only: no scheme (amqp://), path or user@');
const port = z.number().int().min(1, 'ports go from 1 to 65535').max(65535, 'ports go from 1 to 65535');

export const tlsSchema = z.strictObject({
  enabled: z.boolean(),
  /** PEM file paths. */
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  verify: z.boolean().default(true),
});

export const SAFETY_LEVELS = ['read-only', 'write', 'destructive'] as const;
export type SafetyLevel = (typeof SAFETY_LEVELS)[number];

/**
 * Which of the AI's calls wait for a person to approve them in the app: removals and other
 * destructive calls, every change, or none (a sandbox broker). The server's MCP_APP_APPROVAL
 * values (server/mcp/app-approval.ts; the supervisor checks at compile time that both agree).
 */
export const APPROVAL_POLICIES = ['destructive', 'every-change', 'none'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

/** What the user edits; the password travels separately and is stored encrypted. */
export const profileInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'give the profile a name').max(MAX_NAME, `at most ${MAX_NAME} characters`),
  amqp: z.strictObject({ host, port, tls: tlsSchema }),
  management: z.strictObject({ host, port, basePath: z.string().default(''), tls: tlsSchema }),
  user: z.string().min(1, 'enter the user name'),
  vhost: z.string().min(1, 'enter a virtual host ("/" is the default one)'),
  safety: z.enum(SAFETY_LEVELS),
  /** Which of the AI's calls a person approves in the app first; profiles saved before it existed read as destructive. */
  approval: z.enum(APPROVAL_POLICIES, { message: `choose when to ask: ${APPROVAL_POLICIES.join(', ')}` }).default('destructive'),
  scopes: z
    .strictObject({
      vhosts: z.strictObject({ allow: z.array(z.string()).optional(), deny: z.array(z.string()).optional() }).optional(),
      queues: z.strictObject({ allow: z.array(z.string()).optional(), deny: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
});

export type ProfileInput = z.input<typeof profileInputSchema>;
export type ProfileSettings = z.output<typeof profileInputSchema>;

export interface Profile extends ProfileSettings {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** RabbitMQ's own defaults, for a new profile. */
export function defaultProfileInput(name = 'Local RabbitMQ'): ProfileSettings {
  return {
    name,
    amqp: { host: 'localhost', port: 5672, tls: { enabled: false, verify: true } },
    management: { host: 'localhost', port: 15672, basePath: '', tls: { enabled: false, verify: true } },
    user: 'guest',
    vhost: '/',
    safety: 'read-only',
    approval: 'destructive',
  };
}

/** Field problems as "amqp.port: ports go from 1 to 65535" lines, for the editor to show. */
export function describeProfileErrors(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((issue) => ({ field: issue.path.join('.') || 'profile', message: issue.message }));
}
