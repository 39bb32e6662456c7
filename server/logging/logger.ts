import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/settings.js';
import type { DailyLogFile } from './daily-log-file.js';
import type { Scrubber } from './secret-scrubber.js';

export type { Logger };

/**
 * JSON lines on stderr (stdout belongs to the MCP protocol in stdio mode) and, with LOG_DIR, in
 * daily files. Every line passes the scrubber before it is written anywhere.
 */
export function createLogger(options: { level: LogLevel; scrub: Scrubber; write?: (line: string) => void; file?: DailyLogFile }): Logger {
  const write = options.write ?? ((line: string) => writeSync(2, line));
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
