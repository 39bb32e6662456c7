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
import { ProfileTransfer } from './profiles/profile-transfer.js';
import { managementEndpoint } from './profiles/profile-endpoints.js';
import { serverEnvironment } from './profiles/server-environment.js';
import { type KeyValueStore, ProfileStore, type StoreShape } from './profiles/profile-store.js';
import type { SecretStore } from './secrets/secret-store.js';
import { type AppStatusInfo, removeRuntimeInfo, writeAppStatus } from './supervisor/runtime-file.js';
import { lastServerError } from '../shared/server-lines.js';
import { watchSwitchRequests } from './supervisor/switch-requests.js';
import { readFile, writeFile } from 'node:fs/promises';
import { arch, platform as osPlatform, release } from 'node:os';
import type { AboutInfo, AboutLink, LicenceEntry } from '../shared/contract.js';
import type { Autostart } from './autostart/linux-autostart.js';
import { diagnosticsZip } from './diagnostics/diagnostics-bundle.js';
import { AppSettingsStore } from './settings/app-settings.js';
import { stateLogEntry } from './supervisor/crash-report.js';
import { Supervisor, type SupervisorState } from './supervisor/supervisor.js';
import { BrokerNotifier, type BrokerNotifierOptions } from './notifications/broker-notifier.js';
import { UpdateService, type UpdateServiceOptions, type UpdateStatus } from './updates/update-service.js';
import { ApprovalService, type ApprovalUi } from './approvals/approval-service.js';

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
  /** Asks which file to import (an open dialog starting at defaultPath); null means cancelled. */
  chooseImportPath?: (defaultPath: string) => Promise<string | null>;
  /** The app's own updates (electron-updater in the app, see core/updates); without it, updates are 'off'. */
  updates?: Omit<UpdateServiceOptions, 'currentVersion' | 'log' | 'settings'> & {
    /** What to read at each check; by default the Settings page's choices. */
    settings?: UpdateServiceOptions['settings'];
    /** A feed that replaces the Settings page's (a mirror named in the environment). */
    feedOverride?: string;
  };
  /** Desktop notifications about the active broker (see core/notifications): how to show one, which causes are on. */
  notifications?: Pick<BrokerNotifierOptions, 'show' | 'quietMs'> & {
    /** Which causes are on; by default the Settings page's switches. */
    enabled?: BrokerNotifierOptions['enabled'];
  };
  /** Start at login (core/autostart): login items on macOS and Windows, an XDG entry on Linux. */
  autostart?: Autostart | null;
  /** process.versions of the main process: Electron's, Node's and Chrome's. */
  versions?: { electron?: string; node?: string; chrome?: string };
  /** licences.json, written at build time (scripts/build.mjs): what ships, and the project's links. */
  aboutFile?: string;
  /** Opens an https address in the user's browser (Electron's shell.openExternal). */
  openExternal?: (url: string) => Promise<void>;
  /**
   * Where a person approves what the AI changes (core/approvals): a native dialog and a
   * notification in the app. Without it, every call the profile's approval setting holds back is denied.
   */
  approvals?: ApprovalUi;
}

