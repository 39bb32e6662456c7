import { connectAmqp, connectError } from '../../server/broker/amqp-session.js';
import { BrokerError } from '../../server/broker/broker-errors.js';
import { ManagementClient, apiPath } from '../../server/broker/management-client.js';
import { probePort } from '../../server/broker/port-probe.js';
import type { CheckStep, ConnectionCheck } from '../shared/contract.js';
import type { ProfileSettings } from '../shared/profile.js';
import { amqpEndpoint, managementEndpoint } from './profiles/profile-endpoints.js';

export type { CheckStep, ConnectionCheck };

const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/** Whether a host name is this computer itself, as the broker sees a connection from it. */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** The management API's own words when the broker turns guest away for logging in from elsewhere. */
const GUEST_ELSEWHERE = /can only log in via localhost/i;
const GUEST_FIX =
  "RabbitMQ lets the guest user log in only from the broker's own computer (its loopback_users setting): create a user of your own on the broker and use it here.";

/** A fix for an AMQP connection failure, in the terms of the profile's fields. */
function amqpFix(failure: BrokerError, profile: ProfileSettings): string {
  switch (failure.code) {
    case 'login_refused':
      // The broker refuses guest from anywhere but its own host (loopback_users) with the same
      // "access refused" as a wrong password: only a remote host makes that a possible cause.
      return profile.user === 'guest' && !isLoopback(profile.amqp.host)
        ? `Check the password. If it is right: RabbitMQ lets the guest user log in only from the broker's own computer, so for a broker elsewhere create a user of your own.`
        : 'Check the user name and password.';
    case 'vhost_denied':
      return `Check the Virtual host field: '${profile.vhost}' does not exist, or ${profile.user} may not use it.`;
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
  if (GUEST_ELSEWHERE.test(error.message)) return GUEST_FIX;
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
      detail: `Connected to ${profile.amqp.host}:${profile.amqp.port}${version ? ` (RabbitMQ ${version})` : ''} as ${profile.user} on the virtual host '${profile.vhost}'.`,
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
    const vhost = await vhostStep(management, profile, tags, vhostByAmqp);
    steps.push(vhost);
    // AMQP refused the vhost: the vhost check knows what this user can do about it.
    const amqp = steps.find((step) => step.name === 'AMQP' && !step.ok);
    if (amqp && vhostByAmqp === 'refused' && vhost.fix) amqp.fix = vhost.fix;
  } catch (error) {
    if (!(error instanceof BrokerError)) throw error;
    const guestElsewhere = GUEST_ELSEWHERE.test(error.message);
    steps.push({
      name: 'Management API',
      ok: false,
      detail: guestElsewhere ? `The broker turned the guest user away: it may log in only from the broker's own computer.` : error.message,
      fix: managementFix(error, profile),
    });
    // The management API tells the two refusals apart, which AMQP cannot: say the one it was.
    const amqp = steps.find((step) => step.name === 'AMQP' && !step.ok && /login refused/.test(step.detail));
    if (amqp && guestElsewhere) amqp.fix = GUEST_FIX;
    else if (amqp && error.code === 'login_refused') amqp.fix = 'Check the user name and password.';
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
  // Only an administrator can make vhosts and hand out permissions: anyone else asks one.
  const isAdministrator = tags.includes('administrator');
  // The vhosts the login sees, read once: all of them for a monitoring or administrator user, its own otherwise.
  const visible = await management
    .get<{ name: string }[]>(apiPath('vhosts'), { query: { columns: 'name' } })
    .then((list) => list.map((candidate) => candidate.name))
    .catch(() => undefined);
  const seesAll = tags.some((tag) => tag === 'monitoring' || tag === 'administrator');
  /** Whether the vhost exists (undefined: this login cannot tell). */
  const exists = visible?.includes(vhost) ? true : visible && seesAll ? false : undefined;
  const usable = await usableVhosts(management, user, tags, visible).catch(() => undefined);
  // Only vhosts this user both sees and may use: never other people's.
  const others = usable?.filter((name) => name !== vhost && (visible === undefined || visible.includes(name))) ?? [];
  const instead =
    others.length > 0
      ? `Use a virtual host ${user} may use (${others.map((name) => `'${name}'`).join(', ')}) in the Virtual host field, or `
      : '';
  const named = `The virtual host (vhost) '${vhost}'`;
  if (vhostByAmqp === 'usable' || (vhostByAmqp === 'unknown' && usable?.includes(vhost))) {
    return { name: 'Virtual host', ok: true, detail: `${named} exists and ${user} may use it.` };
  }
  if (exists && vhostByAmqp === 'unknown' && usable === undefined) {
    return {
      name: 'Virtual host',
      ok: true,
      detail: `${named} exists; whether ${user} may use it shows once the broker connection works.`,
    };
  }
  if (exists) {
    return {
      name: 'Virtual host',
      ok: false,
      detail: `${named} exists, but ${user} has no permissions on it.`,
      fix: sentence(
        isAdministrator
          ? `${instead}give ${user} permissions on it (you are an administrator): ${grant}, or Admin → Users in the management web page.`
          : `${instead}ask an administrator of this RabbitMQ to give ${user} permissions on '${vhost}'.`,
      ),
    };
  }
  return {
    name: 'Virtual host',
    ok: false,
    detail: exists === false ? `${named} does not exist.` : `${named} does not exist, or ${user} has no permissions on it.`,
    fix: sentence(
      isAdministrator
        ? `${instead}create it (you are an administrator): rabbitmqctl add_vhost '${vhost}' and ${grant}, or Admin → Virtual Hosts in the management web page.`
        : `${instead}check its spelling, or ask an administrator of this RabbitMQ to create '${vhost}' and give ${user} permissions on it.`,
    ),
  };
}

/** The checks in plain words, with the term people meet elsewhere. */
const STEP_WORDS: Record<CheckStep['name'], string> = {
  AMQP: 'the broker connection (AMQP)',
  'Management API': 'the management API',
  'Virtual host': 'the virtual host',
  Permissions: 'the permissions',
};

function verdict(steps: CheckStep[]): ConnectionCheck {
  const failed = steps.filter((step) => !step.ok);
  return {
    ok: failed.length === 0,
    summary:
      failed.length === 0
        ? 'Everything works: the broker and its management API answer, and the user may use the virtual host.'
        : sentence(
            `${failed.map((step) => STEP_WORDS[step.name]).join(' and ')} failed. ${failed[0]?.fix ?? failed[0]?.detail ?? ''}`.trim(),
          ),
    steps,
  };
}
