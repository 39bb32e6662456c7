/**
 * Profile import and export: the app's own file format (passwords left out, or encrypted with a
 * passphrase the person types), reading rabbitmqadmin's config files, the preview an import
 * shows first (new, name taken, no password) and the import itself, all or nothing.
 *
 * The export file (format "rabbitmq-mcp-profiles", version 1) is JSON:
 *
 *   { "format": "rabbitmq-mcp-profiles", "version": 1, "exportedAt": ISO time, "exportedBy": "RabbitMQ MCP x.y.z",
 *     "profiles": [ profile settings, as the editor has them, without id or password ],
 *     "secrets": absent, or {
 *       "kdf": { "name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": base64 (16 random bytes) },
 *       "cipher": "aes-256-gcm", "iv": base64 (12 random bytes), "tag": base64, "data": base64,
 *       "check": base64 } }
 *
 * scrypt turns the passphrase and salt into 64 bytes: the first 32 are the AES-256-GCM key, the
 * last 32 are "check", which tells a wrong passphrase from a changed file. "data" decrypts to
 * {"passwords": {"<index in profiles>": "password"}}; the authenticated data is
 * JSON.stringify({format, version, profiles}), so a profile changed after the export (its host
 * pointed elsewhere, to collect the password) fails the import instead of carrying the password.
 * A bare JSON array of profile settings (what profiles.exportAll returns) imports too.
 */
import { randomBytes, randomUUID, scrypt as scryptCallback, createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type {
  ImportCandidateView,
  ImportPreview,
  ImportRequest,
  ImportSource,
  ProfileExport,
  ProfileExportRequest,
  ProfileExportResult,
  UsualImportFile,
} from '../../shared/contract.js';
import { type Profile, type ProfileSettings, profileInputSchema } from '../../shared/profile.js';
import { ImportFileError, type TransferCandidate, parseRabbitmqadminConfig, rabbitmqadminLocations } from './rabbitmqadmin-config.js';

export { ImportFileError };

export const EXPORT_FORMAT = 'rabbitmq-mcp-profiles';
export const EXPORT_VERSION = 1;
/** OWASP's scrypt cost for passwords (128 MiB, a fraction of a second). */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
export const MIN_PASSPHRASE = 8;
const MAX_FILE_BYTES = 1024 * 1024;

interface EncryptedSecrets {
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  data: string;
  check: string;
}

/** The passphrase does not open the file's passwords. */
export class WrongPassphraseError extends Error {
  override name = 'WrongPassphraseError';
  constructor() {
    super('That passphrase does not open this file: check it and try again. Nothing was imported.');
  }
}

function deriveKey(passphrase: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(passphrase.normalize('NFC'), salt, 64, { ...cost, maxmem: 256 * cost.N * cost.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

function associatedData(profiles: unknown): Buffer {
  return Buffer.from(JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, profiles }), 'utf8');
}

/** The export file's text; passwords only with a passphrase, encrypted. */
export async function encodeProfileFile(
  entries: { settings: ProfileExport; password: string | null }[],
  options: { passphrase?: string; appVersion: string; now?: Date },
): Promise<string> {
  const profiles = entries.map((entry) => entry.settings);
  const file: Record<string, unknown> = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: (options.now ?? new Date()).toISOString(),
    exportedBy: `RabbitMQ MCP ${options.appVersion}`,
    profiles,
  };
  if (options.passphrase !== undefined) {
    if (options.passphrase.length < MIN_PASSPHRASE)
      throw new Error(`The passphrase needs at least ${MIN_PASSPHRASE} characters: it is all that protects the passwords in the file.`);
    const passwords = Object.fromEntries(
      entries.flatMap((entry, index) => (entry.password === null ? [] : [[String(index), entry.password] as const])),
    );
    const salt = randomBytes(16);
    const derived = await deriveKey(options.passphrase, salt, SCRYPT);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', derived.subarray(0, 32), iv);
    cipher.setAAD(associatedData(profiles));
    const data = Buffer.concat([cipher.update(JSON.stringify({ passwords }), 'utf8'), cipher.final()]);
    const secrets: EncryptedSecrets = {
      kdf: { name: 'scrypt', ...SCRYPT, salt: salt.toString('base64') },
      cipher: 'aes-256-gcm',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
      check: derived.subarray(32).toString('base64'),
    };
    file.secrets = secrets;
  }
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Our export file, checked: its profiles, and its encrypted passwords if any. */
export function parseProfileFile(text: string): {
  candidates: TransferCandidate[];
  secrets: EncryptedSecrets | null;
  rawProfiles: unknown;
} {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ImportFileError(`the file is not valid JSON (${(error as Error).message})`);
  }
  const bare = Array.isArray(json);
  const file = (bare ? { format: EXPORT_FORMAT, version: EXPORT_VERSION, profiles: json } : json) as Record<string, unknown>;
  if (typeof file !== 'object' || file === null || file.format !== EXPORT_FORMAT)
    throw new ImportFileError(`this JSON file is not a RabbitMQ MCP profile export (it has no "format": "${EXPORT_FORMAT}")`);
  if (typeof file.version !== 'number' || file.version > EXPORT_VERSION)
    throw new ImportFileError(
      `version: the file is version ${String(file.version)}; this app reads up to ${EXPORT_VERSION}: update the app`,
    );
  if (!Array.isArray(file.profiles)) throw new ImportFileError('profiles: the file has no list of profiles');
  const candidates = file.profiles.map((profile, index): TransferCandidate => {
    const parsed = profileInputSchema.safeParse(profile);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ImportFileError(`profiles[${index}].${issue?.path.join('.')}: ${issue?.message}`);
    }
    return { origin: `profile ${index + 1}`, settings: parsed.data, password: null, notes: [] };
  });
  return { candidates, secrets: file.secrets === undefined ? null : checkSecrets(file.secrets), rawProfiles: file.profiles };
}

