import { mkdir, writeFile } from 'node:fs/promises';

export interface Row {
  metric: string;
  ours: number;
  baseline: number;
  unit: string;
  /** ours / baseline (or against a fixed budget); NaN when only reported. */
  ratio: number;
  target: string;
  pass: boolean;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Prints the rows side by side, with each ratio and target, and saves them under bench/results.
 * A missed target is a line in the table and in the summary, never an exit code: a benchmark
 * reports, it does not gate (timings vary with the machine; the suite holds behaviour).
 */
export async function report(name: string, rows: Row[]): Promise<void> {
  const fmt = (value: number) => (Number.isNaN(value) ? '-' : value >= 100 ? value.toFixed(0) : value.toFixed(2));
  const header = ['metric', 'ours', 'baseline', 'unit', 'ratio', 'target', 'met'];
  const lines = rows.map((row) => [
    row.metric,
    fmt(row.ours),
    fmt(row.baseline),
    row.unit,
    Number.isNaN(row.ratio) ? '-' : `${row.ratio.toFixed(2)}×`,
    row.target,
    row.target === 'reported' ? '-' : row.pass ? 'yes' : 'MISS',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] as string).length)));
  const render = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ');
  const targeted = rows.filter((row) => row.target !== 'reported');
  const misses = targeted.filter((row) => !row.pass);
  const summary = misses.length
    ? `${targeted.length - misses.length} of ${targeted.length} targets met; missed: ${misses.map((row) => `${row.metric} (${fmt(row.ours)} ${row.unit}, target ${row.target})`).join('; ')}`
    : `all ${targeted.length} targets met`;
  console.log(
    `\n${name}\n${render(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${lines.map(render).join('\n')}\n${summary}\n`,
  );
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    `bench/results/${name.toLowerCase().replace(/\W+/g, '-')}.json`,
    `${JSON.stringify({ at: new Date().toISOString(), rows }, null, 2)}\n`,
  );
}
