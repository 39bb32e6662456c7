import { closeSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DailyLogFileOptions {
  dir: string;
  /** Files are named `<prefix>-YYYY-MM-DD.log` (UTC dates). */
  prefix: string;
  retentionDays: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * JSON log lines appended to one file per day. At each new day (and at start) files of this
 * prefix older than the retention are deleted. Appends are O_APPEND writes of whole lines, so
 * several processes may share a folder and even a file.
 */
export class DailyLogFile {
  #options: Required<DailyLogFileOptions>;
  #fd: number | null = null;
  #day = '';
  #failed = false;

  constructor(options: DailyLogFileOptions) {
    this.#options = { ...options, now: options.now ?? (() => new Date()) };
    mkdirSync(options.dir, { recursive: true });
    this.#open();
  }

  get path(): string {
    return join(this.#options.dir, `${this.#options.prefix}-${this.#day}.log`);
  }

  write(line: string): void {
    if (day(this.#options.now()) !== this.#day) this.#open();
    if (this.#fd === null) return;
    try {
      writeSync(this.#fd, line);
    } catch (error) {
      if (!this.#failed) process.stderr.write(`rabbitmq-mcp-server: cannot write ${this.path}: ${(error as Error).message}\n`);
      this.#failed = true;
    }
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #open(): void {
    this.close();
    this.#day = day(this.#options.now());
    this.#fd = openSync(this.path, 'a', 0o640);
    this.#prune();
  }

  #prune(): void {
    const oldest = day(new Date(this.#options.now().getTime() - this.#options.retentionDays * DAY_MS));
    const pattern = new RegExp(`^${this.#options.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{4}-\\d{2}-\\d{2})\\.log$`);
    for (const name of readdirSync(this.#options.dir)) {
      const match = pattern.exec(name);
      if (match && (match[1] as string) < oldest) {
        try {
          unlinkSync(join(this.#options.dir, name));
        } catch {
          // Another process pruned it first.
        }
      }
    }
  }
}
