import { setFlagsFromString } from 'node:v8';

/**
 * How the server's own process sizes V8's heap. V8's defaults suit a short burst on a big
 * machine: the young generation grows to 16 MiB per semi-space, and after each full collection the
 * old generation may grow to about four times what survived when collecting costs little (which it
 * does here). The server holds about 18 MiB, but every MCP request builds a fresh server and
 * transport and parses and writes JSON, so under 32 concurrent clients the defaults let the heap
 * reach 110 MiB and the process about 165 MiB for no gain in throughput (bench/http.ts measures
 * both, with and without this policy; on Node 24 the policy makes no difference).
 *
 * The policy keeps the young generation at its starting size and lets the old one grow to twice
 * what survived. Both are heuristics V8 reads each time it decides, so setting them once the
 * process runs takes effect (Node's v8.setFlagsFromString; the heap's limits, which V8 fixes at
 * start, are left alone). A flag given on the command line or in NODE_OPTIONS wins: an operator who
 * tunes a generation (--max-semi-space-size, say) keeps their choice for it.
 */
const YOUNG_GENERATION = {
  flag: '--semi-space-growth-factor=1',
  ownedBy: ['--semi-space-growth-factor', '--max-semi-space-size', '--min-semi-space-size'],
};
const OLD_GENERATION = { flag: '--heap-growing-percent=100', ownedBy: ['--heap-growing-percent'] };

/** Node accepts a V8 flag with dashes or underscores, with its value after = or as the next word. */
function normalised(flag: string): string {
  const [name = ''] = flag.split('=', 1);
  return name.replaceAll('_', '-');
}

/** The operator's V8 flags: the command line's and NODE_OPTIONS'. */
export function nodeFlagsOf(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter((flag) => flag.startsWith('--')).map(normalised);
}

/** The policy's flags that the operator left to us, given the operator's flags. */
export function heapFlagsToSet(operatorFlags: readonly string[]): string[] {
  return [YOUNG_GENERATION, OLD_GENERATION]
    .filter(({ ownedBy }) => !ownedBy.some((name) => operatorFlags.includes(name)))
    .map(({ flag }) => flag);
}

/**
 * Applies the policy to this process (the server's command only: a library that mounts the
 * server leaves its host's heap alone) and returns the flags it set, for the start-up log.
 */
export function applyHeapPolicy(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS): string[] {
  const flags = heapFlagsToSet(nodeFlagsOf(execArgv, nodeOptions));
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}
