/**
 * Compact text for a model's context: tables as `a | b | c` rows, records as `key: value` lines,
 * a hard size cap, and a footer that says how to get the next page.
 */

import { jsonOneLine, oneLine } from '../broker/one-line.js';

export { jsonOneLine, oneLine };

export const MAX_OUTPUT_CHARS = 24_000;

type Cell = string | number | boolean | null | undefined;

function cell(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'number') return formatNumber(value);
  return oneLine(String(value)).replace(/\|/g, '\\|');
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '');
}

export function table(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [columns.join(' | '), ...rows.map((row) => row.map(cell).join(' | '))].join('\n');
}

function inline(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value === '' ? '""' : oneLine(value);
  if (typeof value === 'object' && Object.keys(value).length === 0) return Array.isArray(value) ? '[]' : '{}';
  return jsonOneLine(value);
}

/** `key: value` lines; undefined values are skipped, nested values are inline JSON. */
export function record(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${inline(value)}`)
    .join('\n');
}

/** Said of a list longer than a call looks at (MAX_WALKED): what is counted and paged is the first part. */
export function walkedOnlyNote(page: { walkedOnly?: number }): string {
  return page.walkedOnly !== undefined ? ` The list is longer than ${page.walkedOnly} objects: only those were counted and paged.` : '';
}

export function pageFooter(
  page: { page: number; pageCount: number; filteredCount: number; totalCount?: number; walkedOnly?: number },
  tool: string,
): string {
  const of = page.totalCount !== undefined && page.totalCount !== page.filteredCount ? ` (${page.totalCount} in all)` : '';
  const where = `Page ${page.page} of ${Math.max(page.pageCount, 1)}, ${page.filteredCount} matching${of}.`;
  const partial = walkedOnlyNote(page);
  return page.page < page.pageCount ? `${where} Next: ${tool} with page=${page.page + 1}.${partial}` : `${where}${partial}`;
}

/** Cuts text at a line boundary under the cap and says so, with a way to see the rest. */
export function capOutput(text: string, hint = 'use a smaller page_size or a filter', limit = MAX_OUTPUT_CHARS): string {
  if (text.length <= limit) return text;
  const cut = text.lastIndexOf('\n', limit - 200);
  const kept = text.slice(0, cut > 0 ? cut : limit - 200);
  return `${kept}\n… output cut at ${kept.length} of ${text.length} characters: ${hint}.`;
}

export function rate(stats: unknown, key: string): number | undefined {
  const details = (stats as Record<string, { rate?: number } | undefined> | undefined)?.[`${key}_details`];
  return details?.rate;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** How a name is shown in prose: the default exchange has the empty name. */
export function quoted(name: string): string {
  return name === '' ? '(default)' : `'${oneLine(name)}'`;
}
