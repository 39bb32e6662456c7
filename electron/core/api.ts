import type { ClientId } from './clients/client-catalog.js';
import type { ClientStatus, SetupResult } from './clients/client-setup.js';
import type { ConnectionCheck } from './connection-test.js';
import type { HealthSample } from './health/health-sampler.js';
import type { LogEntry, LogQuery } from './logs/log-reader.js';
import type { Profile, ProfileInput } from './profiles/profile.js';
import type { ProfileExport } from './profiles/profile-store.js';
import type { SupervisorState } from './supervisor/supervisor.js';

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
    /** Writes the entries the query selects to a file (chosen by the user in the app). */
    exportTo(path: string, query: LogQuery): Promise<{ path: string; count: number }>;
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
  logs: ['tail', 'exportTo'],
  health: ['history'],
} as const satisfies { [N in Exclude<keyof AppApi, 'events'>]: readonly (keyof AppApi[N])[] };

export const API_EVENTS: readonly AppEventName[] = ['server-state', 'health-sample', 'profiles-changed'];
