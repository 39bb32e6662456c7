/** The header that tells the app's server which AI app asks (its approval dialog shows it). */
export const CLIENT_HEADER = 'x-rabbitmq-mcp-client';
const CLIENT_HEADER_MAX = 100;

/**
 * The client's own name and version as CLIENT_HEADER's value, `<name> <version>`: printable ASCII
 * only (anything else becomes '?', so the client cannot break the header or forge another), at
 * most CLIENT_HEADER_MAX characters. Null when the client named itself not at all.
 */
export function clientHeader(info: { name?: unknown; version?: unknown } | undefined): string | null {
  const words = [info?.name, info?.version].filter((word): word is string => typeof word === 'string' && word.trim() !== '');
  if (words.length === 0) return null;
  const printable = Array.from(words.join(' '), (char) => (char >= ' ' && char <= '~' ? char : '?')).join('');
  return printable.slice(0, CLIENT_HEADER_MAX).trim();
}
