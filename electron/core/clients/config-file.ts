import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Node, type ParseError, findNodeAtLocation, parseTree, printParseErrorCode } from 'jsonc-parser';

/**
 * Safe edits of AI clients' JSON configuration files (JSON with comments for VS Code): only our
 * entry changes, everything else stays byte for byte (comments, key order, indentation, BOM,
 * line endings); a file that does not parse is never overwritten; writes are atomic and refuse
 * to clobber a file someone changed after we read it.
 */

export interface ConfigSnapshot {
  path: string;
  exists: boolean;
  /** The text without BOM, line endings as in the file. */
  text: string;
  bom: boolean;
  eol: '\n' | '\r\n';
  /** sha256 of the file's bytes ('' when it does not exist), to detect changes by others. */
  hash: string;
  tree: Node | undefined;
}

export class ConfigParseError extends Error {
  override name = 'ConfigParseError';
  constructor(
    readonly path: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${path} is not valid JSON at line ${line}, column ${column} (${reason}); fix it or move it away, nothing was changed`);
  }
}

/** The path holds something that is not a readable file (a folder, a file we may not read…). */
export class ConfigUnreadableError extends Error {
  override name = 'ConfigUnreadableError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} ${reason}; nothing was changed`);
  }
}

export class ConfigConflictError extends Error {
  override name = 'ConfigConflictError';
  constructor(readonly path: string) {
    super(`${path} was changed by another program while it was being updated; nothing was written, try again`);
  }
}

const BOM = '\uFEFF';

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

export async function readConfig(path: string): Promise<ConfigSnapshot> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, exists: false, text: '', bom: false, eol: '\n', hash: '', tree: undefined };
    if (code === 'EISDIR') throw new ConfigUnreadableError(path, 'is a folder, not a settings file: move it away');
    if (code === 'EACCES' || code === 'EPERM') throw new ConfigUnreadableError(path, 'cannot be read by this user: check its permissions');
    throw error;
  }
  const raw = bytes.toString('utf8');
  const bom = raw.startsWith(BOM);
  const text = bom ? raw.slice(1) : raw;
  const snapshot: ConfigSnapshot = {
    path,
    exists: true,
    text,
    bom,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
    hash: sha256(bytes),
    tree: undefined,
  };
  if (text.trim() === '') return snapshot;
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const { line, column } = lineAndColumn(text, first.offset);
    throw new ConfigParseError(path, line, column, printParseErrorCode(first.error));
  }
  if (tree?.type !== 'object') throw new ConfigParseError(path, 1, 1, 'the top level is not an object');
  return { ...snapshot, tree };
}

/** The JSON value at a key path, or undefined. */
export function valueAt(snapshot: ConfigSnapshot, keyPath: readonly string[]): unknown {
  const node = snapshot.tree ? findNodeAtLocation(snapshot.tree, [...keyPath]) : undefined;
  return node ? JSON.parse(snapshot.text.slice(node.offset, node.offset + node.length)) : undefined;
}

function indentUnit(text: string): string {
  const match = /\n([ \t]+)"/.exec(text);
  return match?.[1]?.startsWith('\t') ? '\t' : ' '.repeat(Math.min(match?.[1]?.length ?? 2, 8) || 2);
}

function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? '';
}

/** JSON for `value`, indented as if it started at `indent`, with the file's unit and line ending. */
function render(value: unknown, indent: string, unit: string, eol: string): string {
  return JSON.stringify(value, null, unit).split('\n').join(`${eol}${indent}`);
}

/**
 * The file's new text with `keyPath` set to `value`: the value is replaced in place if present,
 * else inserted after the last member of the nearest existing object, creating the missing
 * parent objects. Nothing outside that range changes.
 */
