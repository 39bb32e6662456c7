import type { AmqpState } from '../broker/amqp-session.js';
import { BrokerError } from '../broker/broker-errors.js';
import { settings } from '../config/settings.js';

/** What else is known when a request fails: the rest of the broker, and who set this server up. */
export interface BrokerSituation {
  /** The default vhost's AMQP connection: 'down' once an attempt failed and none has worked since; undefined while unknown. */
  amqp?: 'up' | 'down';
  /** The desktop app runs this server from a profile: advice may not name variables the person never set. */
  fromApp?: boolean;
}

/** The situation from the AMQP session's state and who runs the server. */
export function brokerSituation(amqp: AmqpState, fromApp: boolean | undefined): BrokerSituation {
  const state = amqp.status === 'connected' ? 'up' : amqp.failures > 0 ? 'down' : undefined;
  return { ...(state ? { amqp: state } : {}), ...(fromApp ? { fromApp } : {}) };
}

/**
 * What to change, in the terms of whoever runs this server: its environment variables and
 * flags. The broker layer's errors say only what failed; the desktop app gives its own advice
 * in the terms of a profile's fields instead (electron/core/connection-test.ts).
 */
function adviceFor(error: BrokerError, situation: BrokerSituation): string | undefined {
  const { service } = error.details;
  switch (error.code) {
    case 'login_refused':
      if (situation.fromApp)
        return `check the broker profile's user and password in the RabbitMQ MCP app${service === 'amqp' ? ' (guest may only log in from the broker host itself)' : ''}`;
      return service === 'amqp'
        ? `check ${settings.amqpUser.env} and ${settings.amqpPassword.env} (guest may only log in from localhost)`
        : `check ${settings.amqpUser.env} and ${settings.amqpPassword.env}`;
    case 'vhost_denied':
      return service === 'management'
        ? 'use a vhost it may use (list_vhosts shows them) or ask an administrator for permissions'
        : undefined;
    case 'not_amqp':
      return `is this a TLS port without ${settings.amqpUseTls.env}, or an AMQP port at all?`;
    case 'refused':
      if (service !== 'management') return undefined;
      // AMQP refuses too: the broker is down, not its plugin.
      if (situation.amqp === 'down')
        return situation.fromApp
          ? 'the broker itself is not reachable (its AMQP port refuses too): it is down or restarting; retry once it is back, or check the broker profile in the RabbitMQ MCP app'
          : `the broker itself is not reachable (its AMQP port refuses too): it is down or restarting, or ${settings.amqpHost.env} is wrong; retry once it is back`;
      return `${situation.amqp === 'up' ? 'the broker answers AMQP but not on its management port: ' : ''}is the management plugin enabled (rabbitmq-plugins enable rabbitmq_management) and ${
        situation.fromApp ? "the broker profile's management port right (in the RabbitMQ MCP app)" : `${settings.httpPort.env} right`
      }?`;
    case 'pool_exhausted':
      return `raise ${settings.connectionPoolSize.env} or retry`;
    default:
      return undefined;
  }
}

/** A broker error as a tool, resource or prompt answers it: the facts, then what to change. */
export function explainBrokerError(error: BrokerError, situation: BrokerSituation = {}): string {
  const advice = adviceFor(error, situation);
  return advice ? `${error.message}; ${advice}` : error.message;
}
