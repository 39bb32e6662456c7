import { BrokerError } from '../broker/broker-errors.js';
import { settings } from '../config/settings.js';

/**
 * What to change, in the terms of whoever runs this server: its environment variables and
 * flags. The broker layer's errors say only what failed; the desktop app gives its own advice
 * in the terms of a profile's fields instead (electron/core/connection-test.ts).
 */
function adviceFor(error: BrokerError): string | undefined {
  const { service } = error.details;
  switch (error.code) {
    case 'login_refused':
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
      return service === 'management'
        ? `is the management plugin enabled (rabbitmq-plugins enable rabbitmq_management) and ${settings.httpPort.env} right?`
        : undefined;
    case 'pool_exhausted':
      return `raise ${settings.connectionPoolSize.env} or retry`;
    default:
      return undefined;
  }
}

/** A broker error as a tool, resource or prompt answers it: the facts, then what to change. */
export function explainBrokerError(error: BrokerError): string {
  const advice = adviceFor(error);
  return advice ? `${error.message}; ${advice}` : error.message;
}
