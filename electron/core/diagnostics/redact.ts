/**
 * Takes secrets out of text that leaves the machine (the diagnostics zip): every known secret
 * (the profiles' passwords) wherever it appears, and what looks like one: the password of a URI
 * (amqp://user:secret@host), JSON fields and key=value pairs named like secrets, bearer tokens.
 */
const REMOVED = '[removed]';

/** Field names whose values are secrets; paths to TLS files (caFile, keyFile…) are not. */
const SECRET_NAME =
  '(?:password|passwd|pass|secret|token|api[_-]?key|apikey|authorization|cookie|private[_-]?key|client[_-]?secret|passphrase)';

const PATTERNS: [RegExp, string][] = [
  // scheme://user:password@host → scheme://user:[removed]@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@"'<>]*):([^\s/@"'<>]*)@/gi, `$1$2:${REMOVED}@`],
  // "password": "…" (JSON), any casing, any prefix (amqpPassword, AMQP_PASSWORD, x-api-key…)
  [new RegExp(`("[\\w-]*${SECRET_NAME}[\\w-]*"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `$1"${REMOVED}"`],
  // Authorization: Bearer … (before the key=value rule takes "Bearer" for the value)
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REMOVED}`],
  // PASSWORD=… / token: … in plain lines and environment dumps
  [new RegExp(`\\b([\\w-]*${SECRET_NAME}[\\w-]*)(\\s*[=:]\\s*)(?!"|\\[removed\\])[^\\s,;&"']+`, 'gi'), `$1$2${REMOVED}`],
];

export function redact(text: string, knownSecrets: readonly string[] = []): string {
  let result = text;
  // Longest first, so a secret that contains another is removed whole. Very short ones (one or
  // two characters) would take letters out of every word: the patterns below still catch them in place.
  for (const secret of [...new Set(knownSecrets)].filter((value) => value.length >= 3).sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join(REMOVED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) result = result.split(encoded).join(REMOVED);
    const json = JSON.stringify(secret).slice(1, -1);
    if (json !== secret) result = result.split(json).join(REMOVED);
  }
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}
