import { join } from 'node:path';
import { serverEnvironment } from '../../electron/core/profiles/server-environment.js';
import { Supervisor, type SupervisorTarget } from '../../electron/core/supervisor/supervisor.js';
import { defaultProfileInput } from '../../electron/shared/profile.js';
import { BROKER } from './broker-env.js';
import { SERVER_BIN } from './built-server.js';

/** A profile on the test broker as the desktop app hands it to its Supervisor (no approval dialog). */
export function profileTarget(vhost: string, name: string, safety: SupervisorTarget['safety']): SupervisorTarget {
  const profile = {
    ...defaultProfileInput(name),
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
    vhost,
    safety,
  };
  return { profileId: name, profileName: name, safety, approval: 'none', env: serverEnvironment(profile, BROKER.password) };
}

/**
 * The app's Supervisor running the built server, with its runtime file (what the stdio entry
 * follows) and logs in `folder`: each start() replaces the server, as a profile switch does.
 */
export function supervisorIn(folder: string): Supervisor {
  return new Supervisor({
    command: process.execPath,
    serverEntry: SERVER_BIN,
    runtimeFile: join(folder, 'runtime.json'),
    logDir: join(folder, 'logs'),
    healthIntervalMs: 300,
  });
}
