import { beforeAll, describe, expect, it } from 'vitest';
import { useBrokerFixture } from './support/broker-fixture.js';

interface PropertySchema {
  type?: string;
  enum?: unknown[];
}

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-fuzz', args: ['--allow-destructive'], env: { LOG_LEVEL: 'warn' } });
let tools: { name: string; inputSchema: { properties?: Record<string, PropertySchema>; required?: string[] } }[];

const ODD_NAMES = ['', '/', '队列-🐇-ünï', 'a'.repeat(300), ' ', '%2F', '../../api/overview', 'name\nwith\nnewlines'];
const HUGE = 'x'.repeat(1_000_000);

/** Values of the wrong type for a property of the given JSON Schema. */
function wrongValues(schema: PropertySchema): unknown[] {
  if (schema.enum) return ['not-a-choice', 7];
  switch (schema.type) {
    case 'string':
      return [12345, null, true, ['a']];
    case 'integer':
    case 'number':
      return ['abc', 1.5, -1, {}];
    case 'boolean':
      return ['yes', 1];
    case 'object':
      return ['x', [1], 3];
    case 'array':
      return ['x', {}, []];
    default:
      return [Symbol.for('unused') === undefined ? 0 : 'x'];
  }
}

const VALID: Record<string, unknown> = { messages: [{ body: 'x' }], type: 'direct', definitions: {}, kind: 'policy', count: 1 };

/** Minimal valid values for the required properties, so one bad field is the only problem. */
function baseline(required: string[] = []): Record<string, unknown> {
  return Object.fromEntries(required.map((key) => [key, VALID[key] ?? 'fuzz-target']));
}

beforeAll(async () => {
  tools = (await fixture.mcp.client.listTools()).tools as typeof tools;
});

async function stillServing(): Promise<void> {
  const answer = await fixture.mcp.call('get_overview');
  expect(answer.isError).toBe(false);
}

describe('invalid arguments', () => {
  it('covers every tool', () => {
    expect(tools.length).toBeGreaterThan(15);
  });

  it('answers wrong types with an error that names the tool and the field', async () => {
    for (const tool of tools) {
      for (const [property, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        for (const value of wrongValues(schema)) {
          if (schema.type === 'array' && Array.isArray(value) && value.length === 0 && property !== 'messages') continue;
          // confirm is advertised as the dry run's handle, and true is accepted too (it asks a person, or answers the dry run).
          if (property === 'confirm' && typeof value === 'boolean') continue;
          const answer = await fixture.mcp.call(tool.name, { ...baseline(tool.inputSchema.required), [property]: value });
          expect(answer.isError, `${tool.name}.${property} = ${JSON.stringify(value)}: ${answer.text}`).toBe(true);
          expect(answer.text).toContain(`Invalid arguments for ${tool.name}: ${property}`);
        }
      }
      await stillServing();
    }
  });

  it('names missing required fields and unknown ones', async () => {
    for (const tool of tools) {
      for (const missing of tool.inputSchema.required ?? []) {
        const args = baseline(tool.inputSchema.required);
        delete args[missing];
        const answer = await fixture.mcp.call(tool.name, args);
        expect(answer.isError, tool.name).toBe(true);
        expect(answer.text).toContain(`${missing}:`);
      }
      const unknown = await fixture.mcp.call(tool.name, { ...baseline(tool.inputSchema.required), queue_nmae: 'typo' });
      expect(unknown.isError, tool.name).toBe(true);
      expect(unknown.text).toContain('unknown argument(s) queue_nmae');
    }
    await stillServing();
  });

  it('refuses a megabyte string in any field with a clear message', async () => {
    for (const tool of tools) {
      for (const [property, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        if (schema.type !== 'string') continue;
        const answer = await fixture.mcp.call(tool.name, { ...baseline(tool.inputSchema.required), [property]: HUGE });
        expect(answer.isError, `${tool.name}.${property}`).toBe(true);
        expect(answer.text.length).toBeLessThan(2000);
        expect(answer.text).toContain(property);
      }
    }
    await stillServing();
  });

  it('answers odd names either normally or with a clear error, never a crash', async () => {
    for (const tool of tools) {
      for (const [property, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        if (schema.type !== 'string' || schema.enum) continue;
        for (const odd of ODD_NAMES) {
          const answer = await fixture.mcp.call(tool.name, { ...baseline(tool.inputSchema.required), [property]: odd });
          expect(answer.text.length, `${tool.name}.${property}=${JSON.stringify(odd)}`).toBeGreaterThan(0);
          expect(answer.text, `${tool.name}.${property}=${JSON.stringify(odd)}`).not.toMatch(/Internal error|undefined|\[object Object\]/);
        }
      }
      await stillServing();
    }
  });

  it('logged no crash while answering all of that', () => {
    expect(fixture.mcp.logs.filter((line) => line.includes('tool call crashed'))).toEqual([]);
  });
});
