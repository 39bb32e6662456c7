import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';

/** What a client got from a tool call, unpacked. */
export interface ToolAnswer {
  text: string;
  isError: boolean;
  /** Embedded resources beside the text, when there are any (consume_messages hands messages over whole this way). */
  resources?: { uri: string; mimeType?: string; text?: string; blob?: string }[];
  /** The data beside the text, when the tool gives it (lists, problems, the overview). */
  structuredContent?: Record<string, unknown>;
}

/** Calls a tool the way an AI client does, over whatever transport `client` is connected by. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
  options?: RequestOptions,
): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args }, undefined, options);
  if ('toolResult' in result) throw new Error(`${name} answered in the pre-2024-11-05 toolResult form`);
  const { content } = result;
  const resources = content.flatMap((part) => (part.type === 'resource' ? [part.resource] : []));
  return {
    text: content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n'),
    isError: result.isError === true,
    ...(resources.length > 0 ? { resources } : {}),
    ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
  };
}

/** The JSON document below an answer's one-line summary (export_definitions, management_api). */
export function jsonBelowSummary(answer: ToolAnswer): unknown {
  return JSON.parse(answer.text.slice(answer.text.indexOf('\n') + 1));
}
