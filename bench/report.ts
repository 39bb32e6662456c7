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
  /** What went wrong, printed under the table (messages lost, a call refused). */
  note?: string;
}

/** The rows measured on one broker: a column of the per-broker table. */
export interface BrokerRun {
  /** The version the broker reports ("4.3.6"), or its series when it could not be reached. */
  label: string;
  rows: Row[];
  /** Why some or all of its rows were not measured. */
  notMeasured?: string;
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

const fmt = (value: number) => (Number.isNaN(value) ? '-' : value >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(2));
const ratioText = (row: Row) => (Number.isNaN(row.ratio) ? '-' : `${row.ratio.toFixed(2)}×`);
const met = (row: Row) => (row.target === 'reported' ? '-' : row.pass ? 'yes' : 'MISS');

function table(header: string[], lines: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] as string).length)));
  const render = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ');
  return `${render(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${lines.map(render).join('\n')}`;
}

/**
 * One line per metric, one column per broker: "ours vs baseline, ratio, met" in each cell, so
 * that the same figure on two versions sits on one line.
 */
function brokerTable(brokers: BrokerRun[]): string {
  const metrics: Row[] = [];
  for (const broker of brokers) for (const row of broker.rows) if (!metrics.some((known) => known.metric === row.metric)) metrics.push(row);
  const cell = (broker: BrokerRun, metric: string) => {
    const row = broker.rows.find((candidate) => candidate.metric === metric);
    if (!row) return 'not measured';
    const baseline = Number.isNaN(row.baseline) ? '' : ` vs ${fmt(row.baseline)}`;
    return [`${fmt(row.ours)}${baseline}`, ratioText(row), met(row)].filter((part) => part !== '-').join('  ');
  };
  return table(
    ['metric (ours vs baseline  ratio  met)', 'unit', 'target', ...brokers.map((broker) => `RabbitMQ ${broker.label}`)],
    metrics.map((row) => [row.metric, row.unit, row.target, ...brokers.map((broker) => cell(broker, row.metric))]),
  );
}

/**
 * Prints the rows side by side, with each ratio and target, then the per-broker rows with a
 * column per broker, and saves them under bench/results. A missed target is a line in the table
 * and in the summary, never an exit code: a benchmark reports, it does not gate (timings vary with
 * the machine; the suite holds behaviour).
 */
export async function report(name: string, rows: Row[], brokers: BrokerRun[] = []): Promise<void> {
  const sections: string[] = [];
  if (rows.length > 0) {
    sections.push(
      table(
        ['metric', 'ours', 'baseline', 'unit', 'ratio', 'target', 'met'],
        rows.map((row) => [row.metric, fmt(row.ours), fmt(row.baseline), row.unit, ratioText(row), row.target, met(row)]),
      ),
    );
  }
  if (brokers.length > 0) sections.push(`per broker, measured on each in the same run\n${brokerTable(brokers)}`);
  const placed = [
    ...rows.map((row) => ({ where: '', row })),
    ...brokers.flatMap((broker) => broker.rows.map((row) => ({ where: `[${broker.label}] `, row }))),
  ];
  const notes = [
    ...placed.filter(({ row }) => row.note).map(({ where, row }) => `${where}${row.metric}: ${row.note}`),
    ...brokers.filter((broker) => broker.notMeasured).map((broker) => `[${broker.label}] not measured: ${broker.notMeasured}`),
  ];
  if (notes.length > 0) sections.push(notes.map((note) => `! ${note}`).join('\n'));
  const targeted = placed.filter(({ row }) => row.target !== 'reported');
  const misses = targeted.filter(({ row }) => !row.pass);
  const unmeasured = brokers.filter((broker) => broker.notMeasured).map((broker) => broker.label);
  sections.push(
    [
      misses.length
        ? `${targeted.length - misses.length} of ${targeted.length} targets met; missed: ${misses.map(({ where, row }) => `${where}${row.metric} (${fmt(row.ours)} ${row.unit}, target ${row.target})`).join('; ')}`
        : `all ${targeted.length} targets met`,
      unmeasured.length ? `; not measured on ${unmeasured.join(', ')}` : '',
    ].join(''),
  );
  console.log(`\n${name}\n${sections.join('\n\n')}\n`);
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    `bench/results/${name.toLowerCase().replace(/\W+/g, '-')}.json`,
    `${JSON.stringify({ at: new Date().toISOString(), rows, brokers }, null, 2)}\n`,
  );
}
