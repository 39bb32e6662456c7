import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The bundled server that `npm run build` writes and the npm bin points at. */
export const SERVER_BIN = fileURLToPath(new URL('../../dist/server/rabbitmq-mcp-server.mjs', import.meta.url));

/**
 * The Node that runs the built server in the end-to-end tests: TEST_SERVER_NODE (the vitest
 * project "server on Node 24" sets it), else the one running the tests.
 */
export const SERVER_NODE = process.env.TEST_SERVER_NODE || process.execPath;

export async function ensureBuilt(): Promise<void> {
  try {
    await access(SERVER_BIN);
  } catch {
    throw new Error(`${SERVER_BIN} is missing: run \`npm run build\` first (\`npm test\` does).`);
  }
}
