import { randomBytes } from 'node:crypto';
import type { SafetyLevel } from '../config/load-config.js';
import { BrokerError } from './broker-errors.js';
import { type PlanOptions, type ScopePatterns, type UserPlan, type VhostPermissions, planUser } from './least-privilege.js';
import { type ManagementClient, apiPath } from './management-client.js';
import { inQuotes } from './one-line.js';

/**
 * Creates or updates, from an administrator's login, the least-privilege user of
 * least-privilege.ts: the CLI's create-user and the desktop app's button both go through here.
 */

interface TopicPermission {
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

/** A user as an administrator reads it: what create-user compares with the plan and keeps (its password hash). */
export interface ExistingUser {
  tags: string[];
  passwordHash?: string;
  hashingAlgorithm?: string;
  permissions: VhostPermissions[];
  topicPermissions: TopicPermission[];
}

export interface UserProposal {
  name: string;
  plan: UserPlan;
  /** Undefined when there is no such user yet. */
  existing?: ExistingUser;
  /** What applying would change, one line each; empty when the user already is as planned. */
  changes: string[];
}

function tagsOf(tags: unknown): string[] {
  const list = Array.isArray(tags) ? tags.map(String) : String(tags ?? '').split(',');
  return list.map((tag) => tag.trim()).filter(Boolean);
}

/** The login's own tags: create-user needs an administrator, and says so plainly otherwise. */
export async function requireAdministrator(admin: ManagementClient): Promise<string> {
  const me = await admin.get<{ name: string; tags: unknown }>(apiPath('whoami'));
  if (!tagsOf(me.tags).includes('administrator')) {
    throw new BrokerError(
      'forbidden',
      `user ${inQuotes(me.name)} is not an administrator: creating a user and setting its permissions needs an administrator's login`,
    );
  }
  return me.name;
}

async function readExisting(admin: ManagementClient, name: string): Promise<ExistingUser | undefined> {
  let user: { tags: unknown; password_hash?: string; hashing_algorithm?: string };
  try {
    user = await admin.get(apiPath('users', name));
  } catch (error) {
    if (error instanceof BrokerError && error.code === 'not_found') return undefined;
    throw error;
  }
  const [permissions, topicPermissions] = await Promise.all([
    admin.get<VhostPermissions[]>(apiPath('users', name, 'permissions')),
    admin.get<TopicPermission[]>(apiPath('users', name, 'topic-permissions')),
  ]);
  return {
    tags: tagsOf(user.tags),
    passwordHash: user.password_hash,
    hashingAlgorithm: user.hashing_algorithm,
    permissions: permissions.map(({ vhost, configure, write, read }) => ({ vhost, configure, write, read })),
    topicPermissions: topicPermissions.map(({ vhost, exchange, write, read }) => ({ vhost, exchange, write, read })),
  };
}

/** What applying `plan` would change on `existing` (everything, for a new user). */
export function changesFor(existing: ExistingUser | undefined, plan: UserPlan): string[] {
  if (!existing) {
    return [
      `create the user with tags ${plan.tags.join(', ')} and a new password`,
      ...plan.permissions.map((entry) => `grant in vhost ${inQuotes(entry.vhost)}: ${permissionText(entry)}`),
    ];
  }
  const changes: string[] = [];
  const sortedTags = (tags: readonly string[]) => [...tags].sort().join(', ');
  if (sortedTags(existing.tags) !== sortedTags(plan.tags)) {
    changes.push(`tags: ${sortedTags(existing.tags) || 'none'} → ${sortedTags(plan.tags)}`);
  }
  const now = new Map(existing.permissions.map((entry) => [entry.vhost, entry]));
  for (const entry of plan.permissions) {
    const current = now.get(entry.vhost);
    if (!current) changes.push(`grant in vhost ${inQuotes(entry.vhost)}: ${permissionText(entry)}`);
    else if (permissionText(current) !== permissionText(entry)) {
      changes.push(`vhost ${inQuotes(entry.vhost)}: ${permissionText(current)} → ${permissionText(entry)}`);
    }
  }
  const planned = new Set(plan.permissions.map((entry) => entry.vhost));
  for (const entry of existing.permissions) {
    if (!planned.has(entry.vhost))
      changes.push(`remove the permissions in vhost ${inQuotes(entry.vhost)} (${permissionText(entry)}): outside the scope`);
  }
  for (const entry of existing.topicPermissions) {
    changes.push(`remove the topic permissions on exchange ${inQuotes(entry.exchange)} in vhost ${inQuotes(entry.vhost)}`);
  }
  return changes;
}

export function permissionText(entry: { configure: string; write: string; read: string }): string {
  return `configure ${entry.configure}  write ${entry.write}  read ${entry.read}`;
}

/** Reads the broker's vhosts and the user as it is, and plans the user for the scope and level. */
export async function proposeUser(
  admin: ManagementClient,
  request: { name: string; scope: ScopePatterns; level: SafetyLevel; options?: PlanOptions },
): Promise<UserProposal> {
  await requireAdministrator(admin);
  const [vhosts, existing] = await Promise.all([
    admin.get<{ name: string }[]>(apiPath('vhosts'), { query: { columns: 'name' } }),
    readExisting(admin, request.name),
  ]);
  const plan = planUser({
    scope: request.scope,
    level: request.level,
    brokerVhosts: vhosts.map((vhost) => vhost.name),
    options: request.options,
  });
  return { name: request.name, plan, existing, changes: changesFor(existing, plan) };
}

/** A password for the new user: 192 random bits, URL- and shell-safe. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Makes the user as proposed. Permissions are narrowed before tags change, so an existing user
 * never holds its old permissions with its new tags' reach. `password` is required for a new
 * user; an existing one keeps its password (its hash is written back) unless one is given.
 */
export async function applyUser(admin: ManagementClient, proposal: UserProposal, password?: string): Promise<void> {
  const { name, plan, existing } = proposal;
  if (!existing && password === undefined) throw new Error('a new user needs a password');
  const userBody = (): Record<string, string> =>
    password !== undefined
      ? { password, tags: plan.tags.join(',') }
      : { password_hash: existing?.passwordHash ?? '', hashing_algorithm: existing?.hashingAlgorithm ?? '', tags: plan.tags.join(',') };
  if (!existing) await admin.put(apiPath('users', name), userBody());
  for (const entry of plan.permissions) {
    await admin.put(apiPath('permissions', entry.vhost, name), { configure: entry.configure, write: entry.write, read: entry.read });
  }
  const planned = new Set(plan.permissions.map((entry) => entry.vhost));
  for (const entry of existing?.permissions ?? []) {
    if (!planned.has(entry.vhost)) await admin.delete(apiPath('permissions', entry.vhost, name));
  }
  for (const entry of existing?.topicPermissions ?? []) {
    // The API deletes a user's topic permissions per vhost, every exchange at once.
    await admin.delete(apiPath('topic-permissions', entry.vhost, name)).catch((error: unknown) => {
      if (!(error instanceof BrokerError && error.code === 'not_found')) throw error;
    });
  }
  if (existing) await admin.put(apiPath('users', name), userBody());
}
