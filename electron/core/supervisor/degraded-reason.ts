import { type SettingKey, settingInEnvironment } from '../../../server/config/settings.js';
import type { ConnectionProblem } from '../../../server/broker/broker-errors.js';

/** The server's health answer, as far as the app reads it. */
export interface HealthAnswer {
  amqp_connected?: boolean;
  http_connected?: boolean;
  amqp_problem?: ConnectionProblem;
  http_problem?: ConnectionProblem;
}

/** Why the broker cannot be used, and what to do, in the terms of the profile's fields. */
export interface DegradedReason {
  reason: string;
  /** What the user should do: change the profile (the window offers Edit), or nothing but wait. */
  advice: string;
  action: 'edit-profile' | 'wait';
}

/**
 * The server runs but cannot reach the broker: says why from the health answer's codes, with the
 * profile's own values (its env, which the app built from the profile) and the names of the
 * fields to change, never the server's environment variables.
 */
export function degradedReason(health: HealthAnswer, env: Record<string, string>): DegradedReason {
  const value = (key: SettingKey) => settingInEnvironment(env, key);
  const user = value('amqpUser');
  const host = value('amqpHost');
  // A profile's environment always names both ports and the management host.
  const amqpAt = `${host}:${value('amqpPort')}`;
  const managementAt = `${value('httpHost') ?? host}:${value('httpPort')}`;
  const vhost = value('amqpVhost');
  const amqp = health.amqp_connected ? undefined : health.amqp_problem;
  const http = health.http_connected ? undefined : health.http_problem;
  const edit = (reason: string, advice: string): DegradedReason => ({ reason, advice, action: 'edit-profile' });
  if (amqp === 'login_refused' || http === 'login_refused') {
    return edit(`the broker refused the login of user '${user}'`, "Check this profile's User and Password.");
  }
  if (amqp === 'vhost_denied') {
    return edit(
      `user '${user}' may not use vhost '${vhost}', or it does not exist`,
      "Check this profile's Virtual host, or ask an administrator to give the user permissions on it.",
    );
  }
  if (amqp === 'unresolved' || http === 'unresolved') return edit(`the host name '${host}' is not known`, "Check this profile's Host.");
  if (amqp === 'refused') {
    return edit(`nothing accepts AMQP connections at ${amqpAt}`, "Check that RabbitMQ runs, and this profile's Host and AMQP port.");
  }
  if (amqp === 'tls' || http === 'tls')
    return edit(`the TLS handshake with the broker failed`, "Check this profile's TLS settings and ports.");
  if (amqp === 'not_amqp') return edit(`${amqpAt} does not answer as an AMQP broker`, "Check this profile's AMQP port and TLS settings.");
  if (http === 'forbidden') {
    return {
      reason: `user '${user}' may not use the management API`,
      advice: `Give the user the monitoring tag: rabbitmqctl set_user_tags ${user} monitoring.`,
      action: 'wait',
    };
  }
  if (http === 'refused') {
    return edit(
      `nothing answers on the management port ${managementAt}`,
      "Enable the management plugin (rabbitmq-plugins enable rabbitmq_management), or fix this profile's Management port.",
    );
  }
  const down = [
    health.amqp_connected ? undefined : `AMQP (${amqpAt})`,
    health.http_connected ? undefined : `the management API (${managementAt})`,
  ]
    .filter(Boolean)
    .join(' and ');
  return {
    reason: `no answer from ${down || 'the broker'}`,
    advice: 'The app keeps retrying. If it lasts, check the host and any firewall between here and the broker.',
    action: 'wait',
  };
}
