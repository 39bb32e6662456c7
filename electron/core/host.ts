import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ManagementClient } from '../../server/broker/management-client.js';
import { DailyLogFile } from '../../server/logging/daily-log-file.js';
import type { AppApi, AppEventName, AppEvents, ProfileView } from '../shared/contract.js';
import type { LaunchSpec, Platform } from './clients/client-catalog.js';
import { ClientSetup } from './clients/client-setup.js';
import { testConnection } from './connection-test.js';
import { HealthSampler } from './health/health-sampler.js';
import { LogReader } from './logs/log-reader.js';
import { type Profile, type ProfileInput, profileInputSchema } from '../shared/profile.js';
import { createBrokerUser, planBrokerUser } from './profiles/broker-user.js';
import { managementEndpoint } from './profiles/profile-endpoints.js';
import { serverEnvironment } from './profiles/server-environment.js';
import { type KeyValueStore, ProfileStore, type StoreShape } from './profiles/profile-store.js';
import type { SecretStore } from './secrets/secret-store.js';
import { type AppStatusInfo, removeRuntimeInfo, writeAppStatus } from './supervisor/runtime-file.js';
import { lastServerError } from '../shared/server-lines.js';
import { watchSwitchRequests } from './supervisor/switch-requests.js';
import { stateLogEntry } from './supervisor/crash-report.js';
import { Supervisor, type SupervisorState } from './supervisor/supervisor.js';

export interface HostOptions {
  /** The app's data folder: the store, runtime.json (for the stdio entries) and logs/. */
  home: string;
  store: KeyValueStore<StoreShape>;
  secrets: SecretStore;
  platform: Platform;
  /** How AI clients start the stdio entry (written into their configs). */
  launch: LaunchSpec;
  /** Why configs written now would break (the app runs from a disk image…): connecting clients is refused with it. */
  clientSetupBlocked?: string | null;
  /** How to run the bundled server: the app binary as Node (or node) and the bundle's path. */
  server: { command: string; entry: string; commandEnv?: Record<string, string> };
  version: string;
  healthIntervalMs?: number;
  /** Asks where to save an export (a save dialog in the app); null means cancelled. */
  chooseExportPath?: (suggestedName: string) => Promise<string | null>;
}

/**
 * The app's logic behind one typed API: profiles, the supervised server, AI client setup, logs
 * and health, wired together. Electron's main process exposes it to the window through the
 * preload; tests drive it directly. It imports nothing from Electron.
 */
