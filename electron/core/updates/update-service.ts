import { EventEmitter } from 'node:events';
import type { UpdateStatus } from '../../shared/contract.js';
import { type FeedOptions, describeFeed, feedFor } from './release-feed.js';

export type { UpdateStatus };

/**
 * The part of electron-updater's AppUpdater this uses (the app passes its `autoUpdater`). It
 * downloads, checks the file's sha512 against the feed's, and installs; this service decides when,
 * reports what happens, and asks the person before anything restarts.
 */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  logger: { info(message?: unknown): void; warn(message?: unknown): void; error(message?: unknown): void } | null;
  setFeedURL(options: FeedOptions): void;
  /** null when this copy cannot update itself (a development build, a Linux app that is not an AppImage or package). */
  checkForUpdates(): Promise<{ isUpdateAvailable: boolean; updateInfo: { version: string } } | null>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'download-progress', listener: (progress: { percent: number }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The settings the service reads at each check (the Settings page's store), as functions. */
export interface UpdateSettings {
  /** Check at start and once a day. "Check now" works either way. */
  check: () => boolean;
  /** A generic feed's address; '' means the project's GitHub releases. */
  feedUrl: () => string;
}

export interface UpdateServiceOptions {
  updater: Updater;
  currentVersion: string;
  settings: UpdateSettings;
  /** Asks the person whether to restart into the downloaded version now: true only on their yes. */
  ask: (offer: { version: string; currentVersion: string }) => Promise<boolean>;
  /** Runs once the person said yes, before the updater replaces the app and starts the new one (stop the server…). */
  beforeRestart: () => Promise<void>;
  /** The updater could not install after beforeRestart ran: tell the person, and close what is left. */
  restartFailed: (message: string) => void;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** Between automatic checks; a day by default. */
  intervalMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The app's own updates: checks the feed at start and daily (when the setting allows), downloads
 * a newer version in the background, and once electron-updater has verified its sha512 asks the
 * person whether to restart into it. Nothing restarts or replaces the app without their yes
 * (installing on quit is off too); a feed that is down or a file that does not match its checksum
 * is reported in the window and the log, and the running app carries on as it was.
 */
export class UpdateService extends EventEmitter<{ status: [UpdateStatus] }> {
  #options: UpdateServiceOptions;
  #status: UpdateStatus;
  #timer: NodeJS.Timeout | null = null;
  #checking: Promise<UpdateStatus> | null = null;
  #installError: Error | null = null;

  constructor(options: UpdateServiceOptions) {
    super();
    this.#options = options;
    this.#status = {
      state: 'idle',
      currentVersion: options.currentVersion,
      version: null,
      percent: null,
      lastCheck: null,
      source: this.#source(),
      message: `You have version ${options.currentVersion}. It has not looked for updates yet.`,
    };
    const { updater } = options;
    updater.autoDownload = false;
    updater.autoInstallOnAppQuit = false;
    updater.logger = {
      info: () => undefined,
      warn: (message) => options.log('warn', 'updater', { detail: firstLine(message) }),
      error: (message) => options.log('warn', 'updater', { detail: firstLine(message) }),
    };
    updater.on('download-progress', (progress) => {
      const percent = Math.floor(progress.percent);
      if (this.#status.state === 'downloading' && percent !== this.#status.percent) this.#set({ percent });
    });
    // Errors also arrive as rejected promises below; an install error arrives only here.
    updater.on('error', (error) => {
      if (this.#status.state === 'installing') this.#installError = error;
    });
  }

  status(): UpdateStatus {
    return { ...this.#status };
  }

  /** Checks now if automatic checks are on, then once a day. */
  start(): void {
    if (this.#timer) return;
    if (this.#options.settings.check()) void this.check();
    this.#timer = setInterval(() => {
      if (this.#options.settings.check()) void this.check();
    }, this.#options.intervalMs ?? DAY_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Asks the feed for a newer version and downloads it in the background; answers once the feed did. */
  check(): Promise<UpdateStatus> {
    if (['downloading', 'ready', 'installing'].includes(this.#status.state)) return Promise.resolve(this.status());
    this.#checking ??= this.#check().finally(() => {
      this.#checking = null;
    });
    return this.#checking;
  }

  /** "Restart to update": the person's yes for a downloaded, verified version. */
  async install(): Promise<UpdateStatus> {
    if (this.#status.state !== 'ready' || !this.#status.version)
      throw new Error('There is no downloaded update to install yet: press "Check now" first.');
    await this.#restart(this.#status.version);
    return this.status();
  }

  async #check(): Promise<UpdateStatus> {
    let feed: FeedOptions;
    try {
      feed = feedFor(this.#options.settings.feedUrl());
    } catch (error) {
      this.#set({ state: 'error', source: this.#source(), message: (error as Error).message, lastCheck: new Date().toISOString() });
      this.#options.log('warn', 'update check refused: the feed setting is not valid', { reason: (error as Error).message });
      return this.status();
    }
    const source = describeFeed(feed);
    this.#set({
      state: 'checking',
      source,
      version: null,
      percent: null,
      lastCheck: new Date().toISOString(),
      message: `Looking for a newer version at ${source}…`,
    });
    try {
      this.#options.updater.setFeedURL(feed);
      const result = await this.#options.updater.checkForUpdates();
      if (!result) {
        this.#set({
          state: 'off',
          message:
            'This copy of the app cannot update itself (a development build, or not installed from a release): get new versions from the releases page.',
        });
      } else if (!result.isUpdateAvailable) {
        this.#set({ state: 'up-to-date', message: `You have the latest version (${this.#options.currentVersion}).` });
        this.#options.log('info', 'update check: up to date', { feed: source, version: this.#options.currentVersion });
      } else {
        const version = result.updateInfo.version;
        this.#set({ state: 'downloading', version, percent: 0, message: `Downloading version ${version} in the background…` });
        this.#options.log('info', 'update found: downloading', { feed: source, version });
        void this.#download(version);
      }
    } catch (error) {
      const reason = plainReason(error);
      this.#set({
        state: 'error',
        message: `Could not check for updates at ${source}: ${reason}. The app keeps working as it is and tries again later.`,
      });
      this.#options.log('warn', 'update check failed', { feed: source, reason });
    }
    return this.status();
  }

  async #download(version: string): Promise<void> {
    try {
      await this.#options.updater.downloadUpdate();
    } catch (error) {
      const checksum = (error as { code?: string }).code === 'ERR_CHECKSUM_MISMATCH';
      const reason = plainReason(error);
      this.#set({
        state: 'error',
        percent: null,
        message: checksum
          ? `Version ${version} was downloaded but does not match the checksum (sha512) its feed published, so it was thrown away and nothing was installed. The app keeps working as it is.`
          : `Could not download version ${version}: ${reason}. Nothing was installed; the app keeps working as it is.`,
      });
      this.#options.log('warn', checksum ? 'update rejected: checksum (sha512) mismatch' : 'update download failed', { version, reason });
      return;
    }
    this.#set({
      state: 'ready',
      percent: 100,
      message: `Version ${version} is downloaded and its checksum (sha512) verified. Restart the app to use it.`,
    });
    this.#options.log('info', 'update downloaded and verified', { version });
    const yes = await this.#options.ask({ version, currentVersion: this.#options.currentVersion }).catch(() => false);
    if (this.#status.state !== 'ready') return; // "Restart to update" was pressed meanwhile
    if (yes) {
      await this.#restart(version);
    } else {
      this.#set({ message: `Version ${version} is ready: choose "Restart to update" when it suits you.` });
      this.#options.log('info', 'update restart postponed by the user', { version });
    }
  }

  async #restart(version: string): Promise<void> {
    this.#set({ state: 'installing', message: `Restarting into version ${version}…` });
    this.#options.log('info', 'restarting to update', { from: this.#options.currentVersion, to: version });
    this.#installError = null;
    await this.#options.beforeRestart();
    try {
      this.#options.updater.quitAndInstall(false, true);
    } catch (error) {
      this.#installError = error as Error;
    }
    if (this.#installError) {
      const message = `Version ${version} could not be installed: ${plainReason(this.#installError)}. Start the app again; it still runs version ${this.#options.currentVersion}.`;
      this.#set({ state: 'error', message });
      this.#options.log('error', 'update install failed', { version, reason: plainReason(this.#installError) });
      this.#options.restartFailed(message);
    }
  }

  #source(): string {
    try {
      return describeFeed(feedFor(this.#options.settings.feedUrl()));
    } catch {
      return this.#options.settings.feedUrl();
    }
  }

  #set(change: Partial<UpdateStatus>): void {
    this.#status = { ...this.#status, ...change };
    this.emit('status', this.status());
  }
}

