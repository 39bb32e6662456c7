/**
 * The least-privilege broker user of a scoped profile, made from an administrator's login that is
 * used for this and kept nowhere: the same plan and steps as the server's create-user command
 * (server/broker/create-user.ts), with the new password handed to the profile store instead of
 * being printed.
 */
import { BrokerError } from '../../../server/broker/broker-errors.js';
import { type UserProposal, applyUser, generatePassword, proposeUser } from '../../../server/broker/create-user.js';
import { PlanError, type ScopePatterns } from '../../../server/broker/least-privilege.js';
import { ManagementClient } from '../../../server/broker/management-client.js';
import type { AdminLogin, BrokerUserPlan } from '../../shared/contract.js';
import type { ProfileSettings } from '../../shared/profile.js';
import { managementEndpoint } from './profile-endpoints.js';

/** A profile's scope as the server's --vhosts and --queues patterns: allows, then denies with `!`. */
export function scopeOf(profile: ProfileSettings): ScopePatterns {
  const patterns = (scope?: { allow?: string[]; deny?: string[] }) => [
    ...(scope?.allow ?? []).filter(Boolean),
    ...(scope?.deny ?? []).filter(Boolean).map((pattern) => `!${pattern}`),
  ];
  return { vhosts: patterns(profile.scopes?.vhosts), queues: patterns(profile.scopes?.queues) };
}

export function isScoped(profile: ProfileSettings): boolean {
  const scope = scopeOf(profile);
  return scope.vhosts.length > 0 || scope.queues.length > 0;
}

/** The user's name: mcp- and the profile's name in lower case, runs of other characters as one dash. */
export function brokerUserName(profile: ProfileSettings): string {
  const slug = profile.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `mcp-${slug || 'profile'}`;
}

/** Why the app cannot make the user, in the window's terms. */
export class BrokerUserError extends Error {
  override name = 'BrokerUserError';
}

async function withAdministrator<T>(
  profile: ProfileSettings,
  login: AdminLogin,
  work: (admin: ManagementClient) => Promise<T>,
): Promise<T> {
  if (!isScoped(profile)) {
    throw new BrokerUserError(
      `${profile.name} is not limited to some vhosts or queues: set its scope first (a user for the whole broker is what it has now)`,
    );
  }
  if (login.user === brokerUserName(profile)) {
    throw new BrokerUserError(`log in as an administrator other than ${login.user}: that is the user this would narrow`);
  }
  const admin = new ManagementClient({ endpoint: managementEndpoint({ ...profile, user: login.user }, login.password), timeoutMs: 10_000 });
  try {
    return await work(admin);
  } catch (error) {
    if (error instanceof PlanError) throw new BrokerUserError(error.message);
    if (error instanceof BrokerError) {
      if (error.code === 'login_refused') {
        throw new BrokerUserError(`the broker refused the administrator login '${login.user}': check its user name and password`);
      }
      throw new BrokerUserError(error.message);
    }
    throw error;
  } finally {
    await admin.close();
  }
}

function propose(admin: ManagementClient, profile: ProfileSettings): Promise<UserProposal> {
  return proposeUser(admin, { name: brokerUserName(profile), scope: scopeOf(profile), level: profile.safety });
}

function planView(proposal: UserProposal): BrokerUserPlan {
  const { plan } = proposal;
  return {
    user: proposal.name,
    exists: proposal.existing !== undefined,
    tags: plan.tags,
    permissions: plan.permissions,
    changes: proposal.existing ? [...proposal.changes, 'give it a new password (stored with the profile)'] : proposal.changes,
    brokerEnforces: plan.brokerEnforces,
    serverOnly: plan.serverOnly,
    notes: plan.notes,
  };
}

/** What making the profile's user would do; changes nothing. */
export function planBrokerUser(profile: ProfileSettings, login: AdminLogin): Promise<BrokerUserPlan> {
  return withAdministrator(profile, login, async (admin) => planView(await propose(admin, profile)));
}

/** Makes (or narrows) the profile's user with a new password; returns its name and that password. */
export function createBrokerUser(
  profile: ProfileSettings,
  login: AdminLogin,
): Promise<{ user: string; password: string; plan: BrokerUserPlan }> {
  return withAdministrator(profile, login, async (admin) => {
    const proposal = await propose(admin, profile);
    const password = generatePassword();
    await applyUser(admin, proposal, password);
    return { user: proposal.name, password, plan: planView(proposal) };
  });
}
