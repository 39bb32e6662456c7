/**
 * The one contract between the app's main process (AppHost), the preload and the window: the
 * API and every type that crosses it. Nothing here imports Node or Electron, so the renderer
 * compiles against it with browser types only.
 */
import type { Profile, ProfileInput } from './profile.js';

export type { Profile, ProfileInput };

export type SupervisorState =
  | { status: 'stopped' }
  | { status: 'starting'; profileId: string; profileName: string; pid: number }
  | { status: 'healthy'; profileId: string; profileName: string; pid: number; url: string }
  | {
      status: 'degraded';
      profileId: string;
      profileName: string;
      pid: number;
      url: string;
      /** Why, in the user's terms ("the broker refused the login of user 'ops'"). */
      reason: string;
      /** What to do, naming the profile's fields. */
      advice: string;
      /** edit-profile: a change of the profile fixes it (the window offers Edit); wait: the app keeps retrying. */
      action: 'edit-profile' | 'wait';
    }
  | { status: 'crashed'; profileId: string; profileName: string; exit: string; restartInMs: number; crashes: number; lastLines: string[] }
  | { status: 'failed'; profileId: string; profileName: string; exit: string; crashes: number; lastLines: string[]; message: string };

export type ClientState = 'not-installed' | 'not-configured' | 'configured' | 'out-of-date' | 'unreadable';

export interface ClientStatus {
  id: ClientId;
  name: string;
  installed: boolean;
  state: ClientState;
  configPath: string;
  /** Why it is unreadable or out of date, in words. */
  detail?: string;
  /** Whether undo can put the file back as it was before our last change. */
  canUndo: boolean;
  relaunch: string;
}

export interface SetupResult {
  status: ClientStatus;
  message: string;
}

export interface CheckStep {
  name: 'AMQP' | 'Management API' | 'Virtual host' | 'Permissions';
  ok: boolean;
  /** What happened, in plain words. */
  detail: string;
  /** What to change when it failed. */
  fix?: string;
}

export interface ConnectionCheck {
  ok: boolean;
  summary: string;
  steps: CheckStep[];
}

export interface HealthSample {
  at: string;
  server: SupervisorState['status'];
  /** The active profile's vhost; null when the broker could not be asked. */
  broker: {
    version: string;
    /** The vhost every figure below is about (the profile's, not the whole broker). */
    vhost: string;
    /** Broker-wide: a memory or disk alarm blocks publishers in every vhost. */
    alarms: string[];
    /** Messages per second, from the vhost's counters between two samples (the broker's rate on the first). */
    publishRate: number;
    deliverRate: number;
    messagesReady: number;
    messagesUnacked: number;
    queues: number;
    consumers: number;
    connections: number;
  } | null;
  error?: string;
  /** Which broker's history it belongs to: a new number after each switch, so the window starts its charts afresh. */
  series?: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  time: string;
  level: LogLevel | 'fatal';
  /** Which process wrote it: the server, a stdio entry, or the app. */
  source: string;
  msg: string;
  /** Everything else on the line (tool, client, ms, outcome…). */
  fields: Record<string, unknown>;
}

export interface LogQuery {
  /** The lowest level shown. */
  level?: LogLevel;
  /** Case-insensitive text anywhere in the line. */
  search?: string;
  /** Newest entries to return (default 200, at most 5000). */
  limit?: number;
}

export type ClientId = 'claude-desktop' | 'claude-code' | 'cursor' | 'vscode' | 'windsurf';

/** A profile as the outside world may see it: everything but the password. */
export type ProfileExport = Omit<Profile, 'id' | 'createdAt' | 'updatedAt'>;

/** A profile as the window sees it: never the password, only whether one is set. */
export interface ProfileView extends Profile {
  active: boolean;
  hasPassword: boolean;
}

export interface AppInfo {
  version: string;
  /** The first-run wizard is due. */
  firstRun: boolean;
  /** 'plain': passwords are stored with a fixed key (Linux without a keyring): warn the user. */
  secretProtection: 'os' | 'plain';
  logDir: string;
}

/** An administrator's login, used once to make a profile's broker user and kept nowhere. */
export interface AdminLogin {
  user: string;
  password: string;
}

/**
 * The least-privilege broker user of a scoped profile: what it gets, what applying changes, what
 * the broker then refuses by itself and what stays the server's job.
 */
export interface BrokerUserPlan {
  user: string;
  exists: boolean;
  tags: string[];
  permissions: { vhost: string; configure: string; write: string; read: string }[];
  /** What making it would change, one line each. */
  changes: string[];
  brokerEnforces: string[];
  serverOnly: string[];
  notes: string[];
}

