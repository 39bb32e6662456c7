import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';

/** The Dockerfile's ENTRYPOINT (exec form) as its argument list, e.g. ['node', '--flag', 'dist/…']. */
export function dockerEntrypoint(dockerfile = readFileSync('Dockerfile', 'utf8')): string[] {
  const exec = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (!exec) throw new Error('the Dockerfile has no ENTRYPOINT in exec form (ENTRYPOINT ["node", …])');
  return JSON.parse(exec) as string[];
}

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments (and parser directives) dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === null && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending !== null && line.trimStart().startsWith('#')) return; // comments inside a continuation
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending = pending ? { text: `${pending.text} ${body.trim()}`, line: pending.line } : { text: body.trim(), line: index + 1 };
    if (continued) return;
    const match = /^(\w+)\s+(.*)$/s.exec(pending.text);
    if (!match) throw new Error(`Dockerfile line ${pending.line}: cannot read "${pending.text}"`);
    instructions.push({ keyword: (match[1] as string).toUpperCase(), args: (match[2] as string).trim(), line: pending.line });
    pending = null;
  });
  return instructions;
}

/** ENV in its key=value form (several per instruction, values optionally quoted). */
function parseEnv(args: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const match of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = match[2] as string;
    pairs.push([match[1] as string, value.startsWith('"') ? (JSON.parse(value) as string) : value]);
  }
  if (pairs.length === 0) throw new Error(`ENV ${args}: only the key=value form is replayed`);
  return pairs;
}

/** A .dockerignore pattern as a matcher of context-relative paths (a match excludes the path and all below it). */
function ignoreMatcher(pattern: string): (path: string) => boolean {
  const source = pattern
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map((segment) =>
      segment === '**'
        ? '.*'
        : segment
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('[^/]*'),
    )
    .join('/');
  const regex = new RegExp(`^${source}(/.*)?$`);
  return (path) => regex.test(path);
}

export interface ReplayedImage {
  /** The last stage's file system root on this machine (the image's `/`). */
  root: string;
  /** The last stage's WORKDIR as a path on this machine. */
  workdir: string;
  /** ENV of the last stage, in order. */
  env: Record<string, string>;
  entrypoint: string[];
  healthcheck: { options: Record<string, string>; command: string[] } | null;
  exposed: number[];
  user: string | null;
  /** Where each stage's root is, by number and by name (as COPY --from names them). */
  stages: Map<string, string>;
}

interface Stage {
  root: string;
  workdir: string;
  env: Record<string, string>;
}

/**
 * Replays a Dockerfile without a Docker engine: each stage starts in an empty folder (its base
 * image is the tools this machine has, with `node` and `npm` first on PATH from `nodeBin`), COPY
 * takes from the build context minus .dockerignore or from an earlier stage's folder, RUN runs in
 * a shell in the WORKDIR with the stage's ENV. What it cannot replay faithfully (ADD, ARG, a
 * shell-form ENTRYPOINT) fails loudly rather than being skipped.
 */
