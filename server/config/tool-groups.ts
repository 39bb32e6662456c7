/**
 * Tool groups, for `--tools`: a client with little room for tool descriptions takes only the
 * groups it needs (`--tools queues,messages,health`).
 */
export const TOOL_GROUPS = ['health', 'vhosts', 'queues', 'exchanges', 'messages', 'clients', 'admin', 'definitions', 'api'] as const;

export type ToolGroup = (typeof TOOL_GROUPS)[number];
