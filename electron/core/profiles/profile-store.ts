import { randomUUID } from 'node:crypto';
import type { ClientId } from '../clients/client-catalog.js';
import type { SetupRecord, SetupRecords } from '../clients/client-setup.js';
import type { ProfileExport } from '../../shared/contract.js';
import type { AppSettings } from '../../shared/contract.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { type Profile, type ProfileInput, type ProfileSettings, describeProfileErrors, profileInputSchema } from '../../shared/profile.js';

/** What the app keeps on disk (electron-store in the app, its base `conf` in tests). */
export interface StoreShape {
  /** The layout version of this file; see migrations below. */
  schemaVersion: number;
  profiles: Profile[];
  activeProfileId: string | null;
  /** Encrypted passwords by profile id: never next to the profile, never exported. */
  secrets: Record<string, string>;
  clientSetups: Partial<Record<ClientId, SetupRecord>>;
  firstRunDone: boolean;
  /** The app's settings (core/settings/app-settings.ts): absent means the defaults. */
  settings?: AppSettings;
}

/** The part of electron-store / conf the app uses. */
export interface KeyValueStore<T> {
  get<K extends keyof T>(key: K): T[K];
  set<K extends keyof T>(key: K, value: T[K]): void;
  has(key: keyof T): boolean;
  readonly path: string;
}

type Migration = { version: number; describe: string; up(store: KeyValueStore<StoreShape>): void };

/**
 * Layout changes of the store file, applied in order when the app opens a file written by an
 * older version (electron-store's own migrations follow the app version; these follow the
 * file's). Append one whenever StoreShape changes; never edit a shipped one.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    describe: 'the first layout: profiles, the active one, encrypted secrets, client setups, first-run flag',
    up(store) {
      if (!store.has('profiles')) store.set('profiles', []);
      if (!store.has('activeProfileId')) store.set('activeProfileId', null);
      if (!store.has('secrets')) store.set('secrets', {});
      if (!store.has('clientSetups')) store.set('clientSetups', {});
      if (!store.has('firstRunDone')) store.set('firstRunDone', false);
    },
  },
];

export const STORE_VERSION = migrations.at(-1)?.version ?? 0;

export function migrate(store: KeyValueStore<StoreShape>): void {
  const current = store.has('schemaVersion') ? store.get('schemaVersion') : 0;
  if (current > STORE_VERSION) {
    throw new Error(
      `${store.path} was written by a newer version of RabbitMQ MCP (layout ${current}, this one knows ${STORE_VERSION}); update the app`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    migration.up(store);
    store.set('schemaVersion', migration.version);
  }
}

/** JSON Schema of the top level, checked by the store on every write. */
export const storeSchema = {
  schemaVersion: { type: 'integer', minimum: 0 },
  profiles: { type: 'array', items: { type: 'object' } },
  activeProfileId: { type: ['string', 'null'] },
  secrets: { type: 'object', additionalProperties: { type: 'string' } },
  clientSetups: { type: 'object' },
  firstRunDone: { type: 'boolean' },
  // Any value: app-settings.ts checks it and falls back to the defaults, so a bad one never stops the app.
  settings: {},
} as const;

