/** Keys sorted at every level, so a snapshot diff shows only real changes. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** A reviewed tools/list entry as test/__toolsnaps__/<name>.json holds it: sorted keys, two-space indent. */
export function toolsnap(reviewed: unknown): string {
  return `${JSON.stringify(sortKeys(reviewed), null, 2)}\n`;
}
