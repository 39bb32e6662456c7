import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Autostart } from '../electron/core/autostart/linux-autostart.js';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { startWindowBridge, launchChromium, openBridgedPage } from './support/window-bridge.js';

/**
 * The Settings page, the About box and "Disconnect all AI apps" in the window as built
 * (dist/renderer), in a real Chromium, against the real AppHost: changed with the keyboard
 * alone, checked by axe-core at every impact in both themes.
 */
const RENDERER = fileURLToPath(new URL('../dist/renderer', import.meta.url));
const ABOUT_FILE = fileURLToPath(new URL('../dist/licences/licences.json', import.meta.url));
const STDIO_ENTRY = fileURLToPath(new URL('../dist/app/stdio-entry.mjs', import.meta.url));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const root = mkdtempSync(join(tmpdir(), 'mcp-settings-window-'));
const home = join(root, 'app');
const userHome = join(root, 'home');
const claudeConfig = join(userHome, '.config', 'Claude', 'claude_desktop_config.json');
const claudeBefore = `${JSON.stringify({ mcpServers: { filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] } } }, null, 2)}\n`;

let host: AppHost;
let bridge: Awaited<ReturnType<typeof startWindowBridge>>;
let browser: Browser;
let page: Page;
const opened: string[] = [];
const pageErrors: string[] = [];
let loginItem = false;
const autostart: Autostart = { enabled: () => loginItem, set: (on) => void (loginItem = on) };

/** Every WCAG 2.1 A/AA finding axe-core makes, whatever its impact. */
async function axeFindings(): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
  const found = (await page.evaluate(`
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
      .then((result) => result.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')))
  `)) as string[];
  return found;
}

/** Waits until a dialog's opening transition is over (axe would judge its faded colours). */
async function settled(dialog: ReturnType<Page['locator']>): Promise<void> {
  await expect
    .poll(() =>
      dialog.evaluate(
        (element) => (globalThis as unknown as { getComputedStyle(node: unknown): { opacity: string } }).getComputedStyle(element).opacity,
      ),
    )
    .toBe('1');
}

