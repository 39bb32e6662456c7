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

export async function writeRuntimeInfo(file: string, info: RuntimeInfo): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export async function readRuntimeInfo(file: string): Promise<RuntimeInfo | null> {
  try {
    const info = JSON.parse(await readFile(file, 'utf8')) as RuntimeInfo;
    return info.version === 1 && typeof info.url === 'string' && typeof info.token === 'string' ? info : null;
  } catch {
    return null;
  }
}

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
