/**
 * The README's configuration and tool tables, generated from the code so they cannot drift.
 * `npm run docs` rewrites them in place; a test fails when the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type Setting, settings } from '../server/config/settings.js';
import { DEFAULT_TOOL_GROUPS, type ToolGroup } from '../server/config/tool-groups.js';
import { ENABLE_TOOLSET } from '../server/mcp/toolsets.js';
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
  const isDefault = (group: ToolGroup) => (DEFAULT_TOOL_GROUPS as readonly ToolGroup[]).includes(group);
  const rows = allTools.map(
    (tool) =>
      `| \`${tool.name}\` | ${tool.group}${isDefault(tool.group) ? ' (default)' : ''} | ${safetyLevelOf(tool)} | ${escape(tool.description)} |`,
  );
  const enable = `| \`${ENABLE_TOOLSET}\` | — (stdio, while a toolset is off) | read-only | Turn on a toolset for this connection; tools/list then lists it. |`;
  return ['| Tool | Toolset | Needs | What it does |', '| --- | --- | --- | --- |', ...rows, enable].join('\n');
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