export function withValue(snapshot: ConfigSnapshot, keyPath: readonly string[], value: unknown): string {
  const { text, eol } = snapshot;
  const unit = indentUnit(text);
  if (!snapshot.tree) {
    const nested = keyPath.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
    return `${render(nested, '', unit, eol)}${eol}`;
  }
  const existing = findNodeAtLocation(snapshot.tree, [...keyPath]);
  if (existing) {
    const property = existing.parent as Node;
    return (
      text.slice(0, existing.offset) +
      render(value, lineIndent(text, property.offset), unit, eol) +
      text.slice(existing.offset + existing.length)
    );
  }
  // The deepest object on the path that exists, and what is missing under it.
  let container = snapshot.tree;
  let depth = 0;
  for (; depth < keyPath.length - 1; depth++) {
    const next = findNodeAtLocation(container, [keyPath[depth] as string]);
    if (!next) break;
    if (next.type !== 'object') throw new Error(`${keyPath.slice(0, depth + 1).join('.')} in ${snapshot.path} is not an object`);
    container = next;
  }
  const missing = keyPath.slice(depth);
  const inserted = missing.slice(1).reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
  const members = container.children ?? [];
  const containerIndent = lineIndent(text, container.parent?.offset ?? container.offset);
  const memberIndent = members[0] ? lineIndent(text, members[0].offset) : `${containerIndent}${unit}`;
  const member = `"${missing[0]}": ${render(inserted, memberIndent, unit, eol)}`;
  const last = members.at(-1);
  const close = container.offset + container.length - 1;
  if (last) {
    // After the last member's line (keeping its trailing comma and comment with it), adding the
    // comma it lacks; on a one-line object, right after the member.
    const end = last.offset + last.length;
    const trailingComma = /^[ \t]*,/.exec(text.slice(end, close))?.[0] ?? '';
    const newline = text.indexOf('\n', end);
    const at = newline !== -1 && newline < close ? newline - (text[newline - 1] === '\r' ? 1 : 0) : end + trailingComma.length;
    return `${text.slice(0, end)}${trailingComma ? '' : ','}${text.slice(end, at)}${eol}${memberIndent}${member}${text.slice(at)}`;
  }
  // An object with only comments in it: they stay, and ours goes on a line after them.
  const lastBreak = text.lastIndexOf('\n', close);
  if (text.slice(container.offset + 1, close).trim() !== '' && lastBreak > container.offset) {
    const at = text[lastBreak - 1] === '\r' ? lastBreak - 1 : lastBreak;
    return `${text.slice(0, at)}${eol}${memberIndent}${member}${text.slice(at)}`;
  }
  // An empty object: open it up.
  return `${text.slice(0, container.offset + 1)}${eol}${memberIndent}${member}${eol}${containerIndent}${text.slice(close)}`;
}

/**
 * The file's text without the member at keyPath (its line, and the comma that went with it);
 * everything else byte for byte, so taking out what withValue put in gives back the original.
 * Only when our member was the last one and had no comma of its own is the comma before it
 * ambiguous: it is kept where the file ends other members with a comma too (JSONC's trailing
 * commas), else removed.
 */
export function withoutValue(snapshot: ConfigSnapshot, keyPath: readonly string[]): string {
  const { text } = snapshot;
  const value = snapshot.tree ? findNodeAtLocation(snapshot.tree, [...keyPath]) : undefined;
  const property = value?.parent;
  const container = property?.parent;
  if (!value || property?.type !== 'property' || !container) return text;
  const siblings = container.children ?? [];
  const index = siblings.indexOf(property);
  const end = property.offset + property.length;
  const ownComma = /^[ \t]*,/.exec(text.slice(end))?.[0] ?? '';
  /** Where the line of `offset` starts, when only blanks come before it there; else -1. */
  const startOfLine = (offset: number) => {
    const newline = text.lastIndexOf('\n', offset - 1);
    return /^[ \t]*$/.test(text.slice(newline + 1, offset)) ? newline + 1 : -1;
  };
  const next = siblings[index + 1];
  if (next) {
    // Not the last: out with its lines (or, on one line, up to the next member).
    const from = startOfLine(property.offset);
    const to = startOfLine(next.offset);
    return from !== -1 && to !== -1 ? text.slice(0, from) + text.slice(to) : text.slice(0, property.offset) + text.slice(next.offset);
  }
  const previous = siblings[index - 1];
  if (!previous) {
    // The only member: its line goes (comments beside it stay); an object left blank is {} again.
    const from = startOfLine(property.offset);
    const cut = from === -1 ? property.offset : from - (text[from - 2] === '\r' ? 2 : 1);
    const rest = text.slice(0, cut) + text.slice(end + ownComma.length);
    const close = container.offset + container.length - 1 - (end + ownComma.length - cut);
    return /^\s*$/.test(rest.slice(container.offset + 1, close)) ? rest.slice(0, container.offset + 1) + rest.slice(close) : rest;
  }
  const previousEnd = previous.offset + previous.length;
  const between = text.slice(previousEnd, property.offset);
  const newline = between.lastIndexOf('\n');
  // What followed the previous member on its line (a comment) stays; our line goes.
  let kept = newline === -1 ? '' : between.slice(0, between[newline - 1] === '\r' ? newline - 1 : newline);
  const trailingCommas = /,\s*(\/\/[^\n]*\s*)*[}\]]/.test(text.slice(0, previousEnd) + text.slice(end + ownComma.length));
  if (!ownComma && !trailingCommas) kept = kept.replace(/^([ \t]*),/, '$1');
  return text.slice(0, previousEnd) + kept + text.slice(end + ownComma.length);
}

export interface WriteResult {
  /** Where the previous content was saved; null when the file did not exist before. */
  backupPath: string | null;
  /** sha256 of what was written, to tell later whether someone changed it since. */
  writtenHash: string;
}

/** Millisecond resolution: two connects within one second keep two backups. */
function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-').slice(0, 19);
}

const KEEP_BACKUPS = 5;

