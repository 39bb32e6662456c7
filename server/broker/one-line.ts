/**
 * Text that others control (queue and user names, routing keys, message bodies and headers) framed
 * so that none of its bytes can end a line of an answer or begin another: a model reads the answer
 * line by line, and a name holding "\n#2 exchange: …" must not read as a second message or row.
 */

/**
 * Characters that end or begin a line for some reader (C0 and C1 controls, DEL, the Unicode line and
 * paragraph separators), and the backslash that escapes them.
 */
const LINE_BREAKING = /[\\\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;

/**
 * Text that others control (names, routing keys, bodies, headers) as one line that cannot end the
 * line or begin another: every control character and line separator as a JSON-style escape
 * (\n, \r, \t, \u2028…), the backslash doubled. Printable text is unchanged.
 */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKING, (char) => {
    switch (char) {
      case '\\':
        return '\\\\';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
}

/** JSON on one line: JSON escapes the C0 controls; DEL, the C1 controls and U+2028/2029 are escaped too (still valid JSON). */
export function jsonOneLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007F-\u009F\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A name as answers quote it: in single quotes, on one line. */
export function inQuotes(text: unknown): string {
  return `'${oneLine(String(text))}'`;
}