/** Which profiles to export, and the passphrase that encrypts their passwords (none: no passwords in the file). */
export interface ProfileExportRequest {
  ids: string[];
  passphrase?: string;
}

export interface ProfileExportResult {
  path: string;
  count: number;
  withPasswords: boolean;
}

/** A rabbitmqadmin config file found where rabbitmqadmin keeps it. */
export interface UsualImportFile {
  path: string;
  /** The path as people write it, "~/.rabbitmqadmin.conf". */
  label: string;
}

/** The file to import: one the person picks in a dialog, or one of the usual files. */
export type ImportSource = { from: 'dialog' } | { from: 'usual'; path: string };

/** One profile an import file offers, as the preview shows it (never its password). */
export interface ImportCandidateView {
  /** Its position in the file, which the import request names. */
  key: number;
  /** Where in the file it is, e.g. "[prod], line 4". */
  origin: string;
  name: string;
  settings: ProfileExport | null;
  /** A profile with this name exists: rename it (suggestedName) or skip it. */
  clash: boolean;
  suggestedName: string;
  /** included: in the file; encrypted: needs the passphrase; none: asked after the import. */
  password: 'included' | 'encrypted' | 'none';
  /** What was assumed (the AMQP port, a default user…), in plain words. */
  notes: string[];
  /** Why it cannot be imported, naming the line and field. */
  problem?: string;
}

export interface ImportPreview {
  /** Names this preview in the import request; a newer preview replaces it. */
  token: string;
  path: string;
  format: 'rabbitmq-mcp' | 'rabbitmqadmin-ini' | 'rabbitmqadmin-toml';
  formatLabel: string;
  needsPassphrase: boolean;
  candidates: ImportCandidateView[];
  notes: string[];
}

/** The profiles to import (the rest are skipped), each under its final name. */
export interface ImportRequest {
  token: string;
  choices: { key: number; name: string }[];
  passphrase?: string;
  /** The file's passwords are encrypted and the person goes on without them. */
  withoutPasswords?: boolean;
}

export interface ImportResult {
  imported: ProfileView[];
  skipped: number;
  /** Ids of the imported profiles that have no password yet. */
  withoutPassword: string[];
}

/** Where the app's own updates stand: the updates panel of the Settings page shows it. */
export interface UpdateStatus {
  /**
   * off: this copy cannot update itself (a development build…); checking; up-to-date; downloading;
   * ready: downloaded and its sha512 verified, waiting for the person's yes; installing: restarting;
   * error: the feed was down, the file did not match its checksum… (the app runs on as it was).
   */
  state: 'idle' | 'off' | 'checking' | 'up-to-date' | 'downloading' | 'ready' | 'installing' | 'error';
  currentVersion: string;
  /** The newer version, once one is found. */
  version: string | null;
  /** How much of it is downloaded, 0–100. */
  percent: number | null;
  /** When the feed was last asked (ISO 8601); null before the first check. */
  lastCheck: string | null;
  /** Where updates come from, in words ("GitHub releases of owner/repo" or the feed's address). */
  source: string;
  /** What is happening, in plain words. */
  message: string;
}

export type NotificationCause = 'alarm' | 'dead-letters' | 'idle-queue' | 'broker-down' | 'server-crash';

export interface AppSettings {
  startAtLogin: boolean;
  notifications: Record<NotificationCause, boolean>; // all true by default
  updates: { check: boolean; feedUrl: string }; // check: true; feedUrl '' = GitHub releases
  /** How long a question of the AI waits for the person's Approve or Deny, in seconds (15–900; 120 by default). */
  approvals: { timeoutSeconds: number };
}

/** The time to answer an approval, in seconds: its bounds and default. */
export const APPROVAL_TIMEOUT_SECONDS = { min: 15, max: 900, default: 120 } as const;

/** A change of some settings: only what is given changes. */
export interface SettingsPatch {
  startAtLogin?: boolean;
  notifications?: Partial<Record<NotificationCause, boolean>>;
  updates?: Partial<AppSettings['updates']>;
  approvals?: Partial<AppSettings['approvals']>;
}

/** One package that ships inside the app, with its licence. */
export interface LicenceEntry {
  name: string;
  version: string;
  /** The licence's SPDX name from its package.json ("MIT", "Apache-2.0"…). */
  license: string;
  /** The full text of its LICENSE file; empty when the package ships none. */
  text: string;
}

export type AboutLink = 'docs' | 'issues';

