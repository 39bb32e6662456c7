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

/** Lines of a Node crash report that say nothing by themselves: the stack, the caret, the version. */
function isCrashNoise(line: string): boolean {
  return (
    /^\s/.test(line) ||
    /^Node\.js v\d/.test(line) ||
    /^[\s^~]*$/.test(line) ||
    /^(node:|file:\/\/|\/).*:\d+$/.test(line) ||
    /^Require stack:/.test(line)
  );
}

/**
 * The last thing the server said went wrong, if anything: its last error (a Node crash report
 * gives its "…Error: …" line, not the stack or the version banner), else its last warning.
 */
export function lastServerError(lines: readonly string[]): string | undefined {
  const meaningful = lines.filter((line) => !isCrashNoise(line));
  const parsed = meaningful.map(parse);
  const thrown = [...parsed].reverse().find((entry) => entry.level >= 50 && /\b\w*Error\b/.test(entry.text));
  if (thrown) return thrown.text;
  return (
    [...parsed].reverse().find((entry) => entry.level >= 50 && entry.text)?.text ??
    [...parsed].reverse().find((entry) => entry.level >= 40 && entry.text)?.text
  );
}
