import type { z } from 'zod';
import type { Broker } from '../broker/broker.js';
import type { SafetyLevel } from '../config/load-config.js';
import type { Logger } from '../logging/logger.js';

import type { ToolGroup } from '../config/tool-groups.js';

export type { ToolGroup };

/**
 * The three hints every tool states explicitly. (openWorldHint is left at the protocol default:
 * the broker is outside the server, and the bytes matter more in every client's context.)
 */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
}

/** What a handler may use; built per call by the MCP layer. */
export interface ToolContext {
  broker: Broker;
  /** The server's safety level, for the one tool whose powers follow it (management_api). */
  safety: SafetyLevel;
  logger: Logger;
  signal: AbortSignal;
  /** Reports progress when the client asked for it (a progress token); a no-op otherwise. */
  progress(done: number, total?: number, message?: string): Promise<void>;
  /**
   * The gate of a destructive action, given what the call's confirm said and the preview of
   * what it would do (the state it names is what a confirmation is bound to). Resolves undefined
   * to go ahead: the person approved it in the desktop app, or the client's user did
   * (elicitation), or, where no person can be asked, confirm held the handle of a dry run of
   * this very call on this broker whose preview still holds. Otherwise it resolves the text to
   * answer: the dry run (with its handle), a refusal with a fresh one, or who said no.
   */
  confirm(confirmation: string | boolean | undefined, preview: string): Promise<string | undefined>;
  /** A log message to the client (notifications/message), if its logging/setLevel lets it through. */
  log(level: 'debug' | 'info' | 'notice' | 'warning' | 'error', message: string): Promise<void>;
}

/** A handler returns text for the model; `isError` marks an expected failure it can recover from. */
export interface ToolResult {
  text: string;
  isError?: boolean;
  /**
   * Data handed over whole beside the text (embedded resources): messages a tool took off a
   * queue, which the text only shows cut. Passed as is: it is the user's data, not ours.
   */
  resources?: ({ uri: string; mimeType: string } & ({ text: string } | { blob: string }))[];
  /** The answer as data (structuredContent), matching the tool's `output` schema. */
  structured?: Record<string, unknown>;
}

/**
 * One tool, self-described: name, group, description, input schema, annotations and handler in
 * one value. The safety level is derived from the annotations, never kept in a separate list.
 */
export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Context = ToolContext> {
  name: string;
  /** What a client shows a person ("Peek at messages"); the model reads name and description. */
  title: string;
  group: ToolGroup;
  description: string;
  input: Input;
  /** The shape of `structured` in its results; advertised as outputSchema with --output-schemas. */
  output?: z.ZodObject;
  annotations: ToolAnnotations;
  /**
   * For a tool offered at every level whose powers follow the server's level (the escape
   * hatch): its hints at each level. `annotations` are those it is selected by.
   */
  annotationsAt?: (level: SafetyLevel) => ToolAnnotations;
  /** Context: what the handler may use; the server's tools get a ToolContext, the desktop app's stdio entry its own. */
  handler(args: z.output<Input>, context: Context): Promise<string | ToolResult>;
}

/** Erases the input type so tools of different shapes fit one registry list. */
export type AnyTool = ToolDefinition<z.ZodObject>;

export function defineTool<Input extends z.ZodObject, Context = ToolContext>(
  tool: ToolDefinition<Input, Context>,
): ToolDefinition<z.ZodObject, Context> {
  return tool as unknown as ToolDefinition<z.ZodObject, Context>;
}

export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };

/** Creates or publishes; never removes anything. */
export function writes(idempotent: boolean): ToolAnnotations {
  return { readOnlyHint: false, destructiveHint: false, idempotentHint: idempotent };
}

/** Removes objects, messages or connections; needs --allow-destructive and confirm: true. */
export function destroys(idempotent: boolean): ToolAnnotations {
  return { readOnlyHint: false, destructiveHint: true, idempotentHint: idempotent };
}

export function safetyLevelOf(tool: Pick<AnyTool, 'annotations'>): SafetyLevel {
  if (tool.annotations.readOnlyHint) return 'read-only';
  return tool.annotations.destructiveHint ? 'destructive' : 'write';
}

/** Safety levels in order: a server at a level may do what every level up to it allows. */
export const RANK: Record<SafetyLevel, number> = { 'read-only': 0, write: 1, destructive: 2 };

export function allowedAt(level: SafetyLevel, tool: Pick<AnyTool, 'annotations'>): boolean {
  return RANK[safetyLevelOf(tool)] <= RANK[level];
}