export interface AboutInfo {
  name: string;
  version: string;
  /** From process.versions in the main process. */
  versions: { electron: string; node: string; chrome: string };
  /** What ships in the app, generated at build time from what the bundler put in. */
  licences: LicenceEntry[];
  links: Record<AboutLink, string>;
}

/** What "Disconnect all AI apps" did to one client. */
export interface DisconnectResult {
  id: ClientId;
  name: string;
  outcome: 'removed' | 'not-connected' | 'failed';
  message: string;
  /** Where the file was saved before our entry was taken out. */
  backupPath?: string | null;
}

export interface DiagnosticsExport {
  path: string;
  /** The files inside the zip. */
  files: string[];
  bytes: number;
}

/** Events pushed to the window. */
export interface AppEvents {
  'server-state': SupervisorState;
  'health-sample': HealthSample;
  'profiles-changed': ProfileView[];
  'update-status': UpdateStatus;
  'settings-changed': AppSettings;
  /** The tray's "About": the window shows the About box (and calls about.takeRequest). */
  'about-requested': true;
}

export type AppEventName = keyof AppEvents;

/**
 * Everything the window can ask of the app: the one contract shared by the host (main
 * process), the preload (which exposes exactly these methods) and the renderer.
 */
export interface AppApi {
  app: {
    info(): Promise<AppInfo>;
    completeFirstRun(): Promise<void>;
  };
  profiles: {
    list(): Promise<ProfileView[]>;
    create(input: ProfileInput, password: string): Promise<ProfileView>;
    /** The password changes only when given. */
    update(id: string, input: ProfileInput, password?: string): Promise<ProfileView>;
    duplicate(id: string): Promise<ProfileView>;
    remove(id: string): Promise<void>;
    /** Makes it the active profile: the server is swapped and connected AI clients follow. */
    activate(id: string): Promise<ProfileView>;
    /** Settings to share or back up, without passwords. */
    exportAll(): Promise<ProfileExport[]>;
    /** What making a scoped profile's least-privilege broker user would do; changes nothing. */
    planBrokerUser(id: string, login: AdminLogin): Promise<BrokerUserPlan>;
    /** Makes that user from an administrator's login, then runs the profile as it (its new password stored like any other). */
    createBrokerUser(id: string, login: AdminLogin): Promise<ProfileView>;
    /** Writes the chosen profiles to a file the person picks; passwords only encrypted with a passphrase. Null when they cancel. */
    exportToFile(request: ProfileExportRequest): Promise<ProfileExportResult | null>;
    /** rabbitmqadmin's config files found where it keeps them, to offer first. */
    usualImportFiles(): Promise<UsualImportFile[]>;
    /** Reads a file to import and says what importing it would do; changes nothing. Null when the dialog is cancelled. */
    previewImport(source: ImportSource): Promise<ImportPreview | null>;
    /** Imports the chosen profiles of the last preview: all of them or none. */
    applyImport(request: ImportRequest): Promise<ImportResult>;
  };
  connection: {
    /** Tries the settings; a saved profile's password is used when none is given. */
    test(input: ProfileInput, password?: string, profileId?: string): Promise<ConnectionCheck>;
  };
  server: {
    state(): Promise<SupervisorState>;
    restart(): Promise<void>;
  };
  clients: {
    list(): Promise<ClientStatus[]>;
    connect(id: ClientId): Promise<SetupResult>;
    undo(id: ClientId): Promise<SetupResult>;
    /** Takes our entry out of every client's settings that has one, each with a backup. */
    disconnectAll(): Promise<DisconnectResult[]>;
  };
  settings: {
    get(): Promise<AppSettings>;
    update(patch: SettingsPatch): Promise<AppSettings>;
  };
  about: {
    info(): Promise<AboutInfo>;
    /** Opens the docs or the issue tracker in the browser. */
    openLink(link: AboutLink): Promise<void>;
    /** Whether the tray's "About" asked for the About box since the window last looked (and forgets it). */
    takeRequest(): Promise<boolean>;
  };
  diagnostics: {
    /** One zip of logs, versions and settings with secrets removed, where the user picks; null when they cancel. */
    export(): Promise<DiagnosticsExport | null>;
  };
  logs: {
    tail(query: LogQuery): Promise<LogEntry[]>;
    /** Writes the entries the query selects to a file the user picks; null when they cancel. */
    export(query: LogQuery): Promise<{ path: string; count: number } | null>;
  };
  health: {
    history(): Promise<HealthSample[]>;
  };
  updates: {
    status(): Promise<UpdateStatus>;
    /** Asks the feed now ("Check now"); a newer version downloads in the background. */
    check(): Promise<UpdateStatus>;
    /** "Restart to update": installs the downloaded, verified version and restarts into it. */
    install(): Promise<UpdateStatus>;
  };
  events: {
    /** Returns the function that unsubscribes. */
    on<E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void): () => void;
  };
}

