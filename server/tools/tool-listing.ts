import type { Tool } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { SafetyLevel } from '../config/load-config.js';
import { advertisedSchema, outputSchemaOf } from './json-schema.js';
import type { ToolDefinition } from './tool.js';

/** What listing a tool reads of it: the server's tools and the stdio entry's alike. */
type Listable = Pick<
  ToolDefinition<z.ZodObject, unknown>,
  'name' | 'title' | 'description' | 'input' | 'output' | 'annotations' | 'annotationsAt'
>;

/**
 * The hints as tools/list carries them: only what differs from the protocol's defaults
 * (readOnlyHint false, destructiveHint true, idempotentHint false), plus destructiveHint: true
 * stated for clients that do not apply defaults. Every byte here is in every client's context.
 */
export function advertisedAnnotations(
  tool: Pick<Listable, 'annotations' | 'annotationsAt'>,
  level: SafetyLevel = 'destructive',
): Tool['annotations'] {
  const { readOnlyHint, destructiveHint, idempotentHint } = tool.annotationsAt?.(level) ?? tool.annotations;
  if (readOnlyHint) return { readOnlyHint: true };
  return { destructiveHint, ...(idempotentHint ? { idempotentHint: true } : {}) };
}

/** One tool as tools/list shows it at a level; its outputSchema only with --output-schemas. */
export function describeTool(tool: Listable, level: SafetyLevel, outputSchemas: boolean): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: advertisedSchema(tool.input) as Tool['inputSchema'],
    ...(outputSchemas && tool.output ? { outputSchema: outputSchemaOf(tool.output) as Tool['outputSchema'] } : {}),
    annotations: advertisedAnnotations(tool, level),
  };
}

/** "page_size: Too big: expected number to be <=500" lines, one per problem. */
export function describeInvalidArguments(toolName: string, error: z.ZodError): string {
  const problems = error.issues.slice(0, 8).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : 'arguments';
    if (issue.code === 'unrecognized_keys') return `${where}: unknown argument(s) ${issue.keys.join(', ')}`;
    return `${where}: ${issue.message}`;
  });
  return `Invalid arguments for ${toolName}: ${problems.join('; ')}. Fix them and call again.`;
}
