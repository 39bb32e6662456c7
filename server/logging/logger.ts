import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/settings.js';
import type { Scrubber } from './secret-scrubber.js';

export type { Logger };

/**
 * JSON lines on stderr (stdout belongs to the MCP protocol in stdio mode). Every line passes the
 * scrubber before it is written.
 */
export function createLogger(options: { level: LogLevel; scrub: Scrubber; fd?: number }): Logger {
  const fd = options.fd ?? 2;
  const destination = {
    write(line: string) {
      writeSync(fd, options.scrub(line));
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
