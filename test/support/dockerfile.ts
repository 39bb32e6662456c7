import { readFileSync } from 'node:fs';

/** The Dockerfile's ENTRYPOINT (exec form) as its argument list, e.g. ['node', '--flag', 'dist/…']. */
export function dockerEntrypoint(dockerfile = readFileSync('Dockerfile', 'utf8')): string[] {
  const exec = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (!exec) throw new Error('the Dockerfile has no ENTRYPOINT in exec form (ENTRYPOINT ["node", …])');
  return JSON.parse(exec) as string[];
}
