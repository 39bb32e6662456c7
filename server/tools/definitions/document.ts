import { z } from 'zod';
import { objectName } from '../schemas.js';
import { type Item, KINDS, itemsOf } from './kinds.js';
import { inQuotes } from '../../broker/one-line.js';

/** What import_definitions accepts as a document, and the document a vhost-level import sends. */

const text = z.string();
const table = z.record(z.string(), z.unknown());
const tags = z.union([z.string(), z.array(z.string())]);
const present = z.unknown().refine((value) => value !== undefined, 'required');
/** Each item keeps fields this schema does not know (RabbitMQ ignores or uses them); wrong types are refused. */
const list = <Shape extends z.ZodRawShape>(shape: Shape) => z.array(z.looseObject(shape)).optional();

/** The fields RabbitMQ needs for each object (it answers a missing one with an opaque function_clause). */
export const documentSchema = z.looseObject({
  vhosts: list({ name: objectName('vhost name'), description: text.optional(), tags: tags.optional() }),
  users: list({
    name: objectName('user name'),
    password_hash: text.optional(),
    password: text.optional(),
    hashing_algorithm: text.optional(),
    tags: tags.optional(),
    limits: table.optional(),
  }),
  permissions: list({ user: text, vhost: text.optional(), configure: text, write: text, read: text }),
  topic_permissions: list({ user: text, vhost: text.optional(), exchange: text, write: text, read: text }),
  parameters: list({ vhost: text.optional(), component: text, name: objectName('parameter name'), value: present }),
  global_parameters: list({ name: objectName('global parameter name'), value: present }),
  policies: list({
    vhost: text.optional(),
    name: objectName('policy name'),
    pattern: text,
    'apply-to': text.optional(),
    definition: table,
    priority: z.number().int().optional(),
  }),
  queues: list({
    vhost: text.optional(),
    name: objectName('queue name'),
    durable: z.boolean(),
    auto_delete: z.boolean(),
    arguments: table.optional(),
  }),
  exchanges: list({
    vhost: text.optional(),
    name: text,
    type: text,
    durable: z.boolean(),
    auto_delete: z.boolean(),
    internal: z.boolean().optional(),
    arguments: table.optional(),
  }),
  bindings: list({
    vhost: text.optional(),
    source: text,
    destination: text,
    destination_type: z.enum(['queue', 'exchange']),
    routing_key: text,
    arguments: table.optional(),
  }),
});

/** "queues[2] 'orders'.durable: Invalid input: expected boolean, received string" */
export function documentProblems(error: z.ZodError, document: Item): string {
  const problems = error.issues.slice(0, 8).map((issue) => {
    const [key, index, ...rest] = issue.path;
    if (typeof index !== 'number') return `${issue.path.join('.') || 'document'}: ${issue.message}`;
    const item = (document[String(key)] as unknown[])[index] as Item | undefined;
    const named =
      typeof item?.name === 'string'
        ? ` ${inQuotes(item.name)}`
        : typeof item?.source === 'string'
          ? ` (source ${inQuotes(item.source)})`
          : '';
    return `${String(key)}[${index}]${named}${rest.length > 0 ? `.${rest.join('.')}` : ''}: ${issue.message}`;
  });
  const more = error.issues.length > problems.length ? ` (and ${error.issues.length - problems.length} more)` : '';
  return `The definitions document is not valid: ${problems.join('; ')}${more}. Nothing was changed.`;
}

/** A vhost-level document: RabbitMQ puts every object in the target vhost and ignores the global sections. */
export function forVhost(document: Item): Item {
  const scoped: Item = {};
  for (const [key, value] of Object.entries(document)) {
    const kind = KINDS.find((candidate) => candidate.key === key);
    if (kind && !kind.perVhostImport) continue;
    // The vhost an object names does not count in a vhost-level import; dropping it lets the scope check the real target.
    scoped[key] = kind ? itemsOf(document, kind).map(({ vhost: _vhost, ...item }) => item) : value;
  }
  return scoped;
}
