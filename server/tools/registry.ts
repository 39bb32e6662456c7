import type { SafetyLevel } from '../config/load-config.js';
import { closeConnection, listChannels, listConnections, listConsumers } from './clients.js';
import { createBinding, deleteBinding, listBindings, traceRouteTool } from './bindings.js';
import { createExchange, deleteExchange, listExchanges } from './exchanges.js';
import { getOverview } from './health.js';
import { consumeMessages, peekMessages, publishMessages } from './messages.js';
import { createQueue, deleteQueue, findProblemQueues, listQueues, purgeQueue } from './queues.js';
import { type AnyTool, type ToolGroup, allowedAt } from './tool.js';
import { listVhosts } from './vhosts.js';

/** Every tool the server has, in the order tools/list shows them. */
export const allTools: readonly AnyTool[] = [
  getOverview,
  listVhosts,
  listQueues,
  findProblemQueues,
  createQueue,
  deleteQueue,
  purgeQueue,
  listExchanges,
  createExchange,
  deleteExchange,
  listBindings,
  createBinding,
  deleteBinding,
  traceRouteTool,
  peekMessages,
  publishMessages,
  consumeMessages,
  listConnections,
  listChannels,
  listConsumers,
  closeConnection,
];

export interface ToolSelection {
  safety: SafetyLevel;
  /** Undefined means every group. */
  groups?: readonly ToolGroup[];
}

/** The tools a server exposes: one pure filter over the list, driven by each tool's own annotations. */
export function selectTools(tools: readonly AnyTool[], selection: ToolSelection): AnyTool[] {
  return tools.filter((tool) => allowedAt(selection.safety, tool) && (!selection.groups || selection.groups.includes(tool.group)));
}
