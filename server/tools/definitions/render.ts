import { type Item, KINDS, count, itemsOf } from './kinds.js';
import type { Diff, Entry } from './diff.js';
import { inQuotes } from '../../broker/one-line.js';

/** The definitions tools' text: a document compactly, and an import plan as a per-kind diff. */

/** Valid JSON with one object per line: readable, and much smaller than indenting every level. */
export function formatDocument(document: Item): string {
  const entries = Object.entries(document);
  const lines = ['{'];
  entries.forEach(([key, value], index) => {
    const comma = index < entries.length - 1 ? ',' : '';
    if (Array.isArray(value) && value.length > 0) {
      lines.push(`  ${JSON.stringify(key)}: [`);
      value.forEach((item, itemIndex) => lines.push(`    ${JSON.stringify(item)}${itemIndex < value.length - 1 ? ',' : ''}`));
      lines.push(`  ]${comma}`);
    } else lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`);
  });
  lines.push('}');
  return lines.join('\n');
}

/** "3 queues, 1 policy": what a document holds. */
export function counts(document: Item): string {
  const parts = KINDS.filter((kind) => Array.isArray(document[kind.key])).map((kind) => count(itemsOf(document, kind).length, kind));
  return parts.join(', ') || 'nothing';
}

const MAX_LISTED = 25;

type Section = keyof Pick<Diff, 'added' | 'changed' | 'conflicts' | 'skipped'>;

const SECTIONS: readonly { key: Section; verb: string; counted: (n: number) => string }[] = [
  { key: 'added', verb: 'add', counted: (n) => `${n} to add` },
  { key: 'changed', verb: 'change', counted: (n) => `${n} to change` },
  { key: 'conflicts', verb: 'conflict', counted: (n) => `${n} conflict${n === 1 ? '' : 's'}` },
  { key: 'skipped', verb: 'skip', counted: (n) => `${n} skipped` },
];

/** "3 to add, 1 conflict, 12 unchanged" over some entries. */
export function tally(entries: Record<Section | 'unchanged', readonly Entry[]>): string {
  const parts = SECTIONS.filter(({ key }) => entries[key].length > 0).map(({ key, counted }) => counted(entries[key].length));
  if (entries.unchanged.length > 0) parts.push(`${entries.unchanged.length} unchanged`);
  return parts.join(', ') || 'no object RabbitMQ would import';
}

/** Per kind: a count line, then what is added, changed, in conflict or skipped. */
export function diffDetails(diff: Diff, ignored: readonly string[]): string {
  const lines: string[] = [];
  for (const kind of KINDS) {
    const mine = (entries: readonly Entry[]) => entries.filter((entry) => entry.kind === kind);
    const entries = {
      added: mine(diff.added),
      changed: mine(diff.changed),
      conflicts: mine(diff.conflicts),
      skipped: mine(diff.skipped),
      unchanged: mine(diff.unchanged),
    };
    if (Object.values(entries).every((list) => list.length === 0)) continue;
    lines.push(`${kind.many}: ${tally(entries)}`);
    for (const { key, verb } of SECTIONS) {
      for (const entry of entries[key].slice(0, MAX_LISTED))
        lines.push(`  ${verb} ${entry.label}${entry.detail ? `: ${entry.detail}` : ''}`);
      if (entries[key].length > MAX_LISTED) lines.push(`  … and ${entries[key].length - MAX_LISTED} more to ${verb}`);
    }
  }
  if (diff.conflicts.length > 0) {
    lines.push(
      "Conflicts: RabbitMQ cannot change a queue's or exchange's type, flags or arguments in place, so the import leaves those as they are (delete and re-create one to change it; deleting a queue loses its messages).",
    );
  }
  if (ignored.length > 0) lines.push(`Ignored by a vhost-level import: ${ignored.join(', ')}.`);
  return lines.join('\n');
}

/** "into vhost 'b'", saying so when the document's objects name another vhost (a vhost-level import moves them). */
export function destination(document: Item, target: string | undefined): string {
  if (target === undefined) return 'into the whole broker';
  const named = KINDS.filter((kind) => kind.perVhostImport).flatMap((kind) => itemsOf(document, kind).map((item) => item.vhost));
  const others = [...new Set(named)].filter((vhost): vhost is string => typeof vhost === 'string' && vhost !== target);
  return others.length === 0
    ? `into vhost ${inQuotes(target)}`
    : `into vhost ${inQuotes(target)} (objects the document puts in vhost ${others.map((vhost) => `${inQuotes(vhost)}`).join(', ')} go there instead)`;
}

/** What the re-read broker says about the objects the import was to add or change. */
export function verification(before: Diff, after: Diff): string {
  const applied = before.added.length + before.changed.length;
  const missing = [...after.added, ...after.changed];
  if (missing.length === 0) return `Verified: all ${applied} now match the document.`;
  const listed = missing
    .slice(0, MAX_LISTED)
    .map((entry) => `  ${entry.kind.one} ${entry.label}${entry.detail ? `: ${entry.detail}` : ''}`);
  return `Verified: ${Math.max(applied - missing.length, 0)} of ${applied} match; still different:\n${listed.join('\n')}`;
}

const MAX_BLOCKERS_SHOWN = 10;

/** Why nothing was imported: the plan's blockers, the first few in full. */
export function blockersText(blockers: readonly string[], where: string): string {
  const shown = blockers.slice(0, MAX_BLOCKERS_SHOWN).map((blocker) => `- ${blocker}`);
  const more = blockers.length > shown.length ? `\n- … and ${blockers.length - shown.length} more` : '';
  return `Not imported ${where}; nothing was changed:\n${shown.join('\n')}${more}`;
}
