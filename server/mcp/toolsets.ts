import type { Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { SafetyLevel } from '../config/load-config.js';
import { DEFAULT_TOOL_GROUPS, TOOL_GROUPS, TOOL_GROUP_SUMMARIES, type ToolGroup } from '../config/tool-groups.js';
import { advertisedSchema } from '../tools/json-schema.js';
import { allTools, selectTools } from '../tools/registry.js';
import { type AnyTool, allowedAt } from '../tools/tool.js';
import { describeTool } from '../tools/tool-listing.js';

/** The one tool that is not about the broker: it adds a toolset to the connection that calls it. */
export const ENABLE_TOOLSET = 'enable_toolset';
export const ENABLE_TOOLSET_DESCRIPTION = 'Add a group of tools to this connection; tools/list then lists them.';

export interface ToolsetOptions {
  safety: SafetyLevel;
  /** The groups offered from the start; undefined means every group. */
  groups?: readonly ToolGroup[];
  /** Advertise outputSchema where a tool has one (--output-schemas). */
  outputSchemas?: boolean;
  /**
   * Whether enable_toolset may add groups while the server runs. Only where one server instance
   * serves one client for its whole connection (stdio); a server made per request (stateless
   * HTTP) would forget the change before the client's next request.
   */
  enableAtRunTime?: boolean;
}

interface Surface {
  byName: Map<string, AnyTool>;
  listed: Tool[];
}

/** Computed once per level, groups and output flag: every server with the same ones shares it. */
const surfaces = new Map<string, Surface>();

function surfaceOf(safety: SafetyLevel, groups: readonly ToolGroup[], outputSchemas: boolean, enabling: boolean): Surface {
  const key = `${safety}|${groups.join(',')}|${outputSchemas ? 'output' : ''}|${enabling ? 'enabling' : ''}`;
  let surface = surfaces.get(key);
  if (!surface) {
    const tools = selectTools(allTools, { safety, groups });
    const off = TOOL_GROUPS.filter((group) => !groups.includes(group));
    surface = {
      byName: new Map(tools.map((tool) => [tool.name, tool])),
      listed: [
        ...tools.map((tool) => describeTool(tool, safety, outputSchemas)),
        ...(enabling && off.length > 0 ? [enableToolsetListing(off)] : []),
      ],
    };
    surfaces.set(key, surface);
  }
  return surface;
}

/** enable_toolset as tools/list shows it: its choices are the groups still off, each said in a few words. */
function enableToolsetListing(off: readonly ToolGroup[]): Tool {
  const choices = off.map((group) => `${group}: ${TOOL_GROUP_SUMMARIES[group]}`).join('; ');
  const input = z.object({ toolset: z.enum(off as [ToolGroup, ...ToolGroup[]]).describe(choices) });
  return {
    name: ENABLE_TOOLSET,
    title: 'Enable a toolset',
    description: ENABLE_TOOLSET_DESCRIPTION,
    inputSchema: advertisedSchema(input) as Tool['inputSchema'],
    annotations: { readOnlyHint: true },
  };
}

/** What enable_toolset accepts: any group (one already on is answered as such), nothing else. */
const enableToolsetInput = z.strictObject({ toolset: z.enum(TOOL_GROUPS) });

function levelFlag(tool: AnyTool): string {
  return tool.annotations.destructiveHint ? '--allow-destructive' : '--allow-write';
}

/**
 * The tools one server instance offers: those of its safety level in the groups that are on.
 * Groups start as configured (--tools, else the default ones); with `enableAtRunTime`,
 * enable_toolset turns on more for this instance's client. Every tool stays reachable: a call to
 * one that is off answers how to turn it on.
 */
export class Toolsets {
  readonly #options: ToolsetOptions;
  readonly #enabled: Set<ToolGroup>;

  constructor(options: ToolsetOptions) {
    this.#options = options;
    this.#enabled = new Set(options.groups ?? TOOL_GROUPS);
  }

  #surface(): Surface {
    const groups = TOOL_GROUPS.filter((group) => this.#enabled.has(group));
    return surfaceOf(this.#options.safety, groups, this.#options.outputSchemas ?? false, this.#options.enableAtRunTime ?? false);
  }

  /** The tools/list answer, as it stands now. */
  listed(): Tool[] {
    return this.#surface().listed;
  }

  /** The broker tool of that name, when it is offered now. */
  tool(name: string): AnyTool | undefined {
    return this.#surface().byName.get(name);
  }

  /** Whether a call to enable_toolset is this instance's to answer (it is offered on this transport). */
  get enabling(): boolean {
    return this.#options.enableAtRunTime ?? false;
  }

  /** How the server runs, in the terms of --tools. */
  #startedWith(): string {
    const start = this.#options.groups ?? TOOL_GROUPS;
    if (sameGroups(start, DEFAULT_TOOL_GROUPS)) return `it offers the default toolsets (${DEFAULT_TOOL_GROUPS.join(', ')})`;
    return `it runs with --tools ${start.join(',')}`;
  }

  /** The --tools value that adds `group` to what the server started with. */
  #toolsWith(group: ToolGroup): string {
    const start = this.#options.groups ?? TOOL_GROUPS;
    return sameGroups(start, DEFAULT_TOOL_GROUPS) ? `default,${group}` : [...start, group].join(',');
  }

  /**
   * Why a tool of this server is not offered and how to get it; undefined when no tool has that
   * name. The group comes first: enabling it is what a client can do without a restart.
   */
  refusal(name: string): string | undefined {
    const tool = allTools.find((candidate) => candidate.name === name);
    if (!tool) return undefined;
    const level = allowedAt(this.#options.safety, tool)
      ? ''
      : ` It also needs ${levelFlag(tool)}: this server runs ${this.#options.safety}.`;
    if (!this.#enabled.has(tool.group)) {
      const how = this.enabling
        ? `Call ${ENABLE_TOOLSET} with toolset "${tool.group}" to add it to this connection, or restart the server with --tools ${this.#toolsWith(tool.group)}.`
        : `Restart the server with --tools ${this.#toolsWith(tool.group)} (MCP_TOOLS; all for every tool): over HTTP the toolsets are fixed when the server starts.`;
      return `${name} is in the ${tool.group} toolset, which is off: ${this.#startedWith()}. ${how}${level}`;
    }
    return `${name} is disabled: this server runs ${this.#options.safety}. Restart it with ${levelFlag(tool)} to use it.`;
  }

  /**
   * Answers a call to enable_toolset: turns the group on for this instance (`changed` says
   * whether tools/list changed, for the caller to announce), or says what is wrong.
   */
  enable(rawArguments: unknown): { text: string; isError?: boolean; changed: boolean } | z.ZodError {
    if (!this.enabling) {
      const group = (rawArguments as { toolset?: unknown } | undefined)?.toolset;
      const named = typeof group === 'string' && (TOOL_GROUPS as readonly string[]).includes(group) ? (group as ToolGroup) : undefined;
      return {
        text: `${ENABLE_TOOLSET} is not offered over HTTP: every request is served afresh, so a change would not last to the next one. Restart the server with --tools ${named ? this.#toolsWith(named) : 'all'} (MCP_TOOLS) instead.`,
        isError: true,
        changed: false,
      };
    }
    const parsed = enableToolsetInput.safeParse(rawArguments ?? {});
    if (!parsed.success) return parsed.error;
    const group = parsed.data.toolset;
    const changed = !this.#enabled.has(group);
    this.#enabled.add(group);
    const inGroup = allTools.filter((tool) => tool.group === group);
    const offered = inGroup.filter((tool) => allowedAt(this.#options.safety, tool)).map((tool) => tool.name);
    const locked = inGroup.filter((tool) => !allowedAt(this.#options.safety, tool));
    const lockedText =
      locked.length > 0
        ? ` Not at this safety level (${this.#options.safety}): ${locked.map((tool) => `${tool.name} (${levelFlag(tool)})`).join(', ')}.`
        : '';
    const head = changed
      ? `The ${group} toolset is on for this connection; tools/list now lists ${offered.join(', ')}.`
      : `The ${group} toolset is already on: ${offered.join(', ')}.`;
    return { text: `${head}${lockedText}`, changed };
  }
}

function sameGroups(a: readonly ToolGroup[], b: readonly ToolGroup[]): boolean {
  return a.length === b.length && a.every((group) => b.includes(group));
}
