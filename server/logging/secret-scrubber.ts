export type Scrubber = (text: string) => string;

const REDACTED = '[REDACTED]';

/**
 * The last line of defence: whatever text leaves the process (logs, tool results, errors) goes
 * through this, so a secret that slipped into an error message from a library is still hidden.
 * Secrets shorter than 4 characters, or equal to a name that is shown anyway, are skipped: hiding
 * them would blank out ordinary words without protecting anything.
 */
export function createScrubber(secrets: readonly (string | undefined)[], shownNames: readonly string[] = []): Scrubber {
  const hidden = [...new Set(secrets)]
    .filter((secret): secret is string => secret !== undefined && secret.length >= 4 && !shownNames.includes(secret))
    .sort((a, b) => b.length - a.length);
  if (hidden.length === 0) return (text) => text;
  const encoded = hidden.flatMap((secret) => [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]);
  const pattern = new RegExp([...new Set(encoded)].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(pattern, REDACTED);
}