/** What scripts/build.mjs writes into licences/licences.json. */
interface AboutFile {
  app: { name: string; docs: string; issues: string };
  packages: LicenceEntry[];
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
  #updates: UpdateService | null = null;
  #notifier: BrokerNotifier | null = null;
  #settings: AppSettingsStore;
  #about: Promise<AboutFile> | null = null;
  #aboutRequested = false;
  #approvals: ApprovalService;
  /** The password of the profile being served: taken out of what approval dialogs and log lines show. */
  #servedSecret: { profileId: string; password: string } | null = null;

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
    this.#settings = new AppSettingsStore({
      store: options.store,
      autostart: options.autostart ?? null,
      log: (msg, fields) => this.#write('warn', msg, fields),
    });
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
    this.#approvals = new ApprovalService({
      ui: options.approvals ?? null,
      timeLimitSeconds: () => this.#settings.get().approvals.timeoutSeconds,
      broker: (profileId) => {
        const profile = this.#profiles.list().find((candidate) => candidate.id === profileId);
        return profile ? { name: profile.name, host: `${profile.amqp.host}:${profile.amqp.port}`, vhost: profile.vhost } : null;
      },
      secrets: (profileId) =>
        this.#servedSecret?.profileId === profileId && this.#servedSecret.password ? [this.#servedSecret.password] : [],
      log: (level, msg, fields) => this.#write(level, msg, fields),
    });
    this.#supervisor.on('approval', (asked) => this.#approvals.receive(asked));
    this.#sampler.on('sample', (sample) => this.#bus.emit('health-sample', sample));
    this.#bus.on('server-state', () => this.#publishStatus());
    this.#bus.on('profiles-changed', () => this.#publishStatus());
    if (options.updates) {
      const { settings, feedOverride, ...updates } = options.updates;
      this.#updates = new UpdateService({
        ...updates,
        settings: settings ?? {
          check: () => this.#settings.get().updates.check,
          feedUrl: () => feedOverride || this.#settings.get().updates.feedUrl,
        },
        currentVersion: options.version,
        log: (level, msg, fields) => this.#write(level, msg, fields),
      });
      this.#updates.on('status', (status) => this.#bus.emit('update-status', status));
    }
    if (options.notifications) {
      const { show, enabled, ...settings } = options.notifications;
      const notifier = new BrokerNotifier({
        ...settings,
        enabled: enabled ?? ((cause) => this.#settings.get().notifications[cause]),
        show: (notice) => {
          this.#write('info', 'notification shown', { cause: notice.cause, title: notice.title });
          show(notice);
        },
        management: () => this.#management,
        vhost: () => this.#profiles.active()?.vhost ?? null,
        profileName: () => this.#profiles.active()?.name ?? null,
      });
      this.#notifier = notifier;
      this.#sampler.on('sample', (sample) => notifier.onSample(sample));
      this.#sampler.on('queues', (queues) => void notifier.onQueues(queues));
      this.#supervisor.on('state', (state) => notifier.onServerState(state));
    }
  }

  /** Starts the server for the active profile and the health sampling. */
  async start(): Promise<void> {
    this.#write('info', 'app started', { version: this.#options.version });
    this.#publishStatus();
    const active = this.#profiles.active();
    if (active) await this.#serve(active);
    this.#sampler.start();
    this.#updates?.start();
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
    this.#updates?.stop();
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
      this.#write('info', 'profile switched', { from: from?.name, to: profile.name, safety: profile.safety, approval: profile.approval });
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
    exportToFile: (request) => this.#transfer.exportToFile(request),
    usualImportFiles: () => this.#transfer.usualFiles(),
    previewImport: (source) => this.#transfer.preview(source),
    applyImport: async (request) => {
      const hadActive = this.#profiles.active() !== null;
      const result = await this.#transfer.apply(request);
      const active = this.#profiles.active();
      if (!hadActive && active) await this.#serve(active);
      const views = this.#views();
      this.#bus.emit('profiles-changed', views);
      const ids = new Set(result.imported.map((profile) => profile.id));
      return { imported: views.filter((view) => ids.has(view.id)), skipped: result.skipped, withoutPassword: result.withoutPassword };
    },
  };

  /** Profile import and export (profile-transfer.ts), made on first use. */
  #transferInstance: ProfileTransfer | null = null;
  get #transfer(): ProfileTransfer {
    this.#transferInstance ??= new ProfileTransfer({
      list: () => this.#profiles.list(),
      password: async (id) => (this.#profiles.hasPassword(id) ? this.#profiles.password(id) : null),
      create: async (settings, password) => {
        const profile = await this.#profiles.create(settings, password ?? '');
        if (password === null) this.#profiles.clearPassword(profile.id);
        return profile;
      },
      remove: (id) => this.#profiles.delete(id),
      home: this.#options.platform.home,
      env: this.#options.platform.env,
      appVersion: this.#options.version,
      chooseExportPath: this.#options.chooseExportPath,
      chooseImportPath: this.#options.chooseImportPath,
      fallbackDir: join(this.#options.home, 'exports'),
      log: (level, msg, fields) => this.#write(level, msg, fields),
    });
    return this.#transferInstance;
  }

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
    disconnectAll: async () => {
      const results = await this.#setup.disconnectAll();
      for (const result of results)
        this.#write(result.outcome === 'failed' ? 'warn' : 'info', 'client disconnected', {
          client: result.id,
          outcome: result.outcome,
          ...(result.outcome === 'removed' ? {} : { detail: result.message }),
        });
      return results;
    },
  };

  readonly settings: AppApi['settings'] = {
    get: async () => this.#settings.get(),
    update: async (patch) => {
      const settings = this.#settings.update(patch);
      this.#write('info', 'settings changed', { changed: Object.keys(patch).join(',') });
      this.#bus.emit('settings-changed', settings);
      return settings;
    },
  };

  readonly about: AppApi['about'] = {
    info: async (): Promise<AboutInfo> => {
      const about = await this.#aboutFile();
      const versions = this.#options.versions ?? {};
      return {
        name: about.app.name,
        version: this.#options.version,
        versions: {
          electron: versions.electron ?? 'not Electron',
          node: versions.node ?? process.versions.node,
          chrome: versions.chrome ?? 'none',
        },
        licences: about.packages,
        links: { docs: about.app.docs, issues: about.app.issues },
      };
    },
    openLink: async (link: AboutLink) => {
      const url = (await this.#aboutFile()).app[link];
      if (typeof url !== 'string' || new URL(url).protocol !== 'https:')
        throw new Error(`the ${link} link (${String(url)}) is not an https:// address; it was not opened`);
      if (!this.#options.openExternal) throw new Error('this app cannot open a browser');
      await this.#options.openExternal(url);
    },
    takeRequest: async () => {
      const asked = this.#aboutRequested;
      this.#aboutRequested = false;
      return asked;
    },
  };

  /** The tray's "About": remembered until the window takes it, so a window still loading shows it too. */
  requestAbout(): void {
    this.#aboutRequested = true;
    this.#bus.emit('about-requested', true);
  }

  readonly diagnostics: AppApi['diagnostics'] = {
    export: async () => {
      const suggested = `rabbitmq-mcp-diagnostics-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.zip`;
      const path = this.#options.chooseExportPath
        ? await this.#options.chooseExportPath(suggested)
        : join(this.logDir, '..', 'exports', suggested);
      if (!path) return null;
      const profiles = this.#profiles.list();
      const secrets = (await Promise.all(profiles.map((profile) => this.#profiles.password(profile.id).catch(() => '')))).filter(Boolean);
      const latest = (await this.#sampler.history()).findLast((sample) => sample.broker !== null);
      const zip = await diagnosticsZip({
        logDir: this.logDir,
        days: 7,
        app: { version: this.#options.version, versions: { ...process.versions, ...this.#options.versions } as Record<string, string> },
        os: { platform: osPlatform(), release: release(), arch: arch() },
        broker: latest?.broker
          ? { version: latest.broker.version }
          : { unknown: this.#profiles.active() ? 'the broker did not answer yet' : 'no broker profile' },
        settings: this.#settings.get(),
        profiles,
        secrets,
      });
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, zip.bytes, { mode: 0o600 });
      this.#write('info', 'diagnostics exported', { path, files: zip.files.length });
      return { path, files: zip.files, bytes: zip.bytes.byteLength };
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

  readonly updates: AppApi['updates'] = {
    status: async () => this.#updates?.status() ?? this.#updatesOff(),
    check: async () => this.#updates?.check() ?? this.#updatesOff(),
    install: async () => {
      if (!this.#updates) throw new Error('This copy of the app cannot update itself.');
      return this.#updates.install();
    },
  };

  #updatesOff(): UpdateStatus {
    return {
      state: 'off',
      currentVersion: this.#options.version,
      version: null,
      percent: null,
      lastCheck: null,
      source: '',
      message: 'This copy of the app cannot update itself.',
    };
  }

  readonly events: AppApi['events'] = {
    on: <E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void) => {
      this.#bus.on(event, listener);
      return () => {
        this.#bus.off(event, listener);
      };
    },
  };

  /** licences.json, read once; without one (a test host) the links of the repository and no packages. */
  #aboutFile(): Promise<AboutFile> {
    const file = this.#options.aboutFile;
    this.#about ??= file
      ? readFile(file, 'utf8').then((text) => JSON.parse(text) as AboutFile)
      : Promise.resolve({ app: { name: 'RabbitMQ MCP', docs: '', issues: '' }, packages: [] });
    this.#about.catch(() => {
      this.#about = null; // asked again next time
    });
    return this.#about;
  }

  async #serve(profile: Profile): Promise<void> {
    const password = await this.#profiles.password(profile.id);
    await this.#management?.close();
    this.#management = new ManagementClient({
      endpoint: managementEndpoint(profile, password),
      timeoutMs: 5000,
    });
    this.#sampler.reset();
    this.#notifier?.reset();
    this.#servedSecret = { profileId: profile.id, password };
    await this.#supervisor.start({
      profileId: profile.id,
      profileName: profile.name,
      safety: profile.safety,
      approval: profile.approval,
      env: serverEnvironment(profile, password),
    });
  }

  async #stopServing(): Promise<void> {
    await this.#supervisor.stop();
    await this.#management?.close();
    this.#management = null;
    this.#servedSecret = null;
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
