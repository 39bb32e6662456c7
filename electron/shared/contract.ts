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
    /** What making a scoped profile's least-privilege broker user would do; changes nothing. */
    planBrokerUser(id: string, login: AdminLogin): Promise<BrokerUserPlan>;
    /** Makes that user from an administrator's login, then runs the profile as it (its new password stored like any other). */
    createBrokerUser(id: string, login: AdminLogin): Promise<ProfileView>;
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

/** What each kind of argument the window sends is; ipc-contract.ts gives each kind its schema. */
export interface ArgumentKinds {
  id: string;
  profileInput: ProfileInput;
  password: string;
  clientId: ClientId;
  logQuery: LogQuery;
  adminLogin: AdminLogin;
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
  },
  connection: { test: ['profileInput', 'password?', 'id?'] },
  server: { state: [], restart: [] },
  clients: { list: [], connect: ['clientId'], undo: ['clientId'] },
  logs: { tail: ['logQuery'], export: ['logQuery'] },
  health: { history: [] },
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

export const API_EVENTS: readonly AppEventName[] = ['server-state', 'health-sample', 'profiles-changed'];
