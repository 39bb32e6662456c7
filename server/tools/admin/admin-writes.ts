import { z } from 'zod';
import type { Broker } from '../../broker/broker.js';
import { apiPath } from '../../broker/management-client.js';
import { withoutCredentials } from '../credentials.js';
import { destructiveRefusal } from '../effects.js';
import { advertiseAs } from '../json-schema.js';
import { orIfNotFound } from '../not-found.js';
import { confirm, objectName, vhost } from '../schemas.js';
import { defineTool, destroys, writes } from '../tool.js';
import { CONFIG_KINDS, CONFIG_KIND_NAMES, type ConfigKind, type ConfigTarget, parseSettings } from './config-kinds.js';
import { inQuotes } from '../../broker/one-line.js';

/**
 * Administration in two tools instead of twenty: `set_configuration` creates or updates any
 * kind of broker configuration and `delete_configuration` removes it, each kind checked by its
 * own schema (config-kinds.ts, so a wrong field gets an error that lists the right ones) while
 * tools/list carries one short schema. Keys may be written with - or _ (apply_to or apply-to).
 */

/** The object as it is now, or undefined when it does not exist. */
async function current(broker: Broker, kind: ConfigKind, target: ConfigTarget): Promise<Record<string, unknown> | undefined> {
  const found = await orIfNotFound(broker.management.get<unknown>(kind.path(target)), undefined);
  if (found === undefined) return undefined;
  return kind.fromAnswer ? kind.fromAnswer(found) : (found as Record<string, unknown>);
}

/** What the object looks like for the diff; nothing when it does not exist. */
function comparable(kind: ConfigKind, object: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!object) return {};
  return kind.comparable ? kind.comparable(object) : object;
}

/** "pattern: ^a → ^b; priority: 0 → 5": the fields that differ, credentials masked. */
function changes(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const shown = (value: unknown) => JSON.stringify(withoutCredentials(value)) ?? 'unset';
  const keys = Object.keys(after).filter((key) => shown(before[key]) !== shown(after[key]));
  return keys.map((key) => `${key}: ${shown(before[key])} → ${shown(after[key])}`).join('; ');
}

/** Restarting a shovel reconnects both ends; the shovel plugin's management API does it. */
async function restartShovel(broker: Broker, name: string, vhostName: string): Promise<string> {
  await broker.management.delete(`${apiPath('shovels', 'vhost', vhostName, name)}/restart`, {
    notFound: `shovel ${inQuotes(name)} not found in vhost ${inQuotes(vhostName)} (or rabbitmq_shovel_management is off); list_links shows the shovels`,
  });
  return `Restarted shovel ${inQuotes(name)} in vhost ${inQuotes(vhostName)}; list_links shows its state.`;
}

const kind = z.enum(CONFIG_KIND_NAMES);
/** set_configuration also restarts a shovel (write level: it stops and starts, nothing is removed). */
const configureKind = z.enum([...CONFIG_KIND_NAMES, 'shovel_restart']);
const name = objectName('name').describe('Or user/vhost (permissions, limits)');

export const setConfiguration = defineTool({
  name: 'set_configuration',
  title: 'Set configuration',
  group: 'admin',
  description: 'Create or update any configuration; says what changed.',
  input: z.strictObject({
    kind: configureKind.describe('What to set'),
    name,
    vhost,
    settings: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('e.g. policy: pattern,definition,apply-to,priority; permissions: configure,write,read'),
    password: z.string().min(1).max(1000).optional().describe('For kind user'),
    confirm,
  }),
  annotations: writes(true),
  // Settings that remove messages or queues (a policy with max-length, a shovel from a queue)
  // need --allow-destructive and a confirmation: on such a server the tool may destroy.
  annotationsAt: (level) => (level === 'destructive' ? destroys(true) : writes(true)),
  async handler(args, { broker, safety, confirm: gate }) {
    const vhostName = args.vhost ?? broker.defaultVhost;
    if (args.kind === 'shovel_restart') return restartShovel(broker, args.name, vhostName);
    const configKind = CONFIG_KINDS[args.kind];
    const target: ConfigTarget = { name: args.name, vhost: vhostName };
    if (args.password !== undefined && args.kind !== 'user') return { text: 'password is only for kind user.', isError: true };
    const settings = parseSettings(args.kind, args.settings);
    const path = configKind.path(target);
    // The scope first: a preview must say nothing of what the scope hides.
    broker.scope.checkPath(path, 'PUT');
    if (configKind.scopedBody) broker.scope.checkBody(path, configKind.scopedBody(target, settings));
    const before = await current(broker, configKind, target);
    const write = { broker, target, path, settings, password: args.password, before };
    // What it would set off, under the scope, before any preview.
    const refusal = await configKind.judge?.(write);
    if (refusal) return { text: refusal, isError: true };
    const what = configKind.describe(target);
    const removal = await configKind.removal?.(write);
    if (removal) {
      if (safety !== 'destructive') return { text: destructiveRefusal(what, removal.why, safety), isError: true };
      const declined = await gate(args.confirm, `would set ${what}, which ${removal.why}: ${removal.impact}`);
      if (declined) return declined;
    }
    await configKind.apply(write);
    const after = await current(broker, configKind, target);
    if (!before) return `Created ${what}${configKind.createdNote ?? ''}.`;
    const changed = changes(comparable(configKind, before), comparable(configKind, after));
    const passwordNote = args.password !== undefined ? ' Password changed.' : '';
    return changed
      ? `Updated ${what}: ${changed}.${passwordNote}`
      : `${what[0]?.toUpperCase()}${what.slice(1)} was already like that; nothing changed.${passwordNote}`;
  },
});

export const deleteConfiguration = defineTool({
  name: 'delete_configuration',
  title: 'Delete configuration',
  group: 'admin',
  description: 'Delete any configuration (a vhost: with all in it).',
  input: z.strictObject({ kind: advertiseAs(kind, { type: 'string', description: 'As in set_configuration' }), name, vhost, confirm }),
  annotations: destroys(true),
  async handler(args, { broker, confirm: gate }) {
    const configKind = CONFIG_KINDS[args.kind];
    const target: ConfigTarget = { name: args.name, vhost: args.vhost ?? broker.defaultVhost };
    const before = await current(broker, configKind, target);
    const what = configKind.describe(target);
    if (!before) return { text: `There are no ${what} to delete.`, isError: true };
    const refusal = await configKind.deleteRefusal?.(broker, target, before);
    if (refusal) return { text: refusal, isError: true };
    const preview = await configKind.deleteImpact(broker, target, before);
    const declined = await gate(args.confirm, preview);
    if (declined) return declined;
    const path = configKind.path(target);
    await (configKind.remove ? configKind.remove(broker, path, before) : broker.management.delete(path));
    return `Deleted ${what}.`;
  },
});