function checkSecrets(value: unknown): EncryptedSecrets {
  const secrets = value as EncryptedSecrets;
  const base64 = (text: unknown) => typeof text === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
  if (typeof secrets !== 'object' || secrets === null || secrets.cipher !== 'aes-256-gcm')
    throw new ImportFileError('secrets.cipher: the passwords are encrypted in a way this app does not know');
  const kdf = secrets.kdf;
  if (kdf?.name !== 'scrypt') throw new ImportFileError('secrets.kdf.name: only scrypt is known');
  const powerOfTwo = Number.isInteger(kdf.N) && kdf.N >= 2 ** 14 && kdf.N <= 2 ** 20 && (kdf.N & (kdf.N - 1)) === 0;
  if (!powerOfTwo || !Number.isInteger(kdf.r) || kdf.r < 1 || kdf.r > 16 || !Number.isInteger(kdf.p) || kdf.p < 1 || kdf.p > 4)
    throw new ImportFileError('secrets.kdf: the cost (N, r, p) is outside what this app accepts');
  for (const key of ['iv', 'tag', 'data', 'check'] as const)
    if (!base64(secrets[key])) throw new ImportFileError(`secrets.${key}: not base64 text`);
  if (!base64(kdf.salt)) throw new ImportFileError('secrets.kdf.salt: not base64 text');
  return secrets;
}

