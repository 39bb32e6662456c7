// `npm run app`: starts the desktop app from a checkout. Installs run with scripts off (.npmrc),
// so Electron's binary is fetched here, on first use, rather than on every `npm ci`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const binaryMarker = 'node_modules/electron/path.txt';
if (!existsSync(binaryMarker)) {
  console.log('Downloading the Electron binary (once)…');
  try {
    execFileSync(process.execPath, ['node_modules/electron/install.js'], { stdio: 'inherit' });
  } catch {
    console.error('Could not download Electron. Check the internet connection (or ELECTRON_MIRROR), then run `npm run app` again.');
    process.exit(1);
  }
}
const { default: electron } = await import('electron');
const child = spawn(electron, ['dist/electron', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
