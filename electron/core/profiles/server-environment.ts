import { TLS_SETTINGS, settingsEnvironment } from '../../../server/config/settings.js';
import type { ProfileSettings } from '../../shared/profile.js';
import { scopeOf } from './broker-user.js';

function tlsEnv(which: 'amqp' | 'http', tls: ProfileSettings['amqp']['tls']): Record<string, string> {
  if (!tls.enabled) return {};
  const keys = TLS_SETTINGS[which];
  return settingsEnvironment({
    [keys.enabled]: 'true',
    [keys.verify]: String(tls.verify),
    [keys.ca]: tls.caFile || undefined,
    [keys.cert]: tls.certFile || undefined,
    [keys.key]: tls.keyFile || undefined,
  });
}

/** The server's environment for a profile: the same settings a person would set by hand. */
export function serverEnvironment(profile: ProfileSettings, password: string): Record<string, string> {
  const scope = scopeOf(profile);
  return {
    ...settingsEnvironment({
      amqpHost: profile.amqp.host,
      amqpPort: String(profile.amqp.port),
      amqpUser: profile.user,
      amqpPassword: password,
      amqpVhost: profile.vhost,
      httpHost: profile.management.host,
      httpPort: String(profile.management.port),
      httpBasePath: profile.management.basePath || undefined,
      allowDestructive: profile.safety === 'destructive' ? 'true' : undefined,
      allowWrite: profile.safety === 'write' ? 'true' : undefined,
      vhosts: scope.vhosts.length > 0 ? scope.vhosts.join(',') : undefined,
      queues: scope.queues.length > 0 ? scope.queues.join(',') : undefined,
    }),
    ...tlsEnv('amqp', profile.amqp.tls),
    ...tlsEnv('http', profile.management.tls),
  };
}
