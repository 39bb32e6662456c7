import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomically } from './runtime-file.js';

/**
 * How a stdio entry asks the running app to switch profiles (switch_broker, after the user said
 * yes in their AI client): a request file in the app's folder, which only its owner can write,
 * answered by a result file. No port, no token: the same trust as the runtime file.
 */
export interface SwitchRequest {
  version: 1;
  profileId: string;
  /** Which AI client asked (its clientInfo.name), for the app's log. */
  client: string;
  at: string;
}

export interface SwitchResult {
  ok: boolean;
  /** What happened, for the user: "Switched to Beta (write)." or why not. */
  message: string;
}

const REQUEST = '.switch.json';
const RESULT = '.result.json';

/** Asks the app to switch and waits for its answer; null when no answer came (the app is not running or busy). */
export async function requestSwitch(folder: string, profileId: string, client: string, timeoutMs = 15_000): Promise<SwitchResult | null> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const id = randomBytes(8).toString('hex');
  const request: SwitchRequest = { version: 1, profileId, client, at: new Date().toISOString() };
  await writeJsonAtomically(join(folder, `${id}${REQUEST}`), request);
  const deadline = Date.now() + timeoutMs;
  const resultFile = join(folder, `${id}${RESULT}`);
  while (Date.now() < deadline) {
    try {
      const result = JSON.parse(await readFile(resultFile, 'utf8')) as SwitchResult;
      await rm(resultFile, { force: true });
      return result;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  // Nobody answered: take the request back, so that a later app start does not act on it.
  await rm(join(folder, `${id}${REQUEST}`), { force: true });
  return null;
}

/**
 * The app's side: picks up requests (one at a time, oldest first), hands each to `handle` and
 * writes its answer. Requests older than `maxAgeMs` are dropped unanswered: their asker gave up.
 */
export function watchSwitchRequests(
  folder: string,
  handle: (request: SwitchRequest) => Promise<SwitchResult>,
  options: { intervalMs?: number; maxAgeMs?: number } = {},
): () => void {
  const maxAgeMs = options.maxAgeMs ?? 15_000;
  let busy = false;
  const scan = async () => {
    if (busy) return;
    busy = true;
    try {
      const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith(REQUEST)).sort();
      for (const name of names) {
        const file = join(folder, name);
        let request: SwitchRequest;
        try {
          request = JSON.parse(await readFile(file, 'utf8')) as SwitchRequest;
        } catch {
          continue; // being written, or taken back
        }
        await rm(file, { force: true });
        if (request.version !== 1 || Date.now() - Date.parse(request.at) > maxAgeMs) continue;
        const result = await handle(request).catch((error: Error) => ({ ok: false, message: error.message }));
        await writeJsonAtomically(join(folder, name.replace(REQUEST, RESULT)), result);
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void scan(), options.intervalMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}
