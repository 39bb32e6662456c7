// Bundles the server into one file: no node_modules lookups at start-up, so it starts fast and
// the packed npm tarball (and the desktop app) need no runtime dependencies.
//
//   node scripts/build.mjs              everything: server, library, desktop app, window
//   node scripts/build.mjs server       the server's bundle only (dist/server: the Docker image)
//   node scripts/build.mjs package      what the npm tarball holds (dist/server, dist/lib: prepack)
//   --no-renderer                       everything but the window (Vite)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';
import { rendererInputs, writeLicences } from './licences.mjs';

const outdir = 'dist/server';
const libdir = 'dist/lib';

/**
 * zod re-exports all its ~50 message locales as a namespace, which defeats tree shaking and adds
 * a quarter of a megabyte to parse at every start. The server only ever uses English (zod's
 * default), so the namespace is narrowed to it.
 */
/**
 * The SDK's Server and Client each construct an ajv JSON Schema engine unless given a validator.
 * Ours pass their own (server/mcp/elicitation-validator.ts: the server, and the stdio entry's
 * server and client), so ajv, its formats and fast-uri (150 kB, once per SDK package) are left
 * out of the bundles; the stub fails loudly if anything ever asks for it.
 */
const noAjvProvider = {
  name: 'no-ajv-provider',
  setup(build) {
    // SDK v2: each package's Node shim re-exports its own copy of the ajv validator as the default one.
    build.onResolve({ filter: /\/ajvProvider-[\w-]+\.mjs$/ }, (args) =>
      /@modelcontextprotocol\/(server|client)\//.test(args.importer) ? { path: 'ajv-provider', namespace: 'no-ajv' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'no-ajv' }, () => ({
      contents: "export class n { constructor() { throw new Error('ajv is not bundled: pass jsonSchemaValidator'); } }",
      loader: 'js',
    }));
  },
};

const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/zod/`) ? { path: 'zod-locales', namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};
/**
 * Node's built-ins required by their bare names (electron-updater and its fs-extra, 'fs',
 * 'constants'…) are required as 'node:…' in the desktop bundle: the same modules, and the bundle
 * is seen at a glance to need nothing outside Electron and Node (test/packaging.test.ts).
 */
const prefixedNodeBuiltins = {
  name: 'prefixed-node-builtins',
  setup(build) {
    const bare = new Set(builtinModules.filter((name) => !name.startsWith('_')));
    build.onResolve({ filter: /^[a-z_/]+$/ }, (args) => (bare.has(args.path) ? { path: `node:${args.path}`, external: true } : undefined));
  },
};

const TARGETS = ['all', 'server', 'package'];
const target = process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 'all';
if (!TARGETS.includes(target)) {
  console.error(`unknown build target "${target}": use one of ${TARGETS.join(', ')}`);
  process.exit(2);
}

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
  plugins: [englishOnlyZodLocales, noAjvProvider],
  // amqplib and pino are CommonJS and require() Node built-ins; give the ESM bundle a require.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};

// Licences: every esbuild build records the files it bundled (its metafile), for writeLicences.
const bundledInputs = new Set();
shared.plugins.push({
  name: 'record-bundled-inputs',
  setup(build) {
    build.initialOptions.metafile = true;
    build.onEnd((result) => {
      for (const input of Object.keys(result.metafile?.inputs ?? {})) bundledInputs.add(input.replace(/^[\w-]+:/, ''));
    });
  },
});

/** The bin needs a shebang; esbuild's banner would put it on every chunk. */
async function addShebang(file) {
  await writeFile(file, `#!/usr/bin/env node\n${await readFile(file, 'utf8')}`);
}

// The CLI: everything `initialize` needs in one file; amqplib, the HTTP transport and
// OpenTelemetry become chunks loaded on first use.
await build({
  ...shared,
  entryPoints: { 'rabbitmq-mcp-server': 'server/cli.ts' },
  outdir,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
});

await addShebang(`${outdir}/rabbitmq-mcp-server.mjs`);
await chmod(`${outdir}/rabbitmq-mcp-server.mjs`, 0o755);
if (target === 'server') process.exit(0);

// The library entry that mounts the HTTP handler in another app (package.json "exports").
await rm(libdir, { recursive: true, force: true });
await build({
  ...shared,
  entryPoints: { index: 'server/index.ts' },
  outdir: libdir,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
});
// Type declarations of the library entry for TypeScript users.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.lib.json'], { stdio: 'inherit' });
if (target === 'package') process.exit(0);

// The stdio entry the desktop app ships for AI clients to launch: small, no dependencies.
await rm('dist/app', { recursive: true, force: true });
await build({
  ...shared,
  entryPoints: { 'stdio-entry': 'electron/stdio-entry/stdio-entry.ts' },
  outdir: 'dist/app',
  outExtension: { '.js': '.mjs' },
});

// The uninstallers' clean-up (build/uninstall/): our entries out of the AI clients' settings.
await build({
  ...shared,
  entryPoints: { 'remove-client-entries': 'electron/uninstall/remove-client-entries.ts' },
  outdir: 'dist/app',
  outExtension: { '.js': '.mjs' },
  mainFields: ['module', 'main'], // jsonc-parser: see the desktop app's build below
});

// The desktop app: Electron's main process and the preload, CommonJS (a sandboxed preload must
// be), with electron-store and the app's logic bundled in; the window is built by Vite; the tray
// icons are copied so dist/ has the packaged app's resources layout (renderer/, app/, server/,
// tray/) and `npm run app` runs from a checkout.
await rm('dist/electron', { recursive: true, force: true });
await build({
  ...shared,
  entryPoints: { main: 'electron/main.ts', preload: 'electron/preload.ts' },
  outdir: 'dist/electron',
  format: 'cjs',
  banner: {},
  external: ['electron'],
  plugins: [...shared.plugins, prefixedNodeBuiltins],
  // ESM builds first: jsonc-parser's "main" is a UMD build whose require() calls of its own files
  // esbuild cannot see, so main.cjs threw "Cannot find module './impl/format'" on load.
  mainFields: ['module', 'main'],
  outExtension: { '.js': '.cjs' },
});
// `electron dist/electron` (npm run app) reads this; the packaged app gets the same names from
// electron-builder.yml, so both keep their data in the same "RabbitMQ MCP" folder.
const { version } = JSON.parse(await readFile('package.json', 'utf8'));
await writeFile(
  'dist/electron/package.json',
  `${JSON.stringify({ name: 'rabbitmq-mcp', productName: 'RabbitMQ MCP', version, main: 'main.cjs' }, null, 2)}\n`,
);
await rm('dist/tray', { recursive: true, force: true });
await cp('build/tray', 'dist/tray', { recursive: true });
if (!process.argv.includes('--no-renderer')) {
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
}
// The licences of what ships, for the About box (dist/licences, an extra resource).
if (!process.argv.includes('--no-renderer') || !existsSync('dist/licences/licences.json')) {
  const manifest = JSON.parse(await readFile('package.json', 'utf8'));
  const repository = manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  await writeLicences({
    inputs: [...bundledInputs, ...(await rendererInputs('dist/renderer/assets'))],
    outdir: 'dist/licences',
    extraPackages: ['electron'],
    app: { name: 'RabbitMQ MCP', license: manifest.license, repository, docs: `${repository}#readme`, issues: manifest.bugs.url },
  });
}
