import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** Evaluated over the debugging protocol, which the page's Content Security Policy (script-src 'self') does not block. */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The WCAG 2.1 A and AA rules axe-core finds broken on the page as it is now, serious and
 * critical ones, each as "rule: what, where" (a few nodes per rule).
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  // A modal still fading in blends its colours with what is under it: judge the page once every
  // running transition and animation has finished (a loaded machine renders late).
  await page.evaluate('Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined)))');
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
  // A string: the tests compile without the DOM library.
  const results = (await page.evaluate(`
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
      .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.any[0]?.message ?? n.all[0]?.message ?? '')) })))
  `)) as { id: string; impact: string; help: string; nodes: string[] }[];
  return results
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.help}): ${violation.nodes.join(' | ')}`);
}
