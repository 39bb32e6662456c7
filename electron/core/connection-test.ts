import { connectAmqp, connectError } from '../../server/broker/amqp-session.js';
import { BrokerError } from '../../server/broker/broker-errors.js';
import { ManagementClient, apiPath } from '../../server/broker/management-client.js';
import { probePort } from '../../server/broker/port-probe.js';
import type { CheckStep, ConnectionCheck } from '../shared/contract.js';
import type { ProfileSettings } from '../shared/profile.js';
import { amqpEndpoint, managementEndpoint } from './profiles/profile-endpoints.js';

export type { CheckStep, ConnectionCheck };

/** A fix for an AMQP connection failure, in the terms of the profile's fields. */
function amqpFix(failure: BrokerError, profile: ProfileSettings): string {
  switch (failure.code) {
    case 'login_refused':
      return profile.user === 'guest'
        ? 'Check the password. The guest user can only log in from the broker host itself: for a remote broker, create a user of your own.'
        : 'Check the user name and password.';
    case 'vhost_denied':
      return `Pick an existing virtual host, or create '${profile.vhost}' and give the user permissions on it.`;
    case 'refused':
      return `Nothing accepts connections on ${profile.amqp.host}:${profile.amqp.port}. Check the host, the AMQP port (5672, or 5671 with TLS) and that RabbitMQ runs.`;
    case 'unresolved':
      return `The host name '${profile.amqp.host}' does not resolve: check its spelling.`;
    case 'tls':
    case 'not_amqp':
      return profile.amqp.tls.enabled
        ? 'This port does not speak TLS: turn TLS off (port 5672) or use the TLS port (usually 5671).'
        : 'This port expects TLS: turn TLS on, or use the plain AMQP port (usually 5672).';
    case 'timeout':
    case 'unreachable':
      return 'No answer: a firewall may drop the connection, or the host is wrong.';
    default:
      return 'Check the host, port and TLS settings.';
  }
}

/** A fix for a management API failure, in the terms of the profile's fields. */
function managementFix(error: BrokerError, profile: ProfileSettings): string {
  switch (error.code) {
    case 'login_refused':
      return 'The management API refused the user name or password: check them (they are the same as for AMQP).';
    case 'forbidden':
      return 'Give the user the monitoring tag (or administrator): rabbitmqctl set_user_tags <user> monitoring.';
    case 'refused':
      return `Nothing answers on ${profile.management.host}:${profile.management.port}. Enable the management plugin (rabbitmq-plugins enable rabbitmq_management) or fix the management port (15672, or 15671 with TLS).`;
    case 'tls':
      return profile.management.tls.enabled
        ? 'This port does not speak HTTPS: turn TLS off for the management API or use its HTTPS port.'
        : 'This port expects HTTPS: turn TLS on for the management API.';
    case 'unresolved':
    case 'unreachable':
      return 'The management API does not answer: check its host, port and TLS settings.';
    case 'timeout':
      return 'The management API did not answer in time: check the host and any firewall.';
    default:
      return 'Check the management API settings.';
  }
}

/**
 * "Test connection": tries AMQP and the management API with the profile's settings, then the
 * vhost and the user's permissions on it, and explains each failure with what to change.
 */
export async function testConnection(profile: ProfileSettings, password: string, timeoutMs = 8000): Promise<ConnectionCheck> {
  const steps: CheckStep[] = [];
  const endpoint = amqpEndpoint(profile, password);
  /** What AMQP said about the vhost: usable, refused, or unknown (AMQP failed for another reason). */
  let vhostByAmqp: 'usable' | 'refused' | 'unknown' = 'unknown';
  const notAmqp = Symbol('not AMQP');
  try {
    // A plain port that answers HTTP (the management port, 15672, given as the AMQP port) is
    // told apart within a second; an AMQP handshake with it would only time out. The probe waits
    // for a handshake that is slow to finish, so a working broker never logs it.
    const attempt = connectAmqp(endpoint, profile.vhost, timeoutMs);
    let settled = false;
    attempt.then(
      () => (settled = true),
      () => (settled = true),
    );
    const never = new Promise<never>(() => undefined);
    const speaksHttp = profile.amqp.tls.enabled
      ? never
      : new Promise((resolve) => setTimeout(resolve, 700))
          .then(() => (settled ? 'amqp' : probePort(profile.amqp.host, profile.amqp.port)))
          .then((speaks) => (speaks === 'http' ? notAmqp : never));
    const first = await Promise.race([attempt, speaksHttp]);
    if (first === notAmqp) {
      attempt
        .then(
          (model) => model.close(),
          () => undefined,
        )
        .catch(() => undefined);
      throw notAmqp;
    }
    const model = first;
    vhostByAmqp = 'usable';
    const version = (model.connection.serverProperties as { version?: string }).version;
    steps.push({
      name: 'AMQP',
      ok: true,
      detail: `Connected to ${profile.amqp.host}:${profile.amqp.port}${version ? ` (RabbitMQ ${version})` : ''} as ${profile.user} on vhost '${profile.vhost}'.`,
    });
    await model.close().catch(() => undefined);
  } catch (error) {
    if (error === notAmqp) {
      steps.push({
        name: 'AMQP',
        ok: false,
        detail: `${profile.amqp.host}:${profile.amqp.port} answers HTTP, not AMQP: it is a web port (the management API's is usually 15672).`,
        fix: `Use the AMQP port (usually 5672, or 5671 with TLS); put ${profile.amqp.port} in the management API port if that is what it is.`,
      });
      return finish(steps, profile, password, timeoutMs, 'unknown');
    }
    const failure = connectError(error, profile.user, profile.vhost);
    if (failure.code === 'vhost_denied') vhostByAmqp = 'refused';
    steps.push({
      name: 'AMQP',
      ok: false,
      detail: `AMQP connection to ${profile.amqp.host}:${profile.amqp.port} failed: ${failure.message}.`,
      fix: amqpFix(failure, profile),
    });
  }

  return finish(steps, profile, password, timeoutMs, vhostByAmqp);
}

