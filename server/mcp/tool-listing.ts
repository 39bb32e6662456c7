import type { Tool } from '@modelcontextprotocol/server';
import type { SafetyLevel } from '../config/load-config.js';
import { advertisedSchema, outputSchemaOf } from '../tools/json-schema.js';
import type { AnyTool } from '../tools/tool.js';

/**
 * The hints as tools/list carries them: only what differs from the protocol's defaults
 * (readOnlyHint false, destructiveHint true, idempotentHint false), plus destructiveHint: true
 * stated for clients that do not apply defaults. Every byte here is in every client's context.
 */
export function advertisedAnnotations(
  tool: Pick<AnyTool, 'annotations' | 'annotationsAt'>,
  level: SafetyLevel = 'destructive',
): Tool['annotations'] {
  const { readOnlyHint, destructiveHint, idempotentHint } = tool.annotationsAt?.(level) ?? tool.annotations;
  if (readOnlyHint) return { readOnlyHint: true };
  return { destructiveHint, ...(idempotentHint ? { idempotentHint: true } : {}) };
}

/** One tool as tools/list shows it at a level; its outputSchema only with --output-schemas. */
export function describeTool(tool: AnyTool, level: SafetyLevel, outputSchemas: boolean): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: advertisedSchema(tool.input) as Tool['inputSchema'],
    ...(outputSchemas && tool.output ? { outputSchema: outputSchemaOf(tool.output) as Tool['outputSchema'] } : {}),
    annotations: advertisedAnnotations(tool, level),
  };
}