export class AppHost implements AppApi {
  readonly logDir: string;
  #options: HostOptions;
  #profiles: ProfileStore;
  #supervisor: Supervisor;
  #setup: ClientSetup;
  #logs: LogReader;
  #sampler: HealthSampler;
  #management: ManagementClient | null = null;
  #bus = new EventEmitter();
  #log: DailyLogFile;
  #statusFile: string;
  #stopSwitchRequests: () => void = () => undefined;
  #statusWrites: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(options: HostOptions) {
    this.#options = options;
    this.logDir = join(options.home, 'logs');
    this.#log = new DailyLogFile({ dir: this.logDir, prefix: 'app', retentionDays: 30 });
    this.#profiles = new ProfileStore(options.store, options.secrets);
    this.#supervisor = new Supervisor({
      command: options.server.command,
      serverEntry: options.server.entry,
      commandEnv: options.server.commandEnv,
      runtimeFile: join(options.home, 'runtime.json'),
      logDir: this.logDir,
    });
    this.#statusFile = join(options.home, 'app-status.json');
    this.#setup = new ClientSetup({
      platform: options.platform,
      launch: options.launch,
      records: this.#profiles.setupRecords(),
      blocked: options.clientSetupBlocked ?? null,
    });
    this.#logs = new LogReader(this.logDir);
    this.#sampler = new HealthSampler({
      intervalMs: options.healthIntervalMs,
      management: () => this.#management,
      vhost: () => this.#profiles.active()?.vhost ?? null,
      server: () => this.#supervisor.state.status,
    });
    this.#supervisor.on('state', (state) => {
      const entry = stateLogEntry(state);
      this.#write(entry.level, entry.msg, entry.fields);
      this.#bus.emit('server-state', state);
    });
    this.#sampler.on('sample', (sample) => this.#bus.emit('health-sample', sample));
    this.#bus.on('server-state', () => this.#publishStatus());
    this.#bus.on('profiles-changed', () => this.#publishStatus());
  }

  /** Starts the server for the active profile and the health sampling. */
  async start(): Promise<void> {
    this.#write('info', 'app started', { version: this.#options.version });
    this.#publishStatus();
    const active = this.#profiles.active();
    if (active) await this.#serve(active);
    this.#sampler.start();
    // switch_broker from an AI client, once its user said yes there.
    this.#stopSwitchRequests = watchSwitchRequests(join(this.#options.home, 'requests'), async (request) => {
      const target = this.#profiles.list().find((profile) => profile.id === request.profileId);
      if (!target) return { ok: false, message: 'that profile no longer exists in the app' };
      this.#write('info', 'switching broker at the request of an AI client', { client: request.client, profile: target.name });
      await this.profiles.activate(target.id);
      return { ok: true, message: `Switched to ${target.name} (${target.safety}).` };
    });
  }

  async dispose(): Promise<void> {
    this.#stopSwitchRequests();
    this.#sampler.stop();
    await this.#supervisor.stop();
    await this.#management?.close();
    this.#disposed = true;
    await this.#statusWrites;
    await removeRuntimeInfo(this.#statusFile);
    this.#write('info', 'app stopped');
    this.#log.close();
  }

  readonly app: AppApi['app'] = {
    info: async () => ({
      version: this.#options.version,
      firstRun: !this.#profiles.firstRunDone(),
      secretProtection: this.#options.secrets.protection(),
      logDir: this.logDir,
    }),
    completeFirstRun: async () => this.#profiles.markFirstRunDone(),
  };

  readonly profiles: AppApi['profiles'] = {
    list: async () => this.#views(),
    create: async (input, password) => {
      const hadActive = this.#profiles.active() !== null;
      const profile = await this.#profiles.create(input, password);
      this.#write('info', 'profile created', { profile: profile.name });
      if (!hadActive) await this.#serve(profile);
      return this.#changed(profile.id);
    },
    update: async (id, input, password) => {
      const profile = await this.#profiles.update(id, input, password);
      this.#write('info', 'profile updated', { profile: profile.name });
      if (this.#profiles.active()?.id === id) await this.#serve(profile);
      return this.#changed(id);
    },
    duplicate: async (id) => {
      const copy = await this.#profiles.duplicate(id);
      return this.#changed(copy.id);
    },
    remove: async (id) => {
      const wasActive = this.#profiles.active()?.id === id;
      const name = this.#profiles.get(id).name;
      this.#profiles.delete(id);
      this.#write('info', 'profile deleted', { profile: name });
      if (wasActive) {
        const next = this.#profiles.active();
        if (next) await this.#serve(next);
        else await this.#stopServing();
      }
      this.#bus.emit('profiles-changed', this.#views());
    },
    activate: async (id) => {
      const from = this.#profiles.active();
      const profile = this.#profiles.setActive(id);
      this.#write('info', 'profile switched', { from: from?.name, to: profile.name, safety: profile.safety });
      await this.#serve(profile);
      return this.#changed(id);
    },
    exportAll: async () => this.#profiles.exportProfiles(),
    planBrokerUser: async (id, login) => planBrokerUser(this.#profiles.get(id), login),
    createBrokerUser: async (id, login) => {
      const profile = this.#profiles.get(id);
      const made = await createBrokerUser(profile, login);
      const { id: _id, createdAt: _created, updatedAt: _updated, ...settings } = profile;
      const updated = await this.#profiles.update(id, { ...settings, user: made.user }, made.password);
      this.#write('info', 'broker user made for the profile', {
        profile: profile.name,
        user: made.user,
        administrator: login.user,
        tags: made.plan.tags.join(','),
        vhosts: made.plan.permissions.map((entry) => entry.vhost).join(','),
      });
      if (this.#profiles.active()?.id === id) await this.#serve(updated);
      return this.#changed(id);
    },
  };

  readonly connection: AppApi['connection'] = {
    test: async (input, password, profileId) => {
      const settings = profileInputSchema.parse(input);
      const secret = password ?? (profileId ? await this.#profiles.password(profileId) : '');
      const check = await testConnection(settings, secret);
      this.#write(check.ok ? 'info' : 'warn', 'connection tested', { profile: settings.name, ok: check.ok, summary: check.summary });
      return check;
    },
  };

  readonly server: AppApi['server'] = {
    state: async () => this.#supervisor.state,
    restart: async () => {
      const active = this.#profiles.active();
      if (active) await this.#serve(active);
    },
  };

  readonly clients: AppApi['clients'] = {
    list: () => this.#setup.statusAll(),
    connect: async (id) => {
      const result = await this.#setup.connect(id);
      this.#write('info', 'client connected', { client: id, path: result.status.configPath });
      return result;
    },
    undo: async (id) => {
      const result = await this.#setup.undo(id);
      this.#write('info', 'client setup undone', { client: id });
      return result;
    },
  };

  readonly logs: AppApi['logs'] = {
    tail: (query) => this.#logs.tail(query),
    export: async (query) => {
      const suggested = `rabbitmq-mcp-logs-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.jsonl`;
      const path = this.#options.chooseExportPath
        ? await this.#options.chooseExportPath(suggested)
        : join(this.logDir, '..', 'exports', suggested);
      if (!path) return null;
      await mkdir(dirname(path), { recursive: true });
      const result = await this.#logs.export(path, query);
      this.#write('info', 'logs exported', { path: result.path, count: result.count });
      return result;
    },
  };

  readonly health: AppApi['health'] = {
    history: async () => this.#sampler.history(),
  };

  readonly events: AppApi['events'] = {
    on: <E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void) => {
      this.#bus.on(event, listener);
      return () => {
        this.#bus.off(event, listener);
      };
    },
  };

  async #serve(profile: Profile): Promise<void> {
    const password = await this.#profiles.password(profile.id);
    await this.#management?.close();
    this.#management = new ManagementClient({
      endpoint: managementEndpoint(profile, password),
      timeoutMs: 5000,
    });
    this.#sampler.reset();
    await this.#supervisor.start({
      profileId: profile.id,
      profileName: profile.name,
      safety: profile.safety,
      env: serverEnvironment(profile, password),
    });
  }

  async #stopServing(): Promise<void> {
    await this.#supervisor.stop();
    await this.#management?.close();
    this.#management = null;
  }

  #views(): ProfileView[] {
    const activeId = this.#profiles.active()?.id;
    return this.#profiles
      .list()
      .map((profile) => ({ ...profile, active: profile.id === activeId, hasPassword: this.#profiles.hasPassword(profile.id) }));
  }

  #changed(id: string): ProfileView {
    const views = this.#views();
    this.#bus.emit('profiles-changed', views);
    return views.find((view) => view.id === id) as ProfileView;
  }

  /** Tells the stdio entries what the app is doing; writes in order, none after dispose. */
  #publishStatus(): void {
    if (this.#disposed) return;
    const status: AppStatusInfo = {
      version: 1,
      appPid: process.pid,
      profiles: this.#profiles.list().length,
      brokers: this.#views().map((view) => ({
        id: view.id,
        name: view.name,
        host: `${view.amqp.host}:${view.amqp.port}`,
        vhost: view.vhost,
        safety: view.safety,
        active: view.active,
      })),
      server: statusOf(this.#supervisor.state),
      updatedAt: new Date().toISOString(),
    };
    this.#statusWrites = this.#statusWrites
      .then(() => (this.#disposed ? undefined : writeAppStatus(this.#statusFile, status)))
      .catch((error: Error) => this.#write('warn', 'cannot write the app status file', { reason: error.message }));
  }

  /** The app's own log lines, next to the server's, for the Logs page. Never a password. */
  #write(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
    this.#log.write(`${JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, source: 'app', ...fields, msg })}\n`);
  }
}

function statusOf(state: SupervisorState): AppStatusInfo['server'] {
  switch (state.status) {
    case 'stopped':
      return { status: 'stopped' };
    case 'starting':
    case 'healthy':
      return { status: state.status, profileName: state.profileName };
    case 'degraded':
      return { status: state.status, profileName: state.profileName, reason: state.reason };
    case 'crashed':
    case 'failed':
      return {
        status: state.status,
        profileName: state.profileName,
        crashes: state.crashes,
        exit: state.exit,
        lastError: lastServerError(state.lastLines),
      };
  }
}

export type { ProfileInput };
