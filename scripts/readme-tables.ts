/**
 * The README's configuration and tool tables, generated from the code so they cannot drift.
 * `npm run docs` rewrites them in place; a test fails when the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type Setting, settings } from '../server/config/settings.js';
import { allTools } from '../server/tools/registry.js';
import { safetyLevelOf } from '../server/tools/tool.js';

function escape(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function configurationTable(): string {
  const rows = (Object.values(settings) as Setting[]).map(
    (s) => `| \`${s.env}\` | ${s.flag ? `\`--${s.flag}\`` : '—'} | ${escape(s.defaultText)} | ${escape(s.help)} |`,
  );
  return ['| Environment variable | Flag | Default | What it does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function toolsTable(): string {
  const rows = allTools.map((tool) => `| \`${tool.name}\` | ${safetyLevelOf(tool)} | ${escape(tool.description)} |`);
  return ['| Tool | Needs | What it does |', '| --- | --- | --- |', ...rows].join('\n');
}

const BLOCKS: Record<string, () => string> = { configuration: configurationTable, tools: toolsTable };

export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(BLOCKS)) {
    const pattern = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`);
    if (!pattern.test(out)) throw new Error(`README.md has no <!-- ${name}:start --> … <!-- ${name}:end --> block`);
    out = out.replace(pattern, `$1${render()}$2`);
  }
  return out;
}

if (process.argv[1]?.endsWith('readme-tables.ts')) {
  const current = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', renderReadme(current));
}