export async function replayDockerfile(
  context: string,
  options: { nodeBin: string; log?: (line: string) => void },
): Promise<ReplayedImage> {
  const instructions = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const ignored = existsSync(join(context, '.dockerignore'))
    ? readFileSync(join(context, '.dockerignore'), 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'))
        .map(ignoreMatcher)
    : [];
  const isIgnored = (path: string) => ignored.some((matches) => matches(path));
  const base = mkdtempSync(join(tmpdir(), 'mcp-docker-replay-'));
  const stages = new Map<string, string>();
  let count = 0;
  let stage: Stage | null = null;
  let image: Omit<ReplayedImage, 'root' | 'workdir' | 'env' | 'stages'> = { entrypoint: [], healthcheck: null, exposed: [], user: null };
  const inStage = (path: string, current: Stage) => join(current.root, posix.isAbsolute(path) ? path : posix.join(current.workdir, path));

  for (const { keyword, args, line } of instructions) {
    const where = `Dockerfile line ${line} (${keyword})`;
    if (keyword === 'FROM') {
      const [, name] = /\bAS\s+(\S+)$/i.exec(args) ?? [];
      const root = join(base, `stage-${count}`);
      mkdirSync(root, { recursive: true });
      stages.set(String(count++), root);
      if (name) stages.set(name, root);
      stage = { root, workdir: '/', env: {} };
      image = { entrypoint: [], healthcheck: null, exposed: [], user: null };
      continue;
    }
    if (!stage) throw new Error(`${where}: comes before FROM`);
    const current: Stage = stage;
    switch (keyword) {
      case 'WORKDIR':
        current.workdir = posix.resolve(current.workdir, args);
        mkdirSync(join(current.root, current.workdir), { recursive: true });
        break;
      case 'ENV':
        for (const [key, value] of parseEnv(args)) current.env[key] = value;
        break;
      case 'COPY': {
        const words = args.split(/\s+/);
        const from = words[0]?.startsWith('--from=') ? (words.shift() as string).slice('--from='.length) : null;
        if (words.some((word) => word.startsWith('--'))) throw new Error(`${where}: only --from is replayed`);
        const destination = words.pop() as string;
        const sourceRoot = from === null ? context : stages.get(from);
        if (!sourceRoot) throw new Error(`${where}: no earlier stage named ${from}`);
        const target = inStage(destination, current);
        const toDirectory = destination.endsWith('/') || words.length > 1;
        for (const source of words) {
          const path = from === null ? join(context, source) : join(sourceRoot, source);
          if (!existsSync(path))
            throw new Error(`${where}: ${source} does not exist in ${from === null ? 'the build context' : `stage ${from}`}`);
          if (from === null && isIgnored(posix.normalize(source).replace(/\/$/, ''))) {
            throw new Error(`${where}: ${source} is excluded by .dockerignore`);
          }
          const filter = (file: string) => from !== null || !isIgnored(relative(context, file).split('\\').join('/'));
          if (statSync(path).isDirectory()) {
            mkdirSync(target, { recursive: true });
            for (const entry of readdirSync(path)) cpSync(join(path, entry), join(target, entry), { recursive: true, filter });
          } else {
            const file = toDirectory ? join(target, posix.basename(source)) : target;
            mkdirSync(dirname(file), { recursive: true });
            cpSync(path, file);
          }
        }
        break;
      }
      case 'RUN': {
        if (args.startsWith('[')) throw new Error(`${where}: only the shell form is replayed`);
        options.log?.(`RUN ${args}`);
        await run('sh', ['-c', args], join(current.root, current.workdir), { ...current.env }, options.nodeBin, where);
        break;
      }
      case 'USER':
        image.user = args;
        break;
      case 'EXPOSE':
        image.exposed.push(...args.split(/\s+/).map((port) => Number.parseInt(port, 10)));
        break;
      case 'STOPSIGNAL':
        break;
      case 'HEALTHCHECK': {
        const match = /^((?:--\S+=\S+\s+)*)CMD\s+(\[.*\])$/.exec(args);
        if (!match) throw new Error(`${where}: only HEALTHCHECK [--options] CMD ["exec", "form"] is replayed`);
        const healthOptions = Object.fromEntries(
          [...(match[1] as string).matchAll(/--(\S+?)=(\S+)/g)].map((option) => [option[1] as string, option[2] as string]),
        );
        image.healthcheck = { options: healthOptions, command: JSON.parse(match[2] as string) as string[] };
        break;
      }
      case 'ENTRYPOINT':
        if (!args.startsWith('[')) throw new Error(`${where}: only the exec form is replayed (a shell form does not get SIGTERM)`);
        image.entrypoint = JSON.parse(args) as string[];
        break;
      default:
        throw new Error(`${where}: the replay does not know ${keyword}`);
    }
  }
  if (!stage) throw new Error('the Dockerfile has no FROM');
  return { ...image, root: stage.root, workdir: join(stage.root, stage.workdir), env: stage.env, stages };
}

/**
 * What a build on this machine gets from the machine rather than the image: its home (npm's
 * cache), certificate authorities and proxies. Nothing of the test run's own environment.
 */
function machineEnv(): Record<string, string> {
  const names = /^(HOME|TMPDIR|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|(https?|no|all)_proxy)$/i;
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => names.test(entry[0]) && entry[1] !== undefined),
  );
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>, nodeBin: string, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...machineEnv(), PATH: `${nodeBin}:${process.env.PATH ?? ''}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${where} failed with exit code ${code}:\n${output.slice(-4000)}`)),
    );
  });
}
