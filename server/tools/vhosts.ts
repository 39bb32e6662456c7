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
      // Under --queues the scope leaves a vhost's totals out: they count its hidden queues too.
      const hidden = broker.scope.queues.restricts;
      const count = (value: number | undefined) => (hidden ? '-' : (value ?? 0));
      const rows = vhosts.map((v) => [
        v.name,
        state(v),
        count(v.messages),
        count(v.messages_ready),
        count(v.messages_unacknowledged),
        hidden ? '-' : (rate(v.message_stats, 'publish') ?? 0),
        hidden ? '-' : (rate(v.message_stats, 'deliver_get') ?? 0),
        v.description,
      ]);
      const note = hidden
        ? "\nCounts are not shown: they include queues outside this server's scope (list_queues counts those it shows)."
        : '';
      return capOutput(
        `${vhosts.length} vhosts (default for tools: ${broker.defaultVhost})\n${table(['name', 'state', 'messages', 'ready', 'unacked', 'in/s', 'out/s', 'description'], rows)}${note}`,
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
      messages: broker.scope.queues.restricts
        ? "not shown: they include queues outside this server's scope"
        : `${vhost.messages ?? 0} (${vhost.messages_ready ?? 0} ready, ${vhost.messages_unacknowledged ?? 0} unacked)`,
      limits: limits[0]?.value ?? 'none',
      permissions: permissions.map((p) => `${p.user} configure=${p.configure} write=${p.write} read=${p.read}`).join('; ') || 'none',
    });
  },
});