function firstLine(message: unknown): string {
  return String(message instanceof Error ? message.message : message)
    .split('\n')[0]!
    .slice(0, 300);
}

/** An updater error in a sentence: electron-updater's carry stacks, headers and response bodies. */
export function plainReason(error: unknown): string {
  const { code, statusCode, message } = error as { code?: string; statusCode?: number; message?: string };
  if (code === 'ERR_CHECKSUM_MISMATCH') return 'the file does not match the checksum (sha512) the feed published';
  if (code === 'ECONNREFUSED' || /ERR_CONNECTION_REFUSED|ECONNREFUSED/.test(message ?? ''))
    return 'nothing answers at that address (connection refused)';
  if (code === 'ENOTFOUND' || /ENOTFOUND|ERR_NAME_NOT_RESOLVED/.test(message ?? '')) return 'that host name is not known';
  if (/timed out|ETIMEDOUT/i.test(message ?? '')) return 'the feed did not answer in time';
  if (code === 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND') {
    const file = /(latest[\w.-]*\.yml)/.exec(message ?? '')?.[1] ?? 'the latest*.yml file';
    return `the feed has no ${file} (HTTP 404): is the address the folder that holds it?`;
  }
  if (code === 'ERR_UPDATER_NO_PUBLISHED_VERSIONS' || code === 'ERR_UPDATER_LATEST_VERSION_NOT_FOUND')
    return 'no release is published there yet';
  if (statusCode === 404) return 'the feed has no such file (HTTP 404): is the address the folder holding latest-*.yml?';
  if (typeof statusCode === 'number' && statusCode >= 400) return `the feed answered HTTP ${statusCode}`;
  return firstLine(message ?? error);
}
