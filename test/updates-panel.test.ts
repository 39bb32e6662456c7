import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import type { FeedOptions } from '../electron/core/updates/release-feed.js';
import type { Updater } from '../electron/core/updates/update-service.js';
import { SERVER_BIN } from './support/built-server.js';
import { startWindowBridge, launchChromium, openBridgedPage } from './support/window-bridge.js';

/**
 * The updates panel (renderer/src/components/UpdatesPanel.tsx, which the Settings page hosts),
 * built with the window's theme, in Chromium, against the real AppHost and its UpdateService over
 * the real IPC handlers. The updater behind is scripted here: electron-updater itself needs
 * Electron, and is tested through the built main (test/desktop-updates.test.ts). Each state is
 * checked with axe (0 findings of any impact, both themes), and the flow is done with the keyboard.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const root = mkdtempSync(join(tmpdir(), 'mcp-updates-panel-'));
const site = join(root, 'site');

/** electron-updater's part, scripted: what the feed says next, and a download the test lets finish. */
class ScriptedUpdater extends EventEmitter implements Updater {
  autoDownload = true;
  autoInstallOnAppQuit = true;
  logger: Updater['logger'] = null;
  feeds: FeedOptions[] = [];
  installs: unknown[][] = [];
  feed: 'down' | 'newer' = 'down';
  #finish: (() => void) | null = null;

  setFeedURL(options: FeedOptions): void {
    this.feeds.push(options);
  }

  async checkForUpdates() {
    if (this.feed === 'down') throw new Error('net::ERR_CONNECTION_REFUSED');
    return { isUpdateAvailable: true, updateInfo: { version: '9.9.9' } };
  }

  downloadUpdate(): Promise<unknown> {
    setImmediate(() => this.emit('download-progress', { percent: 40.5 }));
    return new Promise((resolve) => {
      this.#finish = () => resolve([]);
    });
  }

  finishDownload(): void {
    this.#finish?.();
  }

  quitAndInstall(...args: unknown[]): void {
    this.installs.push(args);
  }
}

