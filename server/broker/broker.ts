import type { ServerConfig } from '../config/load-config.js';
import type { Logger } from '../logging/logger.js';
import { type Telemetry, noTelemetry } from '../telemetry/telemetry.js';
import { AmqpSessions } from './amqp-sessions.js';
import { ManagementClient, apiPath } from './management-client.js';
import { BrokerWall } from './own-permissions.js';
import { PeekLedger } from './peek-ledger.js';
import { Scope } from './scope.js';

/** Everything tools use to reach one broker: AMQP sessions per vhost and the management API. */
export interface Broker {
  readonly defaultVhost: string;
  readonly user: string;
  readonly amqp: AmqpSessions;
  readonly management: ManagementClient;
  /** What this server may see and touch (--vhosts, --queues). */
  readonly scope: Scope;
  /** What this server's peeks did to queues with a delivery limit (see delivery-limit.ts). */
  readonly peeks: PeekLedger;
  /** Which promises the broker itself enforces for the user this server runs as (own-permissions.ts). */
  readonly wall: BrokerWall;
  /** The broker version from the overview, fetched once ("3.10.8"). */
  version(): Promise<string>;
  close(): Promise<void>;
}

export function createBroker(config: ServerConfig, logger: Logger, telemetry: Telemetry = noTelemetry): Broker {
  const scope = new Scope(config.scope.vhosts, config.scope.queues);
  const amqp = new AmqpSessions({
    scope,
    endpoint: config.amqp,
    defaultVhost: config.amqp.vhost,
    poolSize: config.connectionPoolSize,
    timeoutMs: config.requestTimeoutMs,
    logger,
    telemetry,
  });
  const management = new ManagementClient({ endpoint: config.management, timeoutMs: config.requestTimeoutMs, telemetry, scope });
  let version: Promise<string> | undefined;
  return {
    defaultVhost: config.amqp.vhost,
    user: config.amqp.user,
    amqp,
    management,
    scope,
    peeks: new PeekLedger(),
    wall: new BrokerWall({
      management,
      endpoint: config.amqp,
      vhost: config.amqp.vhost,
      scope: config.scope,
      level: config.safety,
      timeoutMs: config.requestTimeoutMs,
    }),
    version() {
      version ??= management.get<{ rabbitmq_version: string }>(apiPath('overview'), { query: { columns: 'rabbitmq_version' } }).then(
        (overview) => overview.rabbitmq_version,
        (error: unknown) => {
          version = undefined;
          throw error;
        },
      );
      return version;
    },
    async close() {
      await Promise.all([amqp.close(), management.close()]);
    },
  };
}

/** Compares dotted versions: is `version` at least `minimum`? */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  const b = minimum.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < b.length; index++) {
    const left = a[index] ?? 0;
    const right = b[index] ?? 0;
    if (left !== right) return left > right;
  }
  return true;
}
