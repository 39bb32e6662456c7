// The licences of what ships: the packages the bundlers actually put into dist/ (esbuild's
// metafiles for the server, the stdio entry and Electron's main process; the window's source
// maps for what Vite bundled), plus Electron itself. Written to dist/licences/ (licences.json
// for the About box, THIRD-PARTY-LICENSES.txt to read), shipped as a resource.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

/** The package folder of a bundled file: …/node_modules/(@scope/)name. */
export function packageDirOf(file) {
  const parts = resolve(file).split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return null;
  const length = parts[at + 1]?.startsWith('@') ? 3 : 2;
  return parts.slice(0, at + length).join(sep);
}

/** The inputs Vite bundled into the window, from its source maps. */
export async function rendererInputs(assets) {
  const inputs = [];
  for (const name of (await readdir(assets).catch(() => [])).filter((file) => file.endsWith('.js.map'))) {
    const map = JSON.parse(await readFile(join(assets, name), 'utf8'));
    for (const source of map.sources ?? []) inputs.push(resolve(assets, map.sourceRoot ?? '', source));
  }
  return inputs;
}

async function licenceText(dir) {
  const names = (await readdir(dir)).filter((name) => /^(licen[cs]e|copying|notice)([.-].*)?$/i.test(name)).sort();
  const texts = [];
  for (const name of names) texts.push((await readFile(join(dir, name), 'utf8')).trim());
  return texts.join('\n\n');
}

function licenceName(manifest) {
  if (typeof manifest.license === 'string') return manifest.license;
  if (manifest.license?.type) return manifest.license.type;
  if (Array.isArray(manifest.licenses)) return manifest.licenses.map((entry) => entry.type ?? entry).join(' OR ');
  return 'UNKNOWN';
}

export async function writeLicences({ inputs, outdir, extraPackages = [], app }) {
  const dirs = new Set(extraPackages.map((name) => resolve('node_modules', name)));
  for (const input of inputs) {
    const dir = packageDirOf(input);
    if (dir) dirs.add(dir);
  }
  const packages = new Map();
  for (const dir of dirs) {
    if (!existsSync(join(dir, 'package.json'))) continue;
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const key = `${manifest.name}@${manifest.version}`;
    if (packages.has(key)) continue;
    packages.set(key, { name: manifest.name, version: manifest.version, license: licenceName(manifest), text: await licenceText(dir) });
  }
  const list = [...packages.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  const missing = list.filter((entry) => entry.license === 'UNKNOWN');
  if (missing.length) throw new Error(`no licence named in package.json of ${missing.map((entry) => entry.name).join(', ')}`);
  await mkdir(outdir, { recursive: true });
  await writeFile(join(outdir, 'licences.json'), `${JSON.stringify({ app, packages: list }, null, 1)}\n`);
  const text = list.map(
    (entry) =>
      `${entry.name} ${entry.version} (${entry.license})\n\n${entry.text || `Licensed under ${entry.license}; the package ships no licence file.`}\n`,
  );
  await writeFile(join(outdir, 'THIRD-PARTY-LICENSES.txt'), `${app.name} ships these packages:\n\n${text.join(`\n${'-'.repeat(72)}\n\n`)}`);
  return { count: list.length, file: relative('.', join(outdir, 'licences.json')) };
}