export class ProfileValidationError extends Error {
  override name = 'ProfileValidationError';
  constructor(readonly problems: { field: string; message: string }[]) {
    super(`The profile is not valid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  }
}

export type { ProfileExport };

/**
 * Connection profiles: validated, with their passwords encrypted by the secret store and kept
 * apart, one of them active.
 */
export class ProfileStore {
  #store: KeyValueStore<StoreShape>;
  #secrets: SecretStore;

  constructor(store: KeyValueStore<StoreShape>, secrets: SecretStore) {
    migrate(store);
    this.#store = store;
    this.#secrets = secrets;
  }

  /** The saved profiles; one saved before a setting existed reads with that setting's default (approval: destructive). */
  list(): Profile[] {
    return this.#store.get('profiles').map((profile) => (profile.approval ? profile : { ...profile, approval: 'destructive' }));
  }

  get(id: string): Profile {
    const profile = this.list().find((candidate) => candidate.id === id);
    if (!profile) throw new Error(`No profile with id ${id}`);
    return profile;
  }

  active(): Profile | null {
    const id = this.#store.get('activeProfileId');
    return this.list().find((profile) => profile.id === id) ?? null;
  }

  async create(input: ProfileInput, password: string): Promise<Profile> {
    const settings = this.#validate(input);
    const now = new Date().toISOString();
    const profile: Profile = { ...settings, id: randomUUID(), createdAt: now, updatedAt: now };
    await this.#savePassword(profile.id, password);
    this.#store.set('profiles', [...this.list(), profile]);
    if (!this.active()) this.#store.set('activeProfileId', profile.id);
    return profile;
  }

  /** Replaces a profile's settings; the password changes only when one is given. */
  async update(id: string, input: ProfileInput, password?: string): Promise<Profile> {
    const existing = this.get(id);
    const settings = this.#validate(input, id);
    const profile: Profile = { ...settings, id, createdAt: existing.createdAt, updatedAt: new Date().toISOString() };
    if (password !== undefined) await this.#savePassword(id, password);
    this.#store.set(
      'profiles',
      this.list().map((candidate) => (candidate.id === id ? profile : candidate)),
    );
    return profile;
  }

  async duplicate(id: string): Promise<Profile> {
    const source = this.get(id);
    const names = new Set(this.list().map((profile) => profile.name));
    let name = `${source.name} (copy)`;
    for (let n = 2; names.has(name); n++) name = `${source.name} (copy ${n})`;
    const { id: _id, createdAt: _created, updatedAt: _updated, ...settings } = source;
    return this.create({ ...settings, name }, await this.password(id));
  }

  delete(id: string): void {
    this.get(id);
    const remaining = this.list().filter((profile) => profile.id !== id);
    const secrets = { ...this.#store.get('secrets') };
    delete secrets[id];
    this.#store.set('profiles', remaining);
    this.#store.set('secrets', secrets);
    if (this.#store.get('activeProfileId') === id) this.#store.set('activeProfileId', remaining[0]?.id ?? null);
  }

  setActive(id: string): Profile {
    const profile = this.get(id);
    this.#store.set('activeProfileId', id);
    return profile;
  }

  hasPassword(id: string): boolean {
    return this.#store.get('secrets')[id] !== undefined;
  }

  /** Forgets a profile's password (an imported profile whose file had none): hasPassword is then false. */
  clearPassword(id: string): void {
    const secrets = { ...this.#store.get('secrets') };
    delete secrets[id];
    this.#store.set('secrets', secrets);
  }

  async password(id: string): Promise<string> {
    const encrypted = this.#store.get('secrets')[id];
    return encrypted === undefined ? '' : this.#secrets.decrypt(encrypted);
  }

  /** Profiles to share or back up: settings only, no password, no ids. */
  exportProfiles(): ProfileExport[] {
    return this.list().map(({ id: _id, createdAt: _created, updatedAt: _updated, ...settings }) => settings);
  }

  firstRunDone(): boolean {
    return this.#store.get('firstRunDone');
  }

  markFirstRunDone(): void {
    this.#store.set('firstRunDone', true);
  }

  /** Undo records of the client setup, kept in the same store. */
  setupRecords(): SetupRecords {
    return {
      get: (id) => this.#store.get('clientSetups')[id],
      set: (id, record) => this.#store.set('clientSetups', { ...this.#store.get('clientSetups'), [id]: record }),
      delete: (id) => {
        const records = { ...this.#store.get('clientSetups') };
        delete records[id];
        this.#store.set('clientSetups', records);
      },
    };
  }

  #validate(input: ProfileInput, id?: string): ProfileSettings {
    const parsed = profileInputSchema.safeParse(input);
    if (!parsed.success) throw new ProfileValidationError(describeProfileErrors(parsed.error));
    const clash = this.list().find((profile) => profile.name === parsed.data.name && profile.id !== id);
    if (clash) throw new ProfileValidationError([{ field: 'name', message: `a profile named "${parsed.data.name}" already exists` }]);
    return parsed.data;
  }

  async #savePassword(id: string, password: string): Promise<void> {
    this.#store.set('secrets', { ...this.#store.get('secrets'), [id]: await this.#secrets.encrypt(password) });
  }
}
