import { readFileSync } from 'node:fs';
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
});
