/**
 * Tool groups (toolsets), for `--tools` and `enable_toolset`: a client with little room for tool
 * descriptions takes only the groups it needs (`--tools queues,messages,health`).
 */
export const TOOL_GROUPS = ['health', 'vhosts', 'queues', 'exchanges', 'messages', 'clients', 'admin', 'definitions', 'api'] as const;

export type ToolGroup = (typeof TOOL_GROUPS)[number];

/**
 * The groups offered when `--tools` is not given: what most questions about a broker need (is it
 * up, what queues, what is in them), small enough that tools/list stays within 8 kB at every
 * safety level. The others are one `--tools` entry or one `enable_toolset` call away.
 */
export const DEFAULT_TOOL_GROUPS = ['health', 'vhosts', 'queues', 'messages'] as const satisfies readonly ToolGroup[];

/** Words `--tools` takes besides group names: every group, or the default ones (`--tools default,exchanges`). */
export const TOOL_GROUP_KEYWORDS = ['all', 'default'] as const;

/** What a group holds, in a few words: the model reads them in enable_toolset's schema. */
export const TOOL_GROUP_SUMMARIES = {
  health: 'overview, alarms',
  vhosts: 'vhosts',
  queues: 'queues, problems',
  exchanges: 'exchanges, bindings, routing',
  messages: 'peek, publish, consume, move, streams',
  clients: 'connections, channels, consumers',
  admin: 'users, policies, links, configuration',
  definitions: 'export, import',
  api: 'any management API call',
} as const satisfies Record<ToolGroup, string>;

/** Group names and keywords from `--tools`, as the groups they stand for, in TOOL_GROUPS order, each once. */
export function resolveToolGroups(entries: readonly (ToolGroup | (typeof TOOL_GROUP_KEYWORDS)[number])[]): ToolGroup[] {
  const named = new Set<ToolGroup>();
  for (const entry of entries) {
    if (entry === 'all') TOOL_GROUPS.forEach((group) => named.add(group));
    else if (entry === 'default') DEFAULT_TOOL_GROUPS.forEach((group) => named.add(group));
    else named.add(entry);
  }
  return TOOL_GROUPS.filter((group) => named.has(group));
}