/** What each kind of argument the window sends is; ipc-contract.ts gives each kind its schema. */
export interface ArgumentKinds {
  id: string;
  profileInput: ProfileInput;
  password: string;
  clientId: ClientId;
  logQuery: LogQuery;
  adminLogin: AdminLogin;
  exportRequest: ProfileExportRequest;
  importSource: ImportSource;
  importRequest: ImportRequest;
  settingsPatch: SettingsPatch;
  aboutLink: AboutLink;
}

/** An argument of a method: its kind, with "?" when it may be left out (only at the end). */
export type ArgumentSpec = keyof ArgumentKinds | `${keyof ArgumentKinds}?`;

type ApiNamespace = Exclude<keyof AppApi, 'events'>;

/**
 * The one source of the IPC contract: every method the window may call, and its arguments. The
 * preload exposes exactly these methods, the main process checks each call against schemas made
 * from these kinds, and the compiler checks both against AppApi: a method missing here, or here
 * but not in AppApi, or with other parameters, does not compile.
 */
export const API_ARGUMENTS = {
  app: { info: [], completeFirstRun: [] },
  profiles: {
    list: [],
    create: ['profileInput', 'password'],
    update: ['id', 'profileInput', 'password?'],
    duplicate: ['id'],
    remove: ['id'],
    activate: ['id'],
    exportAll: [],
    planBrokerUser: ['id', 'adminLogin'],
    createBrokerUser: ['id', 'adminLogin'],
    exportToFile: ['exportRequest'],
    usualImportFiles: [],
    previewImport: ['importSource'],
    applyImport: ['importRequest'],
  },
  connection: { test: ['profileInput', 'password?', 'id?'] },
  server: { state: [], restart: [] },
  clients: { list: [], connect: ['clientId'], undo: ['clientId'], disconnectAll: [] },
  settings: { get: [], update: ['settingsPatch'] },
  about: { info: [], openLink: ['aboutLink'], takeRequest: [] },
  diagnostics: { export: [] },
  logs: { tail: ['logQuery'], export: ['logQuery'] },
  health: { history: [] },
  updates: { status: [], check: [], install: [] },
} as const satisfies { [N in ApiNamespace]: { [M in keyof AppApi[N]]: readonly ArgumentSpec[] } };

/** The parameter list an argument list describes, e.g. ['id', 'password?'] → [string, string?]. */
export type ArgumentsOf<S extends readonly ArgumentSpec[]> = S extends readonly [infer H, ...infer R extends readonly ArgumentSpec[]]
  ? H extends `${infer K extends keyof ArgumentKinds}?`
    ? [argument?: ArgumentKinds[K], ...ArgumentsOf<R>]
    : H extends keyof ArgumentKinds
      ? [ArgumentKinds[H], ...ArgumentsOf<R>]
      : never
  : [];

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type ParametersDiffer = {
  [N in ApiNamespace]: {
    [M in keyof AppApi[N] & keyof (typeof API_ARGUMENTS)[N]]: AppApi[N][M] extends (...args: infer P) => unknown
      ? Same<P, (typeof API_ARGUMENTS)[N][M] extends infer S extends readonly ArgumentSpec[] ? ArgumentsOf<S> : never> extends true
        ? never
        : `${N}.${M & string}`
      : `${N}.${M & string}`;
  }[keyof AppApi[N] & keyof (typeof API_ARGUMENTS)[N]];
}[ApiNamespace];
/** Fails to compile, naming the method, when AppApi and API_ARGUMENTS disagree on parameters. */
const parametersMatch: [ParametersDiffer] extends [never] ? true : ParametersDiffer = true;
void parametersMatch;

/** The method names per namespace, derived from API_ARGUMENTS. */
export const API_METHODS = Object.fromEntries(
  Object.entries(API_ARGUMENTS).map(([namespace, methods]) => [namespace, Object.keys(methods)]),
) as unknown as { [N in ApiNamespace]: readonly (keyof (typeof API_ARGUMENTS)[N] & string)[] };

export const API_EVENTS: readonly AppEventName[] = [
  'server-state',
  'health-sample',
  'profiles-changed',
  'update-status',
  'settings-changed',
  'about-requested',
];
