import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/settings.js';
import type { DailyLogFile } from './daily-log-file.js';
import type { Scrubber } from './secret-scrubber.js';

export type { Logger };

/**
 * Writes everything to `fd`, waiting out a full pipe (stderr may be a non-blocking pipe whose
 * reader is slow) for up to a second before giving the lines up: a reader that stopped reading
 * must not stop the server.
 */
function writeAll(fd: number, text: string): void {
  let bytes = Buffer.from(text);
  const giveUpAt = Date.now() + 1000;
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (error) {
      // Closed, or still full after a second: nowhere to log.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > giveUpAt) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

let pending: string[] = [];
let flushScheduled = false;
let flushOnExit = false;

function flushStderr(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const text = pending.join('');
  pending = [];
  writeAll(2, text);
}

/**
 * stderr in one write per turn of the event loop for the lines logged during it (a busy HTTP
 * server logs a line per request: a write each cost 4 % of its time), and what is pending when
 * the process exits, however it exits short of a kill.
 */
function toStderr(line: string): void {
  pending.push(line);
  if (flushScheduled) return;
  if (!flushOnExit) {
    flushOnExit = true;
    process.on('exit', flushStderr);
  }
  flushScheduled = true;
  setImmediate(flushStderr);
}

/**
 * JSON lines on stderr (stdout belongs to the MCP protocol in stdio mode) and, with LOG_DIR, in
 * daily files. Every line passes the scrubber before it is written anywhere.
 */
export function createLogger(options: {
  level: LogLevel;
  scrub: Scrubber;
  write?: (line: string) => void;
  file?: DailyLogFile;
  /** Lines to stderr once per turn of the event loop (the HTTP server), rather than each at once. */
  batched?: boolean;
}): Logger {
  const write = options.write ?? (options.batched ? toStderr : (line: string) => writeAll(2, line));
  const { file } = options;
  const destination = {
    write(line: string) {
      const clean = options.scrub(line);
      write(clean);
      file?.write(clean);
    },
  };
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'token'], censor: '[REDACTED]' },
    },
    destination,
  );
}