/** Keeps the newest backups of a file; older ones of ours are removed. */
async function pruneBackups(path: string): Promise<void> {
  const prefix = `${basename(path)}.rabbitmq-mcp-`;
  const backups = (await readdir(dirname(path)).catch(() => [] as string[]))
    .filter((name) => name.startsWith(prefix) && name.endsWith('.bak'))
    .sort();
  for (const old of backups.slice(0, Math.max(0, backups.length - KEEP_BACKUPS))) await rm(join(dirname(path), old), { force: true });
}

/**
 * The file to write: a symbolic link is followed, so the write lands where the link points and
 * the link stays (dotfiles managed in a repository keep working).
 */
async function writeTarget(path: string): Promise<string> {
  try {
    return (await lstat(path)).isSymbolicLink() ? await realpath(path) : path;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw error;
  }
}

/** A folder where the file should be, or a file its owner made read-only on purpose: not ours to replace. */
function refuseUnwritable(path: string, existing: { mode: number; isDirectory(): boolean }): void {
  if (existing.isDirectory()) throw new ConfigUnreadableError(path, 'is a folder, not a settings file: move it away');
  if ((existing.mode & 0o200) === 0) {
    const mode = (existing.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigUnreadableError(path, `is read-only (mode ${mode}): make it writable to connect, or edit it by hand`);
  }
}

/**
 * Replaces a file's bytes atomically (a temporary file beside it, renamed over it), keeping its
 * mode and owner: a 0600 file holding other servers' secrets stays 0600 and its owner's. A
 * read-only file is refused: its owner made it so on purpose.
 */
async function replaceFile(path: string, bytes: Buffer, beforeRename?: () => Promise<void>): Promise<void> {
  const target = await writeTarget(path);
  const existing = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing?.isDirectory()) throw new ConfigUnreadableError(path, 'is a folder, not a settings file: move it away');
  if (existing && (existing.mode & 0o200) === 0) {
    throw new ConfigUnreadableError(
      path,
      `is read-only (mode ${(existing.mode & 0o777).toString(8).padStart(4, '0')}): make it writable to connect, or edit it by hand`,
    );
  }
  const mode = existing ? existing.mode & 0o777 : 0o600;
  await mkdir(dirname(target), { recursive: true });
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(bytes);
    // open() applies the umask; the file gets its old mode exactly, and its old owner when we may.
    await handle.chmod(mode);
    if (existing && process.getuid && (existing.uid !== process.getuid() || existing.gid !== process.getgid?.())) {
      await handle.chown(existing.uid, existing.gid).catch(() => undefined);
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await beforeRename?.();
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await rename(temporary, target);
}

/**
 * Writes the new text atomically after saving a timestamped backup (the last five are kept).
 * Refuses when the file no longer matches what was read. The BOM, mode, owner and a symbolic
 * link are kept.
 */
export async function writeConfig(snapshot: ConfigSnapshot, text: string, now = new Date()): Promise<WriteResult> {
  const bytes = Buffer.from(`${snapshot.bom ? BOM : ''}${text}`, 'utf8');
  const current = await readFile(snapshot.path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if ((current === null ? '' : sha256(current)) !== snapshot.hash) throw new ConfigConflictError(snapshot.path);
  let backupPath: string | null = null;
  if (current !== null) {
    refuseUnwritable(snapshot.path, await stat(await writeTarget(snapshot.path)));
    backupPath = `${snapshot.path}.rabbitmq-mcp-${stamp(now)}.bak`;
    await writeFile(backupPath, current, { mode: 0o600, flag: 'wx' });
  }
  try {
    await mkdir(dirname(snapshot.path), { recursive: true });
    // Last check right before the rename: a change in between is reported, not overwritten.
    await replaceFile(snapshot.path, bytes, async () => {
      const again = await readFile(snapshot.path).catch(() => null);
      if ((again === null ? '' : sha256(again)) !== snapshot.hash) throw new ConfigConflictError(snapshot.path);
    });
  } catch (error) {
    // Nothing was written, so this attempt's backup holds the file as it still is: not kept, or
    // every failed try (a link into a folder we may not write, a client saving meanwhile) left one.
    if (backupPath) await rm(backupPath, { force: true });
    throw error;
  } finally {
    await pruneBackups(snapshot.path);
  }
  return { backupPath, writtenHash: sha256(bytes) };
}

/** Puts the file back as it was before a write: the backup's bytes, or no file if there was none. */
export async function restoreConfig(path: string, backupPath: string | null, expectedHash: string): Promise<void> {
  const current = await readFile(path).catch(() => null);
  if (current !== null && sha256(current) !== expectedHash) {
    throw new ConfigConflictError(path);
  }
  if (backupPath === null) {
    await rm(await writeTarget(path), { force: true });
    return;
  }
  await replaceFile(path, await readFile(backupPath));
}
