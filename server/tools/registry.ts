import type { SafetyLevel } from '../config/load-config.js';
import { listLinks, listPolicies, listUsers } from './admin/admin-reads.js';
import { deleteConfiguration, setConfiguration } from './admin/admin-writes.js';
import { closeConnection, listConnections } from './clients.js';
import { createBinding, deleteBinding, listBindings, traceRouteTool } from './bindings.js';
import { exportDefinitions, importDefinitions } from './definitions/definitions-tools.js';
import { createExchange, deleteExchange, listExchanges } from './exchanges.js';
import { getOverview } from './health.js';
import { managementApi } from './management-api.js';
import { deadLetterSummary } from './dead-letters.js';
import { consumeMessages, peekMessages, publishMessages } from './messages.js';
import { moveMessages } from './move.js';
import { createQueue, deleteQueue, findProblemQueues, listQueues, purgeQueue } from './queues.js';
import { readStream } from './streams.js';
import { type AnyTool, type ToolGroup, allowedAt } from './tool.js';
import { listVhosts } from './vhosts.js';

/** Every tool the server has, in the order tools/list shows them. */
export const allTools: readonly AnyTool[] = [
  getOverview,
  listVhosts,
  listUsers,
  listPolicies,
  listLinks,
  setConfiguration,
  deleteConfiguration,
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
  readStream,
  deadLetterSummary,
  moveMessages,
  listConnections,
  closeConnection,
  managementApi,
  exportDefinitions,
  importDefinitions,
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
