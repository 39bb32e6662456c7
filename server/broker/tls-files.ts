import { readFileSync } from 'node:fs';
import type { TlsFiles } from '../config/load-config.js';

export interface TlsSocketOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

/** Reads the PEM files named by the config (checked readable at start). */
export function readTlsFiles(files: TlsFiles): TlsSocketOptions {
  return {
    ca: files.ca ? readFileSync(files.ca) : undefined,
    cert: files.cert ? readFileSync(files.cert) : undefined,
    key: files.key ? readFileSync(files.key) : undefined,
    rejectUnauthorized: files.verify,
  };
}
