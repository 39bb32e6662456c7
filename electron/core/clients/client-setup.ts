import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import type { ClientStatus, DisconnectResult, SetupResult } from '../../shared/contract.js';
import { type ClientDefinition, type ClientId, ENTRY_NAME, type LaunchSpec, type Platform, clientById, clients } from './client-catalog.js';
export type { ClientState, ClientStatus, SetupResult } from '../../shared/contract.js';
import {
  ConfigConflictError,
  ConfigParseError,
  ConfigUnreadableError,
  readConfig,
  restoreConfig,
  valueAt,
  withValue,
  withoutValue,
  writeConfig,
} from './config-file.js';

/** What we changed, kept so that undo restores exactly the previous bytes. */
export interface SetupRecord {
  path: string;
  backupPath: string | null;
  writtenHash: string;
  at: string;
  /** Set when the change went through the client's CLI: the entry there before (null: none). */
  cli?: { previous: Record<string, unknown> | null };
}

/** How the app runs a client's CLI: found on PATH, run with a time limit (the OS edge, replaceable in tests). */
export interface CommandRunner {
  find(command: string): Promise<string | null>;
  run(path: string, args: string[]): Promise<void>;
}

export const systemCommands = (env: NodeJS.ProcessEnv = process.env): CommandRunner => ({
  async find(command) {
    const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
    for (const folder of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
      for (const extension of extensions) {
        const candidate = join(folder, `${command}${extension}`);
        if (
          await access(candidate, constants.X_OK).then(
            () => true,
            () => false,
          )
        )
          return candidate;
      }
    }
    return null;
  },
  async run(path, args) {
    try {
      await promisify(execFile)(path, args, { timeout: 30_000, env, windowsHide: true });
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      throw new Error(`${path} ${args.slice(0, 2).join(' ')} failed: ${(stderr || message).trim().split('\n')[0]}`);
    }
  },
});

export interface SetupRecords {
  get(id: ClientId): SetupRecord | undefined;
  set(id: ClientId, record: SetupRecord): void;
  delete(id: ClientId): void;
}

/**
 * Whether an entry is this app's: it runs our stdio entry or carries our home folder. An entry
 * named "rabbitmq" that someone else wrote (another RabbitMQ server) is not, and stays.
 */