async function tabTo(target: ReturnType<Page['locator']>, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  for (let presses = 0; presses < 80; presses++) {
    if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

beforeAll(async () => {
  await ensureBuilt();
  for (const file of [join(RENDERER, 'index.html'), ABOUT_FILE])
    if (!readdirSync(join(file, '..')).includes(file.split('/').at(-1) as string))
      throw new Error(`${file} is missing: run \`npm run build\` first.`);
  mkdirSync(join(userHome, '.config', 'Claude'), { recursive: true });
  writeFileSync(claudeConfig, claudeBefore);
  mkdirSync(home, { recursive: true });
  host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: userHome, env: {} },
    launch: { command: process.execPath, args: [STDIO_ENTRY], env: { RABBITMQ_MCP_HOME: home } },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.1.0-test',
    chooseExportPath: async (name) => join(root, name),
    autostart,
    versions: { electron: '41.7.1', node: process.versions.node, chrome: '146.0.7680.0' },
    aboutFile: ABOUT_FILE,
    openExternal: async (url) => void opened.push(url),
  });
  await host.app.completeFirstRun();
  await host.clients.connect('claude-desktop');
  await host.start();
  bridge = await startWindowBridge(RENDERER, host);
  browser = await launchChromium();
  page = await openBridgedPage(browser, bridge.url, pageErrors);
  await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await host?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('the Settings page and the About box', () => {
  it('changes settings with the keyboard alone, and they are saved', async () => {
    await tabTo(page.getByRole('button', { name: 'Settings', exact: true }));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { name: 'Settings', level: 2 }).isVisible()).toBe(true);
    // Start at login, through the system's own setting.
    await tabTo(page.getByRole('switch', { name: 'Start RabbitMQ MCP when you log in' }));
    await page.keyboard.press('Space');
    await expect.poll(() => loginItem).toBe(true);
    await expect.poll(() => page.getByTestId('settings-notice').textContent()).toBe('RabbitMQ MCP will start when you log in.');
    // The five notification switches, in plain words; one off.
    for (const label of [
      'Memory or disk alarm',
      'Messages dead-lettered',
      'Messages waiting with no consumer',
      'Broker down or back',
      'MCP server crashed',
    ])
      expect(await page.getByRole('switch', { name: label }).isChecked()).toBe(true);
    await tabTo(page.getByRole('switch', { name: 'Messages dead-lettered' }));
    await page.keyboard.press('Space');
    await expect.poll(async () => (await host.settings.get()).notifications['dead-letters']).toBe(false);
    expect((await host.settings.get()).notifications.alarm).toBe(true);
    // The feed address: a wrong one is explained and not saved; a right one is, with Enter.
    const feed = page.getByLabel('Update feed address (URL)');
    await tabTo(feed);
    await page.keyboard.type('ftp://updates.example.com/');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByText('Enter an address that starts with https://').isVisible()).toBe(true);
    expect((await host.settings.get()).updates.feedUrl).toBe('');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('https://updates.example.com/rabbitmq-mcp/');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await host.settings.get()).updates.feedUrl).toBe('https://updates.example.com/rabbitmq-mcp/');
    expect(await page.getByTestId('updates-section').getByRole('switch', { name: 'Check for updates automatically' }).isChecked()).toBe(
      true,
    );
    // Kept by the store the app reopens on its next start.
    expect(JSON.parse(readFileSync(join(home, 'rabbitmq-mcp.json'), 'utf8')).settings).toMatchObject({
      notifications: { 'dead-letters': false },
      updates: { check: true, feedUrl: 'https://updates.example.com/rabbitmq-mcp/' },
    });
  });

  it('opens the About box with the keyboard: versions, licences with their texts, and the docs in the browser', async () => {
    await tabTo(page.getByRole('button', { name: 'About RabbitMQ MCP' }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'About RabbitMQ MCP' });
    await expect.poll(() => dialog.getByTestId('about-version').textContent()).toBe('RabbitMQ MCP 0.1.0-test');
    expect(await dialog.getByTestId('about-versions').textContent()).toBe(
      `Electron 41.7.1 · Node.js ${process.versions.node} · Chrome 146.0.7680.0`,
    );
    const licences = JSON.parse(readFileSync(ABOUT_FILE, 'utf8')) as { packages: { name: string; version: string; text: string }[] };
    expect(await dialog.locator('summary').count()).toBe(licences.packages.length);
    expect(await dialog.textContent()).toContain('react ');
    expect(await dialog.textContent()).toContain('electron ');
    // A licence's full text opens with the keyboard.
    const first = licences.packages.find((entry) => entry.text !== '');
    const summary = dialog.locator('summary', { hasText: `${first?.name} ${first?.version}` }).first();
    await tabTo(dialog.getByRole('button', { name: 'Documentation' }));
    await page.keyboard.press('Enter');
    await expect.poll(() => opened).toEqual(['https://github.com/rabbitmq-mcp/rabbitmq-mcp#readme']);
    await tabTo(summary);
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.locator('details[open] pre').first().textContent()).toContain((first?.text ?? '').slice(0, 40));
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
  });

  it('opens the About box when the tray asks', async () => {
    host.requestAbout();
    const dialog = page.getByRole('dialog', { name: 'About RabbitMQ MCP' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await host.about.takeRequest()).toBe(false); // the window took it
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
  });

  it('exports the diagnostics zip from the Settings page', async () => {
    await page.getByRole('button', { name: 'Export diagnostics…' }).click();
    const notice = page.getByTestId('settings-notice');
    await expect.poll(() => notice.textContent()).toMatch(/^Saved the diagnostics to /);
    const path = (await notice.textContent())?.replace(/^Saved the diagnostics to /, '') ?? '';
    const entries = unzipSync(readFileSync(path));
    expect(Object.keys(entries)).toEqual(expect.arrayContaining(['about.json', 'settings.json', 'profiles.json', 'README.txt']));
    expect(JSON.parse(strFromU8(entries['settings.json'] as Uint8Array)).notifications['dead-letters']).toBe(false);
  });

  it('disconnects all AI apps by keyboard alone, and Claude Desktop keeps its other servers byte for byte', async () => {
    expect(readFileSync(claudeConfig, 'utf8')).toContain('"rabbitmq"');
    await tabTo(page.getByRole('button', { name: 'AI clients', exact: true }), 'Shift+Tab');
    await page.keyboard.press('Enter');
    await tabTo(page.getByRole('button', { name: 'Disconnect all AI apps…' }));
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Disconnect all AI apps?' });
    await expect.poll(() => confirm.isVisible()).toBe(true);
    await tabTo(confirm.getByRole('button', { name: 'Disconnect all' }));
    await page.keyboard.press('Enter');
    const result = page.getByTestId('disconnect-all-result');
    await expect.poll(() => result.textContent()).toContain('Disconnected:');
    expect(await result.textContent()).toMatch(/All AI apps are disconnected/);
    expect(await result.textContent()).toMatch(/Was not connected: Cursor was not connected/);
    expect(readFileSync(claudeConfig, 'utf8')).toBe(claudeBefore);
    await expect.poll(() => page.getByTestId('client-claude-desktop').textContent()).toContain('Not connected');
    // One backup from connecting, one from disconnecting: that one holds the file with our entry.
    const backups = readdirSync(join(userHome, '.config', 'Claude'))
      .filter((name) => name.endsWith('.bak'))
      .sort();
    expect(backups).toHaveLength(2);
    expect(readFileSync(join(userHome, '.config', 'Claude', backups[1] as string), 'utf8')).toContain('"rabbitmq"');
  });

  it('has no axe-core finding of any impact on the Settings page, the About box and the confirmation, in both themes', async () => {
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      if ((await page.locator('html').getAttribute('data-mantine-color-scheme')) !== scheme)
        await page.getByRole('button', { name: `Switch to ${scheme} theme` }).click();
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Settings', level: 2 }).isVisible()).toBe(true);
      for (const finding of await axeFindings()) found.push(`${scheme} Settings: ${finding}`);
      await page.getByRole('button', { name: 'About RabbitMQ MCP' }).click();
      const dialog = page.getByRole('dialog', { name: 'About RabbitMQ MCP' });
      await expect.poll(() => dialog.getByTestId('about-version').isVisible()).toBe(true);
      await dialog.locator('summary').first().click();
      await settled(dialog);
      for (const finding of await axeFindings()) found.push(`${scheme} About: ${finding}`);
      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.count()).toBe(0);
      await page.getByRole('button', { name: 'AI clients', exact: true }).click();
      await page.getByRole('button', { name: 'Disconnect all AI apps…' }).click();
      await settled(page.getByRole('dialog', { name: 'Disconnect all AI apps?' }));
      for (const finding of await axeFindings()) found.push(`${scheme} Disconnect all: ${finding}`);
      await page.keyboard.press('Escape');
    }
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    expect(found).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
