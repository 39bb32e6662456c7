import { readFileSync } from 'node:fs';

/** The README as a newcomer reads it. */
export const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The fenced code block (```lang) that follows the first line containing `marker`. */
export function blockAfter(marker: string, lang: string): string {
  const from = readme.indexOf(marker);
  if (from === -1) throw new Error(`README has no "${marker}"`);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readme.slice(from));
  if (!match) throw new Error(`no \`\`\`${lang} block after "${marker}"`);
  return match[1] as string;
}
