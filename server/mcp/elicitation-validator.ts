import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/server';

interface PrimitiveSchema {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

function checkValue(name: string, value: unknown, schema: PrimitiveSchema): string | undefined {
  switch (schema.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${name} must be true or false`;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value)))
        return `${name} must be ${schema.type === 'integer' ? 'an integer' : 'a number'}`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${name} must be at least ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${name} must be at most ${schema.maximum}`;
      return undefined;
    }
    case 'string': {
      if (typeof value !== 'string') return `${name} must be text`;
      if (schema.minLength !== undefined && value.length < schema.minLength) return `${name} is too short`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${name} is too long`;
      if (schema.enum && !schema.enum.includes(value)) return `${name} must be one of ${schema.enum.join(', ')}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Validates what a user typed into an elicitation form. MCP restricts those forms to a flat
 * object of strings, numbers, integers, booleans and string enums, so this covers all of it
 * without loading a general JSON Schema engine at start-up.
 */
export const elicitationValidator: jsonSchemaValidator = {
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    const properties = ((schema as { properties?: Record<string, PrimitiveSchema> }).properties ?? {}) as Record<string, PrimitiveSchema>;
    const required = ((schema as { required?: string[] }).required ?? []) as string[];
    return (input) => {
      if (!input || typeof input !== 'object' || Array.isArray(input))
        return { valid: false, data: undefined, errorMessage: 'expected an object' };
      const record = input as Record<string, unknown>;
      for (const name of required)
        if (record[name] === undefined) return { valid: false, data: undefined, errorMessage: `${name} is required` };
      for (const [name, value] of Object.entries(record)) {
        const property = properties[name];
        if (!property) continue;
        const problem = checkValue(name, value, property);
        if (problem) return { valid: false, data: undefined, errorMessage: problem };
      }
      return { valid: true, data: input as T, errorMessage: undefined };
    };
  },
};