export function isOurEntry(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const entry = value as { args?: unknown; env?: unknown };
  const env = entry.env && typeof entry.env === 'object' ? (entry.env as Record<string, unknown>) : {};
  if (typeof env.RABBITMQ_MCP_HOME === 'string') return true;
  return Array.isArray(entry.args) && entry.args.some((arg) => typeof arg === 'string' && /(^|[\\/])stdio-entry\.mjs$/.test(arg));
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Connects AI clients to the app: writes (or updates) only our entry in each client's config
 * file, reports whether it is there and current, and undoes our last change byte for byte.
 */
export class ClientSetup {
  #platform: Platform;
  #launch: LaunchSpec;
  #records: SetupRecords;
  #blocked: string | null;

  #commands: CommandRunner;

  constructor(options: {
    platform: Platform;
    launch: LaunchSpec;
    records: SetupRecords;
    blocked?: string | null;
    commands?: CommandRunner;
  }) {
    this.#platform = options.platform;
    this.#launch = options.launch;
    this.#records = options.records;
    this.#blocked = options.blocked ?? null;
    this.#commands = options.commands ?? systemCommands();
  }

  async configPath(client: ClientDefinition): Promise<string> {
    const candidates = client.configPaths(this.#platform);
    for (const candidate of candidates) if (await exists(candidate)) return candidate;
    // None exists yet: the first whose folder exists (the packaged Claude Desktop), else the last.
    for (const candidate of candidates.slice(0, -1)) {
      if (await exists(candidate.slice(0, Math.max(candidate.lastIndexOf('/'), candidate.lastIndexOf('\\'))))) return candidate;
    }
    return candidates.at(-1) as string;
  }

  async status(id: ClientId): Promise<ClientStatus> {
    const client = clientById(id);
    const configPath = await this.configPath(client);
    const installed = (await Promise.all(client.installMarkers(this.#platform).map(exists))).some(Boolean) || (await exists(configPath));
    const base = { id, name: client.name, installed, configPath, canUndo: this.#records.get(id) !== undefined, relaunch: client.relaunch };
    let snapshot;
    try {
      snapshot = await readConfig(configPath);
    } catch (error) {
      if (error instanceof ConfigParseError || error instanceof ConfigUnreadableError)
        return { ...base, state: 'unreadable', detail: error.message };
      throw error;
    }
    const current = valueAt(snapshot, [...client.serversKey, ENTRY_NAME]);
    if (current === undefined) return { ...base, state: installed ? 'not-configured' : 'not-installed' };
    const expected = client.entry(this.#launch);
    if (isDeepStrictEqual(current, expected)) return { ...base, state: 'configured' };
    return {
      ...base,
      state: 'out-of-date',
      detail: 'the entry points at another location of the app (it moved or was updated); connect again to fix it',
    };
  }

  statusAll(): Promise<ClientStatus[]> {
    return Promise.all(clients.map((client) => this.status(client.id)));
  }

  async connect(id: ClientId): Promise<SetupResult> {
    const client = clientById(id);
    if (this.#blocked) throw new Error(`${client.name} was not connected: ${this.#blocked}`);
    const path = await this.configPath(client);
    const snapshot = await readConfig(path);
    const expected = client.entry(this.#launch);
    if (isDeepStrictEqual(valueAt(snapshot, [...client.serversKey, ENTRY_NAME]), expected)) {
      return { status: await this.status(id), message: `${client.name} is already connected. ${client.relaunch}` };
    }
    const cli = client.cli && (await this.#commands.find(client.cli.command));
    if (client.cli && cli) {
      const before = valueAt(snapshot, [...client.serversKey, ENTRY_NAME]) as Record<string, unknown> | undefined;
      // The CLI refuses to add a name that exists: take ours out first (it is put back on undo).
      if (before !== undefined) await this.#commands.run(cli, client.cli.remove(ENTRY_NAME));
      await this.#commands.run(cli, client.cli.add(ENTRY_NAME, expected));
      this.#records.set(id, { path, backupPath: null, writtenHash: '', at: new Date().toISOString(), cli: { previous: before ?? null } });
      return {
        status: await this.status(id),
        message: `Connected ${client.name} with \`${client.cli.command} mcp\` (${path}). ${client.relaunch}`,
      };
    }
    const written = await writeConfig(snapshot, withValue(snapshot, [...client.serversKey, ENTRY_NAME], expected));
    this.#records.set(id, { path, backupPath: written.backupPath, writtenHash: written.writtenHash, at: new Date().toISOString() });
    const backup = written.backupPath ? ` The previous file is saved as ${written.backupPath}.` : '';
    return { status: await this.status(id), message: `Connected ${client.name} (${path}).${backup} ${client.relaunch}` };
  }

  /**
   * Takes our entry out of every settings file of the client that has one (Claude Desktop on
   * Windows may have two), with the usual backup; the rest of each file stays byte for byte.
   */
  async disconnect(id: ClientId): Promise<DisconnectResult> {
    const client = clientById(id);
    const keyPath = [...client.serversKey, ENTRY_NAME];
    const removed: string[] = [];
    const backups: (string | null)[] = [];
    const others: string[] = [];
    try {
      for (const path of client.configPaths(this.#platform)) {
        if (!(await exists(path))) continue;
        // One retry: a client that saves its own file between our read and write.
        for (let attempt = 0; ; attempt++) {
          const snapshot = await readConfig(path);
          const value = valueAt(snapshot, keyPath);
          if (value === undefined) break;
          if (!isOurEntry(value)) {
            others.push(path);
            break;
          }
          try {
            const written = await writeConfig(snapshot, withoutValue(snapshot, keyPath));
            removed.push(path);
            backups.push(written.backupPath);
            break;
          } catch (error) {
            if (!(error instanceof ConfigConflictError) || attempt > 0) throw error;
          }
        }
      }
    } catch (error) {
      return { id, name: client.name, outcome: 'failed', message: `${client.name}: ${(error as Error).message}` };
    }
    if (removed.length === 0) {
      const note = others.length ? ` (its entry named "${ENTRY_NAME}" in ${others.join(', ')} is not this app's, so it stays)` : '';
      return { id, name: client.name, outcome: 'not-connected', message: `${client.name} was not connected${note}.` };
    }
    this.#records.delete(id); // undo would put back what was just taken out
    const saved = backups.filter(Boolean);
    return {
      id,
      name: client.name,
      outcome: 'removed',
      message: `Removed our entry from ${removed.join(' and ')}.${saved.length ? ` The previous file is saved as ${saved.join(' and ')}.` : ''} ${client.relaunch}`,
      backupPath: backups[0] ?? null,
    };
  }

  /** "Disconnect all AI apps": every client in turn; one that fails does not stop the others. */
  async disconnectAll(): Promise<DisconnectResult[]> {
    const results: DisconnectResult[] = [];
    for (const client of clients) results.push(await this.disconnect(client.id));
    return results;
  }

  async undo(id: ClientId): Promise<SetupResult> {
    const client = clientById(id);
    const record = this.#records.get(id);
    if (!record) return { status: await this.status(id), message: `Nothing to undo for ${client.name}.` };
    const keyPath = [...client.serversKey, ENTRY_NAME];
    const cli = record.cli && client.cli && (await this.#commands.find(client.cli.command));
    if (record.cli && client.cli && cli) {
      await this.#commands.run(cli, client.cli.remove(ENTRY_NAME));
      if (record.cli.previous) await this.#commands.run(cli, client.cli.add(ENTRY_NAME, record.cli.previous));
      this.#records.delete(id);
      return { status: await this.status(id), message: `Removed our entry with \`${client.cli.command} mcp\`. ${client.relaunch}` };
    }
    try {
      if (record.cli) throw new ConfigConflictError(record.path); // the CLI is gone: edit the file instead
      await restoreConfig(record.path, record.backupPath, record.writtenHash);
    } catch (error) {
      if (!(error instanceof ConfigConflictError)) throw error;
      // The file changed since (a client rewrites its own): take back only our entry, as it was.
      const snapshot = await readConfig(record.path);
      if (!isDeepStrictEqual(valueAt(snapshot, keyPath), client.entry(this.#launch))) {
        throw new Error(`${record.path} changed our entry after it was connected: nothing was undone, so that change is kept`);
      }
      const previous = record.cli
        ? (record.cli.previous ?? undefined)
        : record.backupPath
          ? valueAt(await readConfig(record.backupPath), keyPath)
          : undefined;
      await writeConfig(snapshot, previous === undefined ? withoutValue(snapshot, keyPath) : withValue(snapshot, keyPath, previous));
      this.#records.delete(id);
      return {
        status: await this.status(id),
        message: `Took our entry back out of ${record.path}; the file's other changes since ${record.at} are kept. ${client.relaunch}`,
      };
    }
    this.#records.delete(id);
    return {
      status: await this.status(id),
      message: `Restored ${record.path} as it was before ${record.at}. ${client.relaunch}`,
    };
  }
}
