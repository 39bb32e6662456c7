import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The bundled server that `npm run build` writes and the npm bin points at. */
export const SERVER_BIN = fileURLToPath(new URL('../../dist/server/rabbitmq-mcp-server.mjs', import.meta.url));

export async function ensureBuilt(): Promise<void> {
  try {
    await access(SERVER_BIN);
  } catch {
    throw new Error(`${SERVER_BIN} is missing: run \`npm run build\` first (\`npm test\` does).`);
  }
}
