/**
 * The supervised server's stderr, for people: its pino JSON lines become "level: message
 * (field=value…)", plain lines (a start-up error) stay as they are, minus the program's prefix.
 */
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const DETAIL_FIELDS = ['reason', 'error', 'tool', 'outcome'];

interface ParsedLine {
  level: number;
  text: string;
}

function parse(line: string): ParsedLine {
  const plain = line.replace(/^rabbitmq-mcp-server: /, '').trim();
  if (!line.startsWith('{')) return { level: 50, text: plain };
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const level = typeof entry.level === 'number' ? entry.level : 30;
    const err = entry.err as { message?: unknown } | undefined;
    const details = DETAIL_FIELDS.filter((key) => typeof entry[key] === 'string' || typeof entry[key] === 'number').map(
      (key) => `${key}: ${String(entry[key])}`,
    );
    if (typeof err?.message === 'string') details.push(err.message);
    const message = typeof entry.msg === 'string' ? entry.msg : plain;
    return { level, text: details.length > 0 ? `${message} (${details.join('; ')})` : message };
  } catch {
    return { level: 50, text: plain };
  }
}

/** One stderr line as a person reads it. */
export function readableServerLine(line: string): string {
  const { level, text } = parse(line);
  return level >= 40 ? `${LEVELS[level] ?? 'error'}: ${text}` : text;
}

/** The last thing the server said went wrong, if anything: warnings and errors, newest first. */
export function lastServerError(lines: readonly string[]): string | undefined {
  for (let index = lines.length - 1; index >= 0; index--) {
    const { level, text } = parse(lines[index] as string);
    if (level >= 50 && text) return text;
  }
  for (let index = lines.length - 1; index >= 0; index--) {
    const { level, text } = parse(lines[index] as string);
    if (level >= 40 && text) return text;
  }
  return undefined;
}