const updater = new ScriptedUpdater();
const asked: string[] = [];
let restarted = 0;
let host: AppHost;
let bridge: Awaited<ReturnType<typeof startWindowBridge>>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** The panel alone on a page, as the Settings page will host it: the window's theme, styles and Content Security Policy. */
async function buildPanelPage(): Promise<void> {
  mkdirSync(site, { recursive: true });
  await build({
    stdin: {
      contents: `
        import '@mantine/core/styles.css';
        import './focus.css';
        import { MantineProvider } from '@mantine/core';
        import { createRoot } from 'react-dom/client';
        import { UpdatesPanel } from './components/UpdatesPanel';
        import { cssVariablesResolver, theme } from './theme';
        createRoot(document.getElementById('root')).render(
          <MantineProvider theme={theme} defaultColorScheme="auto" cssVariablesResolver={cssVariablesResolver}>
            <main style={{ padding: 24, maxWidth: 720 }}>
              <h1>Settings</h1>
              <UpdatesPanel headingLevel={2} />
            </main>
          </MantineProvider>,
        );`,
      resolveDir: join(ROOT, 'renderer', 'src'),
      loader: 'tsx',
      sourcefile: 'panel-page.tsx',
    },
    bundle: true,
    outfile: join(site, 'panel.js'),
    format: 'esm',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const csp = readFileSync(join(ROOT, 'renderer', 'index.html'), 'utf8').match(/content="(default-src[^"]+)"/)?.[1];
  if (!csp) throw new Error('renderer/index.html has no Content Security Policy to copy');
  writeFileSync(
    join(site, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="UTF-8" /><meta http-equiv="Content-Security-Policy" content="${csp}" /><title>Settings</title><link rel="icon" href="data:," /><link rel="stylesheet" href="panel.css" /></head><body><div id="root"></div><script type="module" src="panel.js"></script></body></html>`,
  );
}

/** Every axe finding, of any impact (WCAG 2.1 A/AA and best practices). */
async function axeFindings(): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
  return (await page.evaluate(`
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })
      .then((result) => result.violations.map((v) => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')))
  `)) as string[];
}

/** axe in the light and the dark theme, on the panel as it is now. */
async function bothThemes(state: string): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await expect.poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe(colorScheme);
    for (const finding of await axeFindings()) found.push(`${state}, ${colorScheme}: ${finding}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

/** Presses Tab until the element has the focus (the keyboard alone). */
async function tabTo(target: ReturnType<Page['locator']>): Promise<void> {
  for (let presses = 0; presses < 20; presses++) {
    if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

const message = () => page.getByTestId('update-message').textContent();

beforeAll(async () => {
  await buildPanelPage();
  const home = join(root, 'app');
  mkdirSync(home, { recursive: true });
  host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: join(root, 'home'), env: {} },
    launch: { command: process.execPath, args: [], env: {} },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '1.2.0',
    updates: {
      updater,
      // Automatic checks off: the test presses "Check now".
      settings: { check: () => false, feedUrl: () => 'https://updates.example.com/rabbitmq-mcp/' },
      ask: async ({ version }) => {
        asked.push(version);
        return false; // "Later"
      },
      beforeRestart: async () => {
        restarted += 1;
      },
      restartFailed: () => undefined,
    },
  });
  await host.start();
  bridge = await startWindowBridge(site, host);
  browser = await launchChromium();
  page = await openBridgedPage(browser, bridge.url, pageErrors);
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await host?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('the updates panel in the window (Chromium, the real host and IPC handlers)', () => {
  it('shows each state in words, is used with the keyboard alone, restarts only when asked to, with 0 axe findings in both themes', async () => {
    const found: string[] = [];
    await expect.poll(message).toBe('You have version 1.2.0. It has not looked for updates yet.');
    await expect
      .poll(() => page.getByTestId('update-details').textContent())
      .toBe('Version 1.2.0 · last checked not yet · from https://updates.example.com/rabbitmq-mcp/');
    expect(await page.getByTestId('update-state').textContent()).toBe('Not checked yet');
    expect(await page.getByRole('button', { name: 'Restart to update' }).count()).toBe(0);
    found.push(...(await bothThemes('not checked')));

    // The feed is down: said in words; the app carries on.
    await tabTo(page.getByRole('button', { name: 'Check now' }));
    await page.keyboard.press('Enter');
    await expect
      .poll(message)
      .toBe(
        'Could not check for updates at https://updates.example.com/rabbitmq-mcp/: nothing answers at that address (connection refused). The app keeps working as it is and tries again later.',
      );
    expect(await page.getByTestId('update-state').textContent()).toBe('Problem');
    expect(await page.getByTestId('update-details').textContent()).toMatch(/^Version 1\.2\.0 · last checked (?!not yet).+ · from /);
    found.push(...(await bothThemes('feed down')));

    // A newer version: downloading (progress), then downloaded and verified; the person said "Later".
    updater.feed = 'newer';
    await tabTo(page.getByRole('button', { name: 'Check now' }));
    await page.keyboard.press('Enter');
    await expect.poll(message).toBe('Downloading version 9.9.9 in the background…');
    await expect.poll(() => page.getByRole('progressbar', { name: 'Download of version 9.9.9' }).getAttribute('aria-valuenow')).toBe('40');
    found.push(...(await bothThemes('downloading')));
    updater.finishDownload();
    await expect.poll(message).toBe('Version 9.9.9 is ready: choose "Restart to update" when it suits you.');
    expect(asked).toEqual(['9.9.9']);
    expect(updater.installs).toEqual([]);
    expect(restarted).toBe(0);
    expect(await page.getByTestId('update-state').textContent()).toBe('Ready to install');
    expect(await page.getByRole('button', { name: 'Check now' }).isDisabled()).toBe(true);
    found.push(...(await bothThemes('ready')));

    // "Restart to update", by keyboard: the server is stopped first, then the updater installs and restarts.
    await tabTo(page.getByRole('button', { name: 'Restart to update' }));
    await page.keyboard.press('Enter');
    await expect.poll(message).toBe('Restarting into version 9.9.9…');
    expect(restarted).toBe(1);
    expect(updater.installs).toEqual([[false, true]]);
    expect(updater.feeds).toEqual([
      { provider: 'generic', url: 'https://updates.example.com/rabbitmq-mcp/' },
      { provider: 'generic', url: 'https://updates.example.com/rabbitmq-mcp/' },
    ]);
    // The service set electron-updater up so that nothing installs by itself.
    expect({ autoDownload: updater.autoDownload, autoInstallOnAppQuit: updater.autoInstallOnAppQuit }).toEqual({
      autoDownload: false,
      autoInstallOnAppQuit: false,
    });
    found.push(...(await bothThemes('restarting')));
    expect(found).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
