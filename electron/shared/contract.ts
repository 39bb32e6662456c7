/**
 * The one contract between the app's main process (AppHost), the preload and the window: the
 * API and every type that crosses it. Nothing here imports Node or Electron, so the renderer
 * compiles against it with browser types only.
 */
import type { Profile, ProfileInput } from '../core/profiles/profile.js';

export type { Profile, ProfileInput };

export type SupervisorState =
  | { status: 'stopped' }
  | { status: 'starting'; profileId: string; profileName: string; pid: number }
  | { status: 'healthy'; profileId: string; profileName: string; pid: number; url: string }
  | { status: 'degraded'; profileId: string; profileName: string; pid: number; url: string; reason: string }
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
  /** Null when the broker could not be asked. */
  broker: {
    version: string;
    alarms: string[];
    publishRate: number;
    deliverRate: number;
    messagesReady: number;
    messagesUnacked: number;
    queues: number;
    connections: number;
  } | null;
  error?: string;
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

/** Events pushed to the window. */
export interface AppEvents {
  'server-state': SupervisorState;
  'health-sample': HealthSample;
  'profiles-changed': ProfileView[];
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
  };
  logs: {
    tail(query: LogQuery): Promise<LogEntry[]>;
    /** Writes the entries the query selects to a file the user picks; null when they cancel. */
    export(query: LogQuery): Promise<{ path: string; count: number } | null>;
  };
  health: {
    history(): Promise<HealthSample[]>;
  };
  events: {
    /** Returns the function that unsubscribes. */
    on<E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void): () => void;
  };
}

/** The method names per namespace, for the preload to expose exactly these and nothing else. */
export const API_METHODS = {
  app: ['info', 'completeFirstRun'],
  profiles: ['list', 'create', 'update', 'duplicate', 'remove', 'activate', 'exportAll'],
  connection: ['test'],
  server: ['state', 'restart'],
  clients: ['list', 'connect', 'undo'],
  logs: ['tail', 'export'],
  health: ['history'],
} as const satisfies { [N in Exclude<keyof AppApi, 'events'>]: readonly (keyof AppApi[N])[] };

export const API_EVENTS: readonly AppEventName[] = ['server-state', 'health-sample', 'profiles-changed'];
