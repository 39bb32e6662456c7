import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

/**
 * How the stdio entries that AI clients launch find the server the app supervises. Rewritten on
 * every start and profile switch, so the next call of a connected client reaches the new server.
 * It holds the server's random bearer token: the file is readable by its owner only.
 */
export interface RuntimeInfo {
  version: 1;
  /** http://127.0.0.1:<port>/mcp */
  url: string;
  token: string;
  /** The supervised server's process. */
  pid: number;
  /** The app that supervises it; the entry treats the file as stale once it is gone. */
  appPid: number;
  profileId: string;
  profileName: string;
  safety: 'read-only' | 'write' | 'destructive';
  startedAt: string;
}

/**
 * What the app is doing, for the stdio entries to tell the truth when no server is published
 * (the server crashed and was given up on, no profile yet…) instead of starting a second app.
 * Rewritten on every server state and profile change; removed when the app quits.
 */
export interface AppStatusInfo {
  version: 1;
  appPid: number;
  profiles: number;
  /** The profiles, for list_brokers and switch_broker in the stdio entries: never a password. */
  brokers?: { id: string; name: string; host: string; vhost: string; safety: 'read-only' | 'write' | 'destructive'; active: boolean }[];
  server:
    | { status: 'stopped' }
    | { status: 'starting' | 'healthy' | 'degraded'; profileName: string; reason?: string }
    | { status: 'crashed' | 'failed'; profileName: string; crashes: number; exit: string; lastError?: string };
  updatedAt: string;
}

/** Writes JSON readable by its owner only, atomically: a reader sees the old file or the new one, never half. */
export async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export async function writeRuntimeInfo(file: string, info: RuntimeInfo): Promise<void> {
  await writeJsonAtomically(file, info);
}

export async function writeAppStatus(file: string, status: AppStatusInfo): Promise<void> {
  await writeJsonAtomically(file, status);
}

export async function readAppStatus(file: string): Promise<AppStatusInfo | null> {
  try {
    const status = JSON.parse(await readFile(file, 'utf8')) as AppStatusInfo;
    return status.version === 1 && typeof status.appPid === 'number' && typeof status.server?.status === 'string' ? status : null;
  } catch {
    return null;
  }
}

export async function readRuntimeInfo(file: string): Promise<RuntimeInfo | null> {
  try {
    const info = JSON.parse(await readFile(file, 'utf8')) as RuntimeInfo;
    return info.version === 1 && typeof info.url === 'string' && typeof info.token === 'string' ? info : null;
  } catch {
    return null;
  }
}

/** Removes the runtime or the status file. */
export async function removeRuntimeInfo(file: string): Promise<void> {
  await rm(file, { force: true });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
