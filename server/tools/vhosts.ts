import { z } from 'zod';
import { apiPath } from '../broker/management-client.js';
import { capOutput, rate, record, table } from './output.js';
import { vhostNotFound } from './not-found.js';
import { objectName } from './schemas.js';
import { READ_ONLY, defineTool } from './tool.js';

interface Vhost {
  name: string;
  description?: string;
  tags?: string[];
  default_queue_type?: string;
  tracing?: boolean;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: Record<string, unknown>;
  cluster_state?: Record<string, string>;
}

function state(vhost: Vhost): string {
  const states = Object.values(vhost.cluster_state ?? {});
  return states.length > 0 && states.every((s) => s === 'running') ? 'running' : states.join(',') || '-';
}

export const listVhosts = defineTool({
  name: 'list_vhosts',
  title: 'List vhosts',
  group: 'vhosts',
  description: 'Vhosts with message totals, or one with limits and permissions.',
  input: z.strictObject({ name: objectName('vhost').optional().describe('One, in detail') }),
  annotations: READ_ONLY,
  async handler({ name }, { broker }) {
    if (name === undefined) {
      const vhosts = await broker.management.get<Vhost[]>(apiPath('vhosts'));
      const rows = vhosts.map((v) => [
        v.name,
        state(v),
        v.messages ?? 0,
        v.messages_ready ?? 0,
        v.messages_unacknowledged ?? 0,
        rate(v.message_stats, 'publish') ?? 0,
        rate(v.message_stats, 'deliver_get') ?? 0,
        v.description,
      ]);
      return capOutput(
        `${vhosts.length} vhosts (default for tools: ${broker.defaultVhost})\n${table(['name', 'state', 'messages', 'ready', 'unacked', 'in/s', 'out/s', 'description'], rows)}`,
      );
    }
    const notFound = vhostNotFound(name);
    const [vhost, limits, permissions] = await Promise.all([
      broker.management.get<Vhost>(apiPath('vhosts', name), { notFound }),
      broker.management.get<{ value: Record<string, number> }[]>(apiPath('vhost-limits', name), { notFound }),
      broker.management.get<{ user: string; configure: string; write: string; read: string }[]>(apiPath('vhosts', name, 'permissions'), {
        notFound,
      }),
    ]);
    return record({
      vhost: vhost.name,
      state: state(vhost),
      description: vhost.description || undefined,
      tags: vhost.tags && vhost.tags.length > 0 ? vhost.tags.join(', ') : undefined,
      // RabbitMQ reports an unset default as the atom 'undefined'.
      default_queue_type: vhost.default_queue_type === 'undefined' ? undefined : vhost.default_queue_type,
      tracing: vhost.tracing,
      messages: `${vhost.messages ?? 0} (${vhost.messages_ready ?? 0} ready, ${vhost.messages_unacknowledged ?? 0} unacked)`,
      limits: limits[0]?.value ?? 'none',
      permissions: permissions.map((p) => `${p.user} configure=${p.configure} write=${p.write} read=${p.read}`).join('; ') || 'none',
    });
  },
});
