import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/settings.js';
import type { Scrubber } from './secret-scrubber.js';

export type { Logger };

/**
 * JSON lines on stderr (stdout belongs to the MCP protocol in stdio mode). Every line passes the
 * scrubber before it is written.
 */
export function createLogger(options: { level: LogLevel; scrub: Scrubber; write?: (line: string) => void }): Logger {
  const write = options.write ?? ((line: string) => writeSync(2, line));
  const destination = {
    write(line: string) {
      write(options.scrub(line));
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
