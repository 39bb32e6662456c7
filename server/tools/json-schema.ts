import { z } from 'zod';

const DROPPED_KEYS = new Set([
  '$schema',
  'minLength',
  'maxLength',
  'propertyNames',
  'pattern',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
]);

function compact(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compact);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === 'additionalProperties' && value !== false && Object.keys(value as object).length === 0) continue;
    out[key] = compact(value);
  }
  return out;
}

/**
 * The input schema as tools/list advertises it: the zod schema converted to JSON Schema, minus
 * what costs the model context without helping it choose or call the tool (string lengths and
 * patterns and numeric bounds are still enforced when the call arrives, with a clear message;
 * descriptions state the bounds a model needs).
 */
export function advertisedSchema(input: z.ZodObject): Record<string, unknown> {
  const schema = compact(z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' })) as Record<string, unknown>;
  delete schema.additionalProperties;
  return schema;
}
