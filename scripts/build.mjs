// Bundles the server into one file: no node_modules lookups at start-up, so it starts fast and
// the packed npm tarball (and the desktop app) need no runtime dependencies.
import { chmod, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const outdir = 'dist/server';
await rm(outdir, { recursive: true, force: true });

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  // amqplib and pino are CommonJS and require() Node built-ins; give the ESM bundle a require.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};

await build({
  ...shared,
  entryPoints: { 'rabbitmq-mcp-server': 'server/cli.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  banner: { js: `#!/usr/bin/env node\n${shared.banner.js}` },
});
await chmod(`${outdir}/rabbitmq-mcp-server.mjs`, 0o755);
