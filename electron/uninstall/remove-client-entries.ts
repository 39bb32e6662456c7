/**
 * What the uninstallers run (the app's binary as Node, ELECTRON_RUN_AS_NODE=1) before the app's
 * files go: `remove-client-entries.mjs --remove-client-entries` takes this app's entry out of
 * every AI client's settings of the user it runs as, each with the usual backup, and leaves
 * everything else in those files byte for byte. It prints one line per client and exits 1 when
 * one could not be changed; the uninstall scripts never fail on it.
 */
import { homedir } from 'node:os';
import { ClientSetup } from '../core/clients/client-setup.js';

const FLAG = '--remove-client-entries';

async function main(): Promise<number> {
  if (!process.argv.slice(2).includes(FLAG)) {
    process.stderr.write(
      `usage: remove-client-entries.mjs ${FLAG}\n  Removes RabbitMQ MCP's entry from every AI client's settings of this user (with a backup).\n`,
    );
    return 2;
  }
  const os = process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux';
  const setup = new ClientSetup({
    platform: { os, home: process.env.HOME || homedir(), env: process.env },
    // Nothing is connected from here: only removed.
    launch: { command: '', args: [], env: {} },
    records: { get: () => undefined, set: () => undefined, delete: () => undefined },
    commands: { find: async () => null, run: async () => undefined },
  });
  const results = await setup.disconnectAll();
  for (const result of results) process.stdout.write(`${result.outcome}: ${result.message}\n`);
  return results.some((result) => result.outcome === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`RabbitMQ MCP: could not remove the AI client entries: ${error.message}\n`);
    process.exit(1);
  },
);
