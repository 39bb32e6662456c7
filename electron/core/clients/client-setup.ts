import { access } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import type { ClientStatus, SetupResult } from '../../shared/contract.js';
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
  writeConfig,
} from './config-file.js';

/** What we changed, kept so that undo restores exactly the previous bytes. */
export interface SetupRecord {
  path: string;
  backupPath: string | null;
  writtenHash: string;
  at: string;
}

export interface SetupRecords {
  get(id: ClientId): SetupRecord | undefined;
  set(id: ClientId, record: SetupRecord): void;
  delete(id: ClientId): void;
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

  constructor(options: { platform: Platform; launch: LaunchSpec; records: SetupRecords; blocked?: string | null }) {
    this.#platform = options.platform;
    this.#launch = options.launch;
    this.#records = options.records;
    this.#blocked = options.blocked ?? null;
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
    const written = await writeConfig(snapshot, withValue(snapshot, [...client.serversKey, ENTRY_NAME], expected));
    this.#records.set(id, { path, backupPath: written.backupPath, writtenHash: written.writtenHash, at: new Date().toISOString() });
    const backup = written.backupPath ? ` The previous file is saved as ${written.backupPath}.` : '';
    return { status: await this.status(id), message: `Connected ${client.name} (${path}).${backup} ${client.relaunch}` };
  }

  async undo(id: ClientId): Promise<SetupResult> {
    const client = clientById(id);
    const record = this.#records.get(id);
    if (!record) return { status: await this.status(id), message: `Nothing to undo for ${client.name}.` };
    try {
      await restoreConfig(record.path, record.backupPath, record.writtenHash);
    } catch (error) {
      if (error instanceof ConfigConflictError) {
        const backup = record.backupPath ? `the previous version is in ${record.backupPath}` : 'the file did not exist before';
        throw new Error(
          `${record.path} changed after it was connected, and undo would lose those changes: nothing was restored (${backup})`,
        );
      }
      throw error;
    }
    this.#records.delete(id);
    return {
      status: await this.status(id),
      message: `Restored ${record.path} as it was before ${record.at}. ${client.relaunch}`,
    };
  }
}
