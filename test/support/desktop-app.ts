import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, matchesGlob, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse, stringify } from 'yaml';
import type { StandInRecord } from './electron-stand-in.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface BuilderConfig {
  extraMetadata: { main: string };
  files: string[];
  extraResources: { from: string; to: string; filter?: string[] }[];
  publish?: Record<string, unknown>;
}

/** electron-builder's file patterns: '!' excludes; no pattern means everything. */
function selected(path: string, patterns: readonly string[] | undefined): boolean {
  if (!patterns || patterns.length === 0) return true;
  let keep = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchesGlob(path, pattern.slice(1))) keep = false;
    } else if (matchesGlob(path, pattern)) keep = true;
  }
  return keep;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)));
}

/**
 * The packaged app's resources folder as electron-builder.yml lays it out, from what
 * `npm run build` produced: app.asar (here a folder: plain Node cannot read an archive) with the
 * files the config lists, and each extra resource copied through its filter.
 */
export function assemblePackagedApp(resources: string): { main: string; asar: string } {
  const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
  const asar = join(resources, 'app.asar');
  for (const pattern of config.files.filter((entry) => !entry.startsWith('!'))) {
    mkdirSync(dirname(join(asar, pattern)), { recursive: true });
    cpSync(join(ROOT, pattern), join(asar, pattern));
  }
  const manifest = JSON.parse(readFileSync(join(asar, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(asar, 'package.json'), JSON.stringify({ ...manifest, ...config.extraMetadata }));
  for (const resource of config.extraResources) {
    const from = join(ROOT, resource.from);
    for (const file of filesUnder(from)) {
      if (!selected(file, resource.filter)) continue;
      mkdirSync(dirname(join(resources, resource.to, file)), { recursive: true });
      cpSync(join(from, file), join(resources, resource.to, file));
    }
  }
  // What electron-builder writes for electron-updater when the config publishes releases.
  if (config.publish) {
    const { name } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string };
    writeFileSync(
      join(resources, 'app-update.yml'),
      stringify({ ...config.publish, updaterCacheDirName: `${name.toLowerCase()}-updater` }),
    );
  }
  return { main: join(asar, config.extraMetadata.main), asar };
}

/** The stand-in for `electron`, bundled into one CommonJS file that `node --require` loads. */
export async function bundleStandIn(folder: string): Promise<string> {
  const outfile = join(folder, 'electron-stand-in.cjs');
  await build({
    entryPoints: [join(ROOT, 'test/support/electron-stand-in.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

export interface RunningApp {
  child: ChildProcess;
  startedAt: number;
  records: StandInRecord[];
  exited: Promise<number | null>;
  /** Calls window.rabbitmqMcp.<path>(...args) in the window, through the preload and ipcMain. */
  call<T = unknown>(path: string, ...args: unknown[]): Promise<T>;
  click(label: string): Promise<void>;
  /** Presses a button of the open message box (dialog.showMessageBox), as the person would. */
  answerDialog(label: string): Promise<void>;
  quit(): Promise<void>;
  /** Resolves with the first record (already there or to come) that matches. */
  waitFor(match: (record: StandInRecord) => boolean, what: string, timeoutMs?: number): Promise<StandInRecord>;
  stderr(): string;
}

/**
 * Starts the built main.cjs under plain Node with the stand-in, as the app's binary would; or
 * `command`, a launcher that does so itself (the AppImage stand-in), keeping the IPC channel.
 */
export function startDesktopApp(
  options:
    { main: string; standIn: string; env: Record<string, string>; args?: string[] } | { command: string; env: Record<string, string> },
): RunningApp {
  const startedAt = Date.now();
  const [command, args] =
    'command' in options
      ? [options.command, []]
      : [process.execPath, ['--require', options.standIn, options.main, ...(options.args ?? [])]];
  const child = spawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // The end says what went wrong; a crash in a minified bundle prints a very long first line.
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.stdout?.resume();
  const records: StandInRecord[] = [];
  const waiters = new Set<() => void>();
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.on('message', (message: { record?: StandInRecord; id?: number; ok?: boolean; value?: unknown; error?: string }) => {
    if (message.record) {
      records.push(message.record);
      for (const wake of waiters) wake();
      return;
    }
    const waiter = pending.get(message.id ?? -1);
    if (!waiter) return;
    pending.delete(message.id ?? -1);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(message.error));
  });
  void exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the app exited; its stderr:\n${stderr}`));
    for (const wake of waiters) wake();
  });
  const send = (command: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, ...command });
    });
  return {
    child,
    startedAt,
    records,
    exited,
    call: (path, ...args) => send({ op: 'call', path, args }) as Promise<never>,
    click: async (label) => {
      await send({ op: 'click', label });
    },
    quit: async () => {
      await send({ op: 'quit' }).catch(() => undefined);
    },
    answerDialog: async (label) => {
      await send({ op: 'answer-dialog', label });
    },
    waitFor: (match, what, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = records.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`the app exited before ${what}; its stderr:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; its stderr:\n${stderr}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    stderr: () => stderr,
  };
}

/**
 * An AppImage as the app's users run it, standing in for the real one: each run copies the app
 * into a new `.mount_XXXXXX` folder, sets APPIMAGE and APPDIR, runs it (as Node when
 * ELECTRON_RUN_AS_NODE is set, else the main process under the electron stand-in), and removes
 * the folder when it exits, as the AppImage runtime unmounts its image.
 */
export function writeAppImage(file: string, options: { content: string; mounts: string; standIn: string }): void {
  const script = `#!/bin/sh
mount=$(mktemp -d ${JSON.stringify(`${options.mounts}/.mount_XXXXXX`)})
cp -R ${JSON.stringify(options.content)}/. "$mount"/
export APPIMAGE=${JSON.stringify(file)} APPDIR="$mount" STAND_IN_RESOURCES="$mount/resources" STAND_IN_PACKAGED=1
if [ -n "$ELECTRON_RUN_AS_NODE" ]; then
  ${JSON.stringify(process.execPath)} "$@"
else
  ${JSON.stringify(process.execPath)} --require ${JSON.stringify(options.standIn)} "$mount/resources/app.asar/dist/electron/main.cjs" "$@"
fi
code=$?
rm -rf "$mount"
exit $code
`;
  writeFileSync(file, script, { mode: 0o755 });
}

/** Every process whose command line mentions the folder: what must be gone after Quit. */
export function processesUnder(folder: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .filter((line) => line.includes(folder) && !line.includes('ps -eo'))
    .map((line) => line.trim());
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