/** The passwords of an export, by profile index; WrongPassphraseError or a changed-file error, never a partial result. */
export async function decryptSecrets(secrets: EncryptedSecrets, rawProfiles: unknown, passphrase: string): Promise<Map<number, string>> {
  const derived = await deriveKey(passphrase, Buffer.from(secrets.kdf.salt, 'base64'), secrets.kdf);
  const check = Buffer.from(secrets.check, 'base64');
  if (check.length !== 32 || !timingSafeEqual(check, derived.subarray(32))) throw new WrongPassphraseError();
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', derived.subarray(0, 32), Buffer.from(secrets.iv, 'base64'));
    decipher.setAAD(associatedData(rawProfiles));
    decipher.setAuthTag(Buffer.from(secrets.tag, 'base64'));
    plain = Buffer.concat([decipher.update(Buffer.from(secrets.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new ImportFileError(
      'the file was changed after it was exported: its profiles no longer match their encrypted passwords. Nothing was imported; export it again.',
    );
  }
  const passwords = (JSON.parse(plain) as { passwords: Record<string, string> }).passwords;
  return new Map(Object.entries(passwords).map(([index, password]) => [Number(index), password]));
}

export type ImportFormat = ImportPreview['format'];

/** A file read for import: what it offers, and (for our format) its encrypted passwords. */
export interface ParsedImport {
  format: ImportFormat;
  candidates: TransferCandidate[];
  secrets: EncryptedSecrets | null;
  rawProfiles: unknown;
}

/** Reads any file the app imports: its own export (JSON) or a rabbitmqadmin config (TOML or INI). */
export function parseImportFile(text: string): ParsedImport {
  const clean = text.replace(/^\uFEFF/, '');
  if (clean.trim() === '') throw new ImportFileError('the file is empty');
  const start = clean.trimStart();
  // "{…}" is our export; "[…]" our bare list when it is JSON, else a config file's [section].
  if (start.startsWith('{') || (start.startsWith('[') && isJson(start))) return { format: 'rabbitmq-mcp', ...parseProfileFile(clean) };
  const admin = parseRabbitmqadminConfig(clean);
  return { format: admin.format, candidates: admin.candidates, secrets: null, rawProfiles: null };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const FORMAT_LABELS: Record<ImportFormat, string> = {
  'rabbitmq-mcp': 'a RabbitMQ MCP profile export',
  'rabbitmqadmin-ini': 'a rabbitmqadmin configuration file (classic, INI)',
  'rabbitmqadmin-toml': 'a rabbitmqadmin v2 configuration file (TOML)',
};

/** A name not in use: "Name (imported)", "Name (imported 2)", … */
function freeName(name: string, taken: Set<string>): string {
  const base = name.length > 68 ? name.slice(0, 68) : name;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${base} (imported)` : `${base} (imported ${n})`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** What the window shows before anything is imported: nothing here changes a profile. */
export function previewOf(parsed: ParsedImport, existing: readonly string[]): Omit<ImportPreview, 'token' | 'path'> {
  const taken = new Set(existing);
  const seen = new Set<string>();
  const candidates = parsed.candidates.map((candidate, key): ImportCandidateView => {
    const name = candidate.settings?.name ?? candidate.origin;
    const clash = candidate.settings !== null && (taken.has(name) || seen.has(name));
    if (candidate.settings) seen.add(name);
    const suggestedName = clash ? freeName(name, new Set([...taken, ...seen])) : name;
    if (clash) seen.add(suggestedName);
    const hasSecret = parsed.secrets !== null;
    return {
      key,
      origin: candidate.origin,
      name,
      settings: candidate.settings,
      clash,
      suggestedName,
      password: candidate.password !== null ? 'included' : hasSecret ? 'encrypted' : 'none',
      notes: candidate.notes,
      ...(candidate.problem ? { problem: candidate.problem } : {}),
    };
  });
  const notes =
    parsed.format === 'rabbitmq-mcp'
      ? parsed.secrets
        ? ['The passwords in this file are encrypted: enter the passphrase chosen when it was exported.']
        : ['This file has no passwords: you can add them after the import.']
      : ['Imported profiles start read-only (the AI apps can look, not change anything): change that in Edit.'];
  return { format: parsed.format, formatLabel: FORMAT_LABELS[parsed.format], needsPassphrase: parsed.secrets !== null, candidates, notes };
}

/** What the store must provide for import and export. */
export interface TransferDeps {
  list(): Profile[];
  password(id: string): Promise<string | null>;
  /** Adds a profile; a null password leaves it without one. */
  create(settings: ProfileSettings, password: string | null): Promise<Profile>;
  remove(id: string): void;
  home: string;
  env: Record<string, string | undefined>;
  appVersion: string;
  chooseExportPath?: (suggestedName: string) => Promise<string | null>;
  chooseImportPath?: (defaultPath: string) => Promise<string | null>;
  /** A line in the app's log: counts and names, never a password. */
  log(level: 'info' | 'warn', msg: string, fields: Record<string, unknown>): void;
  /** Where an export goes when no dialog can ask. */
  fallbackDir: string;
}

interface PendingImport {
  token: string;
  path: string;
  parsed: ParsedImport;
}

/** Import and export as the host offers them: dialogs, files, the pending import between preview and apply. */
export class ProfileTransfer {
  #deps: TransferDeps;
  #pending: PendingImport | null = null;

  constructor(deps: TransferDeps) {
    this.#deps = deps;
  }

  async exportToFile(request: ProfileExportRequest): Promise<ProfileExportResult | null> {
    const profiles = this.#deps.list();
    const chosen = request.ids.map((id) => {
      const profile = profiles.find((candidate) => candidate.id === id);
      if (!profile) throw new Error('A chosen profile no longer exists: close the export and open it again.');
      return profile;
    });
    if (chosen.length === 0) throw new Error('Choose at least one profile to export.');
    const withPasswords = request.passphrase !== undefined;
    const entries = await Promise.all(
      chosen.map(async ({ id, createdAt: _created, updatedAt: _updated, ...settings }) => ({
        settings,
        password: withPasswords ? await this.#deps.password(id) : null,
      })),
    );
    const text = await encodeProfileFile(entries, { passphrase: request.passphrase, appVersion: this.#deps.appVersion });
    const suggested = `rabbitmq-mcp-profiles-${new Date().toISOString().slice(0, 10)}.json`;
    const path = this.#deps.chooseExportPath ? await this.#deps.chooseExportPath(suggested) : join(this.#deps.fallbackDir, suggested);
    if (!path) return null;
    // Whole or not at all: a temporary file renamed over the target.
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`;
    await writeFile(temporary, text, { mode: 0o600 });
    await rename(temporary, path);
    this.#deps.log('info', 'profiles exported', { path, count: chosen.length, withPasswords });
    return { path, count: chosen.length, withPasswords };
  }

  /** rabbitmqadmin's config files that exist where it keeps them. */
  async usualFiles(): Promise<UsualImportFile[]> {
    const found: UsualImportFile[] = [];
    for (const path of rabbitmqadminLocations(this.#deps.home, this.#deps.env)) {
      const isFile = await stat(path).then(
        (info) => info.isFile(),
        () => false,
      );
      const home = this.#deps.home.replace(/[\\/]+$/, '');
      if (isFile)
        found.push({ path, label: path.startsWith(`${home}/`) || path.startsWith(`${home}\\`) ? `~${path.slice(home.length)}` : path });
    }
    return found;
  }

  /** Reads the file the person picks (or a usual one) and says what importing it would do; null when they cancel. */
  async preview(source: ImportSource): Promise<ImportPreview | null> {
    let path: string | null;
    if (source.from === 'usual') {
      const usual = await this.usualFiles();
      if (!usual.some((file) => file.path === source.path)) throw new Error(`${source.path} is not one of rabbitmqadmin's usual files.`);
      path = source.path;
    } else {
      const usual = await this.usualFiles();
      if (!this.#deps.chooseImportPath) throw new Error('This app cannot show a file dialog.');
      path = await this.#deps.chooseImportPath(usual[0]?.path ?? this.#deps.home);
    }
    if (!path) return null;
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`Cannot read ${path}: ${error.code === 'ENOENT' ? 'it does not exist' : error.message}`);
    });
    if (!info.isFile()) throw new Error(`${path} is not a file.`);
    if (info.size > MAX_FILE_BYTES) throw new Error(`${path} is ${Math.round(info.size / 1024)} KiB: too large to be a profile file.`);
    const text = await readFile(path, 'utf8');
    let parsed: ParsedImport;
    try {
      parsed = parseImportFile(text);
    } catch (error) {
      if (error instanceof ImportFileError) throw new ImportFileError(`${basename(path)} cannot be imported: ${error.message}`);
      throw error;
    }
    const token = randomUUID();
    this.#pending = { token, path, parsed };
    const preview = { token, path, ...previewOf(parsed, this.#names()) };
    this.#deps.log('info', 'profile import previewed', { path, format: parsed.format, count: parsed.candidates.length });
    return preview;
  }

  /**
   * Imports the chosen profiles under their chosen names: all of them, or (a name taken, a wrong
   * passphrase, a changed file, a store failure) none.
   */
  async apply(request: ImportRequest): Promise<{ imported: Profile[]; skipped: number; withoutPassword: string[] }> {
    const pending = this.#pending;
    if (!pending || pending.token !== request.token) throw new Error('This import preview is out of date: choose the file again.');
    const { parsed } = pending;
    if (request.choices.length === 0) throw new Error('Choose at least one profile to import.');
    const taken = new Set(this.#names());
    const plan = request.choices.map((choice) => {
      const candidate = parsed.candidates[choice.key];
      if (!candidate) throw new Error(`The file has no profile number ${choice.key + 1}.`);
      if (!candidate.settings) throw new Error(`${candidate.origin} cannot be imported: ${candidate.problem}`);
      const name = choice.name.trim();
      const settings = profileInputSchema.safeParse({ ...candidate.settings, name });
      if (!settings.success) throw new Error(`The name for ${candidate.origin}: ${settings.error.issues[0]?.message}`);
      if (taken.has(name))
        throw new Error(`A profile named "${name}" already exists: choose another name for ${candidate.origin}, or skip it.`);
      taken.add(name);
      return { key: choice.key, settings: settings.data, password: candidate.password };
    });
    let secrets = new Map<number, string>();
    if (parsed.secrets && !request.withoutPasswords) {
      if (!request.passphrase) throw new Error('Enter the passphrase chosen when the file was exported, or import without the passwords.');
      secrets = await decryptSecrets(parsed.secrets, parsed.rawProfiles, request.passphrase).catch((error: Error) => {
        this.#deps.log('warn', 'profile import refused', { path: pending.path, reason: error.message });
        throw error;
      });
    }
    const entries = plan.map((entry) => ({ ...entry, password: entry.password ?? secrets.get(entry.key) ?? null }));
    const created: Profile[] = [];
    try {
      for (const entry of entries) created.push(await this.#deps.create(entry.settings, entry.password));
    } catch (error) {
      for (const profile of created) this.#deps.remove(profile.id);
      this.#deps.log('warn', 'profile import undone', { path: pending.path, reason: (error as Error).message, undone: created.length });
      throw error;
    }
    this.#pending = null;
    const withoutPassword = created.filter((_, index) => entries[index]?.password === null);
    this.#deps.log('info', 'profiles imported', {
      path: pending.path,
      format: parsed.format,
      count: created.length,
      skipped: parsed.candidates.length - created.length,
      withoutPassword: withoutPassword.length,
    });
    return { imported: created, skipped: parsed.candidates.length - created.length, withoutPassword: withoutPassword.map((p) => p.id) };
  }

  #names(): string[] {
    return this.#deps.list().map((profile) => profile.name);
  }
}
