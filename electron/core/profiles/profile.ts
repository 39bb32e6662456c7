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

/** What the user edits; the password travels separately and is stored encrypted. */
export const profileInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'give the profile a name').max(MAX_NAME, `at most ${MAX_NAME} characters`),
  amqp: z.strictObject({ host, port, tls: tlsSchema }),
  management: z.strictObject({ host, port, basePath: z.string().default(''), tls: tlsSchema }),
  user: z.string().min(1, 'enter the user name'),
  vhost: z.string().min(1, 'enter a virtual host ("/" is the default one)'),
  safety: z.enum(SAFETY_LEVELS),
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
  };
}

/** Field problems as "amqp.port: ports go from 1 to 65535" lines, for the editor to show. */
export function describeProfileErrors(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((issue) => ({ field: issue.path.join('.') || 'profile', message: issue.message }));
}

function tlsEnv(prefix: 'AMQP' | 'HTTP', tls: ProfileSettings['amqp']['tls']): Record<string, string> {
  if (!tls.enabled) return {};
  return {
    [`${prefix}_USE_TLS`]: 'true',
    [`${prefix}_TLS_VERIFY`]: String(tls.verify),
    ...(tls.caFile ? { [`${prefix}_TLS_CA`]: tls.caFile } : {}),
    ...(tls.certFile ? { [`${prefix}_TLS_CERT`]: tls.certFile } : {}),
    ...(tls.keyFile ? { [`${prefix}_TLS_KEY`]: tls.keyFile } : {}),
  };
}

/** The server's environment for a profile: the same settings a person would set by hand. */
export function serverEnvironment(profile: ProfileSettings, password: string): Record<string, string> {
  return {
    AMQP_HOST: profile.amqp.host,
    AMQP_PORT: String(profile.amqp.port),
    AMQP_USER: profile.user,
    AMQP_PASSWORD: password,
    AMQP_VHOST: profile.vhost,
    ...tlsEnv('AMQP', profile.amqp.tls),
    HTTP_HOST: profile.management.host,
    HTTP_PORT: String(profile.management.port),
    ...(profile.management.basePath ? { HTTP_BASE_PATH: profile.management.basePath } : {}),
    ...tlsEnv('HTTP', profile.management.tls),
    ...(profile.safety === 'destructive'
      ? { MCP_ALLOW_DESTRUCTIVE: 'true' }
      : profile.safety === 'write'
        ? { MCP_ALLOW_WRITE: 'true' }
        : {}),
  };
}
