import type { Client, RequestOptions } from '@modelcontextprotocol/client';

/** What a client got from a tool call, unpacked. */
export interface ToolAnswer {
  text: string;
  isError: boolean;
  /** Embedded resources beside the text, when there are any (consume_messages hands messages over whole this way). */
  resources?: { uri: string; mimeType?: string; text?: string; blob?: string }[];
  /** The data beside the text, when the tool gives it (lists, problems, the overview). */
  structuredContent?: Record<string, unknown>;
}

/** The confirmation handle in a dry run's answer ('… confirm: "c-…" …'), if it is one. */
export function handleOf(text: string): string | undefined {
  return /confirm: "(c-[A-Za-z0-9_-]+)"/.exec(text)?.[1];
}

/**
 * Calls a tool the way an AI client does, over whatever transport `client` is connected by. A
 * test's `confirm: true` stands for what a model does to confirm where no person is asked: the
 * call without confirm (the dry run), then the same call with the handle that dry run gave. When
 * the first answer is no dry run (a refusal, or a person was asked), it is the answer.
 * `callToolAsIs` sends confirm as it is.
 */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
  options?: RequestOptions,
): Promise<ToolAnswer> {
  if (args.confirm !== true) return callToolAsIs(client, name, args, options);
  const { confirm: _confirm, ...withoutConfirm } = args;
  const preview = await callToolAsIs(client, name, withoutConfirm, options);
  const handle = handleOf(preview.text);
  return handle ? callToolAsIs(client, name, { ...withoutConfirm, confirm: handle }, options) : preview;
}

export async function callToolAsIs(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
  options?: RequestOptions,
): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args }, options);
  if ('toolResult' in result) throw new Error(`${name} answered in the pre-2024-11-05 toolResult form`);
  const { content } = result;
  const resources = content.flatMap((part) => (part.type === 'resource' ? [part.resource] : []));
  return {
    text: content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n'),
    isError: result.isError === true,
    ...(resources.length > 0 ? { resources } : {}),
    ...(result.structuredContent ? { structuredContent: result.structuredContent as Record<string, unknown> } : {}),
  };
}

/** The JSON document below an answer's one-line summary (export_definitions, management_api). */
export function jsonBelowSummary(answer: ToolAnswer): unknown {
  return JSON.parse(answer.text.slice(answer.text.indexOf('\n') + 1));
}
