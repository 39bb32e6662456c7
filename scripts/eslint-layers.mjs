/**
 * The layers of the code, as an ESLint rule: each layer imports only from the layers below it.
 *
 *   server:   config ← logging ← telemetry ← broker ← tools ← mcp ← transports ← cli, index
 *             (fleet, the state instances share through Redis, sits on logging, under mcp)
 *   electron: shared ← core (which may use the server's config, logging, telemetry and broker)
 *             ← shell, stdio-entry ← main, preload
 *   renderer: only electron/shared
 *
 * A file in no layer (tests, benchmarks, scripts) may import anything. server/version.ts,
 * package.json, server/mcp/app-approval.ts (the messages between the desktop app and the server
 * it runs, types and guards with no imports), the elicitation validator and the stdin size guard
 * are leaves anyone may read.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SERVER_BELOW_TOOLS = ['server/config', 'server/logging', 'server/telemetry', 'server/broker'];

/** Each layer by folder (or file), with the layers it may import besides its own. */
const LAYERS = {
  'server/config': [],
  'server/logging': ['server/config'],
  'server/telemetry': ['server/config', 'server/logging'],
  'server/broker': ['server/config', 'server/logging', 'server/telemetry'],
  'server/fleet': ['server/config', 'server/logging'],
  'server/tools': [...SERVER_BELOW_TOOLS],
  'server/mcp': [...SERVER_BELOW_TOOLS, 'server/fleet', 'server/tools'],
  'server/transports': [...SERVER_BELOW_TOOLS, 'server/fleet', 'server/tools', 'server/mcp'],
  'server/cli.ts': [...SERVER_BELOW_TOOLS, 'server/fleet', 'server/tools', 'server/mcp', 'server/transports'],
  'server/index.ts': [...SERVER_BELOW_TOOLS, 'server/fleet', 'server/tools', 'server/mcp', 'server/transports'],
  'electron/shared': [],
  'electron/core': ['electron/shared', ...SERVER_BELOW_TOOLS],
  // The entry's own tools (list_brokers, switch_broker) are defined like the server's.
  'electron/stdio-entry': ['electron/core', 'electron/shared', ...SERVER_BELOW_TOOLS, 'server/tools'],
  'electron/shell': ['electron/core', 'electron/shared'],
  'electron/safe-storage-secret-store.ts': ['electron/core'],
  'electron/main.ts': ['electron/core', 'electron/shell', 'electron/shared', 'electron/safe-storage-secret-store.ts'],
  'electron/preload.ts': ['electron/shell', 'electron/shared'],
  'renderer/src': ['electron/shared'],
};

const LEAVES = new Set([
  'server/version.ts',
  'package.json',
  'server/mcp/app-approval.ts',
  // No imports but types and node:stream: the app's stdio entry answers and guards like the server.
  'server/mcp/elicitation-validator.ts',
  'server/mcp/ask-yes-no.ts',
  'server/transports/stdio/stdio-line-guard.ts',
]);

/** The layer a repository path belongs to: the longest folder or file of LAYERS that holds it. */
function layerOf(path) {
  let found;
  for (const layer of Object.keys(LAYERS)) {
    if ((path === layer || path.startsWith(`${layer}/`)) && (!found || layer.length > found.length)) found = layer;
  }
  return found;
}

/** Where an import lands, as a repository path with the .ts the source names as .js. */
function importedPath(file, source) {
  const absolute = resolve(dirname(file), source).replace(/\.js$/, '.ts');
  return relative(ROOT, absolute).split('\\').join('/');
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Each layer imports only from the layers below it (see scripts/eslint-layers.mjs).' },
    schema: [],
    messages: {
      upward: "{{from}} may not import from {{to}} ('{{source}}'): it may use {{allowed}}. Move the shared code down a layer.",
    },
  },
  create(context) {
    const file = relative(ROOT, context.filename).split('\\').join('/');
    const from = layerOf(file);
    if (!from) return {};
    const allowed = LAYERS[from];
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = importedPath(context.filename, source.value);
      if (LEAVES.has(target)) return;
      const to = layerOf(target) ?? target;
      if (to === from || allowed.includes(to)) return;
      context.report({
        node: source,
        messageId: 'upward',
        data: { from, to, source: source.value, allowed: allowed.length > 0 ? allowed.join(', ') : 'nothing outside itself' },
      });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { 'imports-go-down': rule } };
