import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
// The browser build: the synchronous zip is the same, and the Node build's worker support would
// add require("module") to the main process (which may require only Electron and node: modules).
import { strToU8, zipSync } from 'fflate/browser';
import type { AppSettings, Profile } from '../../shared/contract.js';
import { redact } from './redact.js';

export interface DiagnosticsInput {
  /** The app's log folder (app, server and stdio-entry logs, one file a day each). */
  logDir: string;
  /** Logs changed within this many days go in. */
  days: number;
  now?: Date;
  app: { version: string; versions: Record<string, string> };
  os: { platform: string; release: string; arch: string };
  /** The active broker's version, or why it is not known. */
  broker: { version: string } | { unknown: string };
  settings: AppSettings;
  /** Profiles as stored (no passwords: those live apart and never come here). */
  profiles: readonly Profile[];
  /** Secrets to take out wherever they appear (the profiles' passwords). */
  secrets: readonly string[];
}

/**
 * The diagnostics bundle: one zip with the recent logs, the app's, Electron's and the broker's
 * versions, the OS, the settings and the profiles, every text run through redact(): no
 * password, token or URI credential leaves the machine; TLS file paths stay, their contents
 * never come in.
 */
export async function diagnosticsZip(input: DiagnosticsInput): Promise<{ bytes: Uint8Array; files: string[] }> {
  const clean = (text: string) => redact(text, input.secrets);
  const entries: Record<string, Uint8Array> = {};
  const now = input.now ?? new Date();
  const info = {
    createdAt: now.toISOString(),
    app: input.app,
    os: input.os,
    broker: input.broker,
    logsOfTheLastDays: input.days,
  };
  entries['about.json'] = strToU8(clean(`${JSON.stringify(info, null, 2)}\n`));
  entries['settings.json'] = strToU8(clean(`${JSON.stringify(input.settings, null, 2)}\n`));
  entries['profiles.json'] = strToU8(clean(`${JSON.stringify(input.profiles, null, 2)}\n`));
  const since = now.getTime() - input.days * 24 * 60 * 60 * 1000;
  const names = await readdir(input.logDir).catch(() => [] as string[]);
  for (const name of names.filter((file) => file.endsWith('.log')).sort()) {
    const path = join(input.logDir, name);
    const facts = await stat(path).catch(() => null);
    if (!facts?.isFile() || facts.mtimeMs < since) continue;
    entries[`logs/${name}`] = strToU8(clean(await readFile(path, 'utf8')));
  }
  entries['README.txt'] = strToU8(
    [
      'RabbitMQ MCP diagnostics',
      '',
      'about.json      the app, Electron, Node and Chrome versions, the OS, the broker version',
      'settings.json   the app settings',
      'profiles.json   the broker profiles (passwords are never stored with them)',
      `logs/           the logs of the last ${input.days} days`,
      '',
      'Passwords, tokens and the passwords in addresses (amqp://user:…@host) were replaced with [removed].',
      '',
    ].join('\n'),
  );
  return { bytes: zipSync(entries, { level: 6, mtime: now }), files: Object.keys(entries) };
}
