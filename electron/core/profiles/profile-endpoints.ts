/**
 * A profile's broker addresses as the server's broker layer takes them, for the app's own
 * connections (Test connection, the health sampler); the supervised server gets the same
 * settings as its environment (server-environment.ts).
 */
import type { BrokerEndpoint, TlsFiles } from '../../../server/config/load-config.js';
import type { ProfileSettings } from '../../shared/profile.js';

function tlsFiles(tls: ProfileSettings['amqp']['tls']): TlsFiles | null {
  return tls.enabled ? { ca: tls.caFile, cert: tls.certFile, key: tls.keyFile, verify: tls.verify } : null;
}

export function amqpEndpoint(profile: ProfileSettings, password: string): BrokerEndpoint {
  return { host: profile.amqp.host, port: profile.amqp.port, user: profile.user, password, tls: tlsFiles(profile.amqp.tls) };
}

export function managementEndpoint(profile: ProfileSettings, password: string): BrokerEndpoint & { basePath: string } {
  const { host, port, basePath, tls } = profile.management;
  return { host, port, basePath, user: profile.user, password, tls: tlsFiles(tls) };
}