/**
 * The vhosts a user may use, as far as its own login can tell: an administrator reads the user's
 * permissions; a user without the monitoring tag sees only its own vhosts (`visible`); a
 * monitoring user sees every vhost but not whose they are (undefined: unknown).
 */
async function usableVhosts(
  management: ManagementClient,
  user: string,
  tags: string[],
  visible: string[] | undefined,
): Promise<string[] | undefined> {
  if (tags.includes('administrator')) {
    const permissions = await management.get<{ vhost: string }[]>(apiPath('users', user, 'permissions'));
    return permissions.map((permission) => permission.vhost);
  }
  return tags.includes('monitoring') ? undefined : visible;
}

/** The management API, then the vhost: whether it exists and the user may use it. */
async function finish(
  steps: CheckStep[],
  profile: ProfileSettings,
  password: string,
  timeoutMs: number,
  vhostByAmqp: 'usable' | 'refused' | 'unknown',
): Promise<ConnectionCheck> {
  const management = new ManagementClient({
    endpoint: managementEndpoint(profile, password),
    timeoutMs,
  });
  try {
    const whoami = await management.get<{ name: string; tags: string[] | string }>(apiPath('whoami'));
    const tags = Array.isArray(whoami.tags) ? whoami.tags : String(whoami.tags).split(',').filter(Boolean);
    steps.push({
      name: 'Management API',
      ok: true,
      detail: `${management.baseUrl} answers; user ${whoami.name} has tags: ${tags.join(', ') || 'none'}.`,
    });
    if (!tags.some((tag) => ['monitoring', 'administrator', 'management', 'policymaker'].includes(tag))) {
      steps.push({
        name: 'Permissions',
        ok: false,
        detail: 'The user has no management tag, so the management API shows it almost nothing.',
        fix: 'Give the user the monitoring tag (or administrator).',
      });
    }
    steps.push(await vhostStep(management, profile, tags, vhostByAmqp));
  } catch (error) {
    if (!(error instanceof BrokerError)) throw error;
    steps.push({ name: 'Management API', ok: false, detail: error.message, fix: managementFix(error, profile) });
  } finally {
    await management.close();
  }

  return verdict(steps);
}

/** Whether the vhost exists and the user may use it: AMQP's answer wins; the advice names only vhosts the user may use. */
async function vhostStep(
  management: ManagementClient,
  profile: ProfileSettings,
  tags: string[],
  vhostByAmqp: 'usable' | 'refused' | 'unknown',
): Promise<CheckStep> {
  const { user, vhost } = profile;
  const grant = `rabbitmqctl set_permissions -p '${vhost}' ${user} '.*' '.*' '.*'`;
  // The vhosts the login sees, read once: all of them for a monitoring or administrator user, its own otherwise.
  const visible = await management
    .get<{ name: string }[]>(apiPath('vhosts'), { query: { columns: 'name' } })
    .then((list) => list.map((candidate) => candidate.name))
    .catch(() => undefined);
  const seesAll = tags.some((tag) => tag === 'monitoring' || tag === 'administrator');
  /** Whether the vhost exists (undefined: this login cannot tell). */
  const exists = visible?.includes(vhost) ? true : visible && seesAll ? false : undefined;
  const usable = await usableVhosts(management, user, tags, visible).catch(() => undefined);
  const others = usable?.filter((name) => name !== vhost) ?? [];
  const instead = others.length > 0 ? `Use a vhost ${user} may use (${others.map((name) => `'${name}'`).join(', ')}), or ` : '';
  const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  if (vhostByAmqp === 'usable' || (vhostByAmqp === 'unknown' && usable?.includes(vhost))) {
    return { name: 'Virtual host', ok: true, detail: `Vhost '${vhost}' exists and ${user} may use it.` };
  }
  if (exists && vhostByAmqp === 'unknown' && usable === undefined) {
    return { name: 'Virtual host', ok: true, detail: `Vhost '${vhost}' exists; whether ${user} may use it shows once AMQP connects.` };
  }
  if (exists) {
    return {
      name: 'Virtual host',
      ok: false,
      detail: `Vhost '${vhost}' exists, but ${user} has no permissions on it.`,
      fix: sentence(`${instead}ask an administrator to grant access: ${grant}.`),
    };
  }
  return {
    name: 'Virtual host',
    ok: false,
    detail: exists === false ? `Vhost '${vhost}' does not exist.` : `Vhost '${vhost}' does not exist, or ${user} has no permissions on it.`,
    fix: sentence(`${instead}create it with rabbitmqctl add_vhost '${vhost}' and grant access: ${grant}.`),
  };
}

function verdict(steps: CheckStep[]): ConnectionCheck {
  const failed = steps.filter((step) => !step.ok);
  return {
    ok: failed.length === 0,
    summary:
      failed.length === 0
        ? 'Everything works: AMQP and the management API answer, and the user may use the vhost.'
        : `${failed.map((step) => step.name).join(' and ')} failed. ${failed[0]?.fix ?? failed[0]?.detail ?? ''}`.trim(),
    steps,
  };
}
