import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadme } from '../scripts/readme-tables.js';

describe('the README', () => {
  it('has configuration and tool tables that match the code (npm run docs regenerates them)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(renderReadme(readme)).toBe(readme);
  });

  it('names the two commands a newcomer needs', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('npx rabbitmq-mcp-server');
    expect(readme).toContain('npm test');
  });

  it('shows only screenshots that exist, and every script it tells you to run exists', () => {
    const readme = readFileSync('README.md', 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((match) => match[1] as string);
    expect(images.length).toBeGreaterThanOrEqual(5);
    for (const image of images) expect(existsSync(image), image).toBe(true);
    const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);
    for (const [, name] of readme.matchAll(/npm run ([\w:-]+)/g)) expect(scripts, `npm run ${name}`).toContain(name);
  });
});
