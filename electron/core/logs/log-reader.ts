import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry, LogQuery } from '../../shared/contract.js';

export type { LogEntry, LogLevel, LogQuery } from '../../shared/contract.js';

const RANK: Record<string, number> = { trace: 5, debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };
const FILE = /^(.+)-(\d{4}-\d{2}-\d{2})\.log$/;

function parse(line: string, fileSource: string): LogEntry | null {
  try {
    const { time, level, msg, source, ...fields } = JSON.parse(line) as Record<string, unknown>;
    return {
      time: String(time ?? ''),
      level: (typeof level === 'number'
        ? (Object.entries(RANK).find(([, rank]) => rank === level)?.[0] ?? 'info')
        : String(level ?? 'info')) as LogEntry['level'],
      source: typeof source === 'string' ? source : fileSource,
      msg: String(msg ?? ''),
      fields,
    };
  } catch {
    return null;
  }
}

/**
 * The JSON log files in LOG_DIR (the supervised server's, the stdio entries', the app's) as one
 * stream, newest last: tail with a level filter and a search, and export what is shown.
 */
export class LogReader {
  #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async tail(query: LogQuery = {}): Promise<LogEntry[]> {
    const limit = Math.min(query.limit ?? 200, 5000);
    const minimum = RANK[query.level ?? 'debug'] ?? 0;
    const search = query.search?.toLowerCase();
    const files = (await readdir(this.#dir).catch(() => [] as string[]))
      .map((name) => ({ name, match: FILE.exec(name) }))
      .filter((file): file is { name: string; match: RegExpExecArray } => file.match !== null)
      .sort((a, b) => (b.match[2] as string).localeCompare(a.match[2] as string));
    const entries: LogEntry[] = [];
    // Newest day first, until enough lines match; then in time order.
    for (let index = 0; index < files.length && entries.length < limit;) {
      const day = files[index]?.match[2];
      const sameDay = files.filter((file) => file.match[2] === day);
      index += sameDay.length;
      const dayEntries: LogEntry[] = [];
      for (const file of sameDay) {
        const text = await readFile(join(this.#dir, file.name), 'utf8').catch(() => '');
        for (const line of text.split('\n')) {
          if (!line || (search && !line.toLowerCase().includes(search))) continue;
          const entry = parse(line, file.match[1] as string);
          if (entry && (RANK[entry.level] ?? 0) >= minimum) dayEntries.push(entry);
        }
      }
      dayEntries.sort((a, b) => a.time.localeCompare(b.time));
      entries.unshift(...dayEntries.slice(-(limit - entries.length)));
    }
    return entries;
  }

  /** Writes what `tail` would show to a file, one JSON line per entry. */
  async export(path: string, query: LogQuery = {}): Promise<{ path: string; count: number }> {
    const entries = await this.tail({ ...query, limit: query.limit ?? 5000 });
    await writeFile(
      path,
      entries
        .map((entry) => JSON.stringify({ time: entry.time, level: entry.level, source: entry.source, msg: entry.msg, ...entry.fields }))
        .join('\n') + (entries.length ? '\n' : ''),
      { mode: 0o600 },
    );
    return { path, count: entries.length };
  }
}
