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
    // Unknown keys are refused when the call arrives, with a message naming them; saying so in
    // every nested object would cost bytes without helping the model.
    if (key === 'additionalProperties' && (value === false || Object.keys(value as object).length === 0)) continue;
    out[key] = compact(value);
  }
  return out;
}

const advertisedAs = new WeakMap<z.ZodType, Record<string, unknown>>();

/**
 * A field checked in full when a call arrives but advertised in brief: a nested object whose
 * every key would otherwise cost tools/list bytes in every client, e.g. message properties.
 */
export function advertiseAs<T extends z.ZodType>(schema: T, advertised: Record<string, unknown>): T {
  advertisedAs.set(schema, advertised);
  return schema;
}

const unlisted = new WeakSet<z.ZodType>();

/**
 * An optional field accepted and checked but left out of tools/list: rarely used, and named in
 * another field's description instead (its own schema would cost more than the mention).
 */
export function unlistedField<T extends z.ZodType>(schema: T): T {
  unlisted.add(schema);
  return schema;
}

/**
 * The input schema as tools/list advertises it: the zod schema converted to JSON Schema, minus
 * what costs the model context without helping it choose or call the tool (string lengths and
 * patterns and numeric bounds are still enforced when the call arrives, with a clear message;
 * descriptions state the bounds a model needs).
 */
export function advertisedSchema(input: z.ZodObject): Record<string, unknown> {
  const override = ({ zodSchema, jsonSchema }: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) => {
    const shape = (zodSchema as { shape?: Record<string, z.ZodType> }).shape;
    const properties = jsonSchema.properties as Record<string, unknown> | undefined;
    if (shape && properties) {
      for (const [key, field] of Object.entries(shape)) if (unlisted.has(field)) delete properties[key];
    }
    const replacement = advertisedAs.get(zodSchema as z.ZodType);
    if (!replacement) return;
    for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
    Object.assign(jsonSchema, replacement);
  };
  const schema = compact(z.toJSONSchema(input, { io: 'input', unrepresentable: 'any', override })) as Record<string, unknown>;
  delete schema.additionalProperties;
  return schema;
}

/** A structured result's schema as outputSchema advertises it: compact, like the input schemas. */
export function outputSchemaOf(output: z.ZodObject): Record<string, unknown> {
  const schema = compact(z.toJSONSchema(output, { io: 'output', unrepresentable: 'any' })) as Record<string, unknown>;
  delete schema.additionalProperties;
  return schema;
}
