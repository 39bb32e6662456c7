import type { AppSettings, SettingsPatch } from '../../shared/contract.js';
import type { Autostart } from '../autostart/linux-autostart.js';
import type { KeyValueStore, StoreShape } from '../profiles/profile-store.js';
import { DEFAULT_SETTINGS, settingsPatchSchema, settingsSchema } from './settings-schema.js';

export { DEFAULT_SETTINGS };

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Says what is wrong with a patch, naming the setting ("updates.feedUrl: …"). */
function problems(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: string[] }[]): string {
  return issues
    .map((issue) => {
      const at = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys' && issue.keys)
        return `${issue.keys.map((key) => (at ? `${at}.${key}` : key)).join(', ')}: not a setting of this app`;
      return `${at || 'settings'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * The app's own settings (start at login, notifications, updates, the time to answer an
 * approval), kept under `settings` in the
 * app's store next to the profiles. A value there that is not valid (edited by hand, written by
 * another version) is read as the defaults, with a log line, and left alone until the user
 * changes a setting: the other keys of the store are never touched. Start at login is the
 * system's own state (the user may turn it off in their desktop's settings), read through
 * `autostart` and changed there.
 */
export class AppSettingsStore {
  #store: KeyValueStore<StoreShape>;
  #autostart: Autostart | null;
  #log: (message: string, fields?: Record<string, unknown>) => void;
  #warned = false;

  constructor(options: {
    store: KeyValueStore<StoreShape>;
    autostart?: Autostart | null;
    log?: (message: string, fields?: Record<string, unknown>) => void;
  }) {
    this.#store = options.store;
    this.#autostart = options.autostart ?? null;
    this.#log = options.log ?? (() => undefined);
  }

  get(): AppSettings {
    const saved = this.#saved();
    return { ...saved, startAtLogin: this.#autostart ? this.#autostartEnabled(saved.startAtLogin) : saved.startAtLogin };
  }

  /** Applies a change and returns the settings as they are now; an invalid change changes nothing. */
  update(patch: SettingsPatch): AppSettings {
    const parsed = settingsPatchSchema.safeParse(patch);
    if (!parsed.success) throw new SettingsError(`The settings were not changed: ${problems(parsed.error.issues as never)}`);
    const current = this.get();
    const next: AppSettings = {
      startAtLogin: parsed.data.startAtLogin ?? current.startAtLogin,
      notifications: { ...current.notifications, ...parsed.data.notifications },
      updates: { ...current.updates, ...parsed.data.updates },
      approvals: { ...current.approvals, ...parsed.data.approvals },
    };
    const checked = settingsSchema.parse(next);
    if (parsed.data.startAtLogin !== undefined && this.#autostart) this.#autostart.set(parsed.data.startAtLogin);
    this.#store.set('settings', checked);
    this.#warned = false;
    return this.get();
  }

  #saved(): AppSettings {
    if (!this.#store.has('settings')) return structuredClone(DEFAULT_SETTINGS);
    const raw = this.#store.get('settings');
    const parsed = settingsSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    // Keys added by a later version are dropped, known ones kept; anything else: the defaults.
    const merged = settingsSchema.safeParse(mergeKnown(raw));
    if (!this.#warned) {
      this.#warned = true;
      const anObject = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
      this.#log(
        anObject && merged.success
          ? 'the saved settings have values this version does not know; the defaults are used for those'
          : 'the saved settings are not valid; the defaults are used until a setting is changed',
        { problems: problems(parsed.error.issues as never) },
      );
    }
    return merged.success ? merged.data : structuredClone(DEFAULT_SETTINGS);
  }

  #autostartEnabled(fallback: boolean): boolean {
    try {
      return (this.#autostart as Autostart).enabled();
    } catch (error) {
      this.#log('cannot read whether the app starts at login', { reason: (error as Error).message });
      return fallback;
    }
  }
}

/** The defaults with every known, well-typed value of `raw` laid over them. */
function mergeKnown(raw: unknown): AppSettings {
  const result = structuredClone(DEFAULT_SETTINGS);
  if (!raw || typeof raw !== 'object') return result;
  const value = raw as Record<string, unknown>;
  if (typeof value.startAtLogin === 'boolean') result.startAtLogin = value.startAtLogin;
  const notifications = value.notifications as Record<string, unknown> | undefined;
  for (const cause of Object.keys(result.notifications) as (keyof AppSettings['notifications'])[]) {
    if (typeof notifications?.[cause] === 'boolean') result.notifications[cause] = notifications[cause];
  }
  const updates = value.updates as Record<string, unknown> | undefined;
  if (typeof updates?.check === 'boolean') result.updates.check = updates.check;
  if (
    typeof updates?.feedUrl === 'string' &&
    settingsSchema.safeParse({ ...result, updates: { ...result.updates, feedUrl: updates.feedUrl } }).success
  )
    result.updates.feedUrl = updates.feedUrl;
  const approvals = value.approvals as Record<string, unknown> | undefined;
  if (
    approvals?.timeoutSeconds !== undefined &&
    settingsSchema.safeParse({ ...result, approvals: { timeoutSeconds: approvals.timeoutSeconds } }).success
  )
    result.approvals.timeoutSeconds = approvals.timeoutSeconds as number;
  return result;
}
