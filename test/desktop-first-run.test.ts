import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { readRuntimeInfo } from '../electron/core/supervisor/runtime-file.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import { API_METHODS } from '../electron/shared/contract.js';
import type { ProfileInput } from '../electron/shared/profile.js';
import { seriousViolations } from './support/axe.js';
import { eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { installBridgeApi, startWindowBridge, CHROMIUM, launchChromium } from './support/window-bridge.js';

/**
 * The first run and the window's words, as issue 22 found them: the wizard with four AI apps
 * installed (unticked by mouse and by keyboard), reopened after its profile was saved, and left
 * with "Set up later"; the drawers' focus, the password's show button, the log in plain words,
 * the Health charts after a switch, and no error class name anywhere. The built window in
 * Chromium, on the real host and broker.
 */
const RENDERER = fileURLToPath(new URL('../dist/renderer', import.meta.url));
const STDIO_ENTRY = fileURLToPath(new URL('../dist/app/stdio-entry.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mcp-first-run-'));
const userHome = join(root, 'home');
const configs = {
  claude: join(userHome, '.config', 'Claude', 'claude_desktop_config.json'),
  cursor: join(userHome, '.cursor', 'mcp.json'),
  vscode: join(userHome, '.config', 'Code', 'User', 'mcp.json'),
  windsurf: join(userHome, '.codeium', 'windsurf', 'mcp_config.json'),
};
const vhostA = useTestVhost('mcp-first-a');
const vhostB = useTestVhost('mcp-first-b');

interface Window {
  host: AppHost;
  bridge: Awaited<ReturnType<typeof startWindowBridge>>;
  context: BrowserContext;
  page: Page;
  errors: string[];
}

let browser: Browser;
let main: Window;
let page: Page;

/** An app in a folder of its own, its window open in Chromium at the app's default size. */
async function openWindow(name: string): Promise<Window> {
  const home = join(root, name);
  mkdirSync(home, { recursive: true });
  const host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: userHome, env: {} },
    launch: { command: process.execPath, args: [STDIO_ENTRY], env: { RABBITMQ_MCP_HOME: home } },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.1.0-test',
    healthIntervalMs: 400,
  });
  await host.start();
  const bridge = await startWindowBridge(RENDERER, host);
  const context = await browser.newContext({ viewport: { width: 1120, height: 780 }, colorScheme: 'light' });
  await context.addInitScript(installBridgeApi, API_METHODS);
  const opened = await context.newPage();
  const errors: string[] = [];
  opened.on('pageerror', (error) => errors.push(error.message));
  opened.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await opened.goto(bridge.url);
  return { host, bridge, context, page: opened, errors };
}

async function closeWindow(window: Window | undefined): Promise<void> {
  await window?.context.close();
  await window?.bridge.close();
  await window?.host.dispose();
}

beforeAll(async () => {
  await ensureBuilt();
  if (!existsSync(join(RENDERER, 'index.html'))) throw new Error(`${RENDERER} is missing: run \`npm run build\` first.`);
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`);
  // Four AI apps installed (their folders exist), none set up yet.
  for (const folder of ['.config/Claude', '.cursor', '.config/Code/User', '.codeium/windsurf'])
    mkdirSync(join(userHome, folder), { recursive: true });
  browser = await launchChromium();
  main = await openWindow('app');
  page = main.page;
});

afterAll(async () => {
  await closeWindow(main);
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

const isFocused = (target: Locator) => target.evaluate((element) => element === element.ownerDocument.activeElement);

/** Presses Tab until the element has the focus (the keyboard alone). */
async function tabTo(target: Locator, on = page): Promise<void> {
  for (let presses = 0; presses < 60; presses++) {
    if (await isFocused(target)) return;
    await on.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

/** The accessible name of what has the focus. */
const focusedName = (on = page) =>
  on.evaluate(
    `(() => { const e = document.activeElement; return (e?.getAttribute('aria-label') || e?.labels?.[0]?.textContent || e?.textContent || '').trim(); })()`,
  ) as Promise<string>;

/** Whether the element is in view and not under the wizard's sticky header or action bar. */
async function clearOfStickyBars(target: Locator, on = page): Promise<boolean> {
  const box = await target.boundingBox();
  const bar = await on.getByTestId('wizard').locator('[data-sticky-actions]').last().boundingBox();
  const header = await on.getByTestId('wizard').locator('.mantine-Modal-header').boundingBox();
  if (!box || !bar || !header) return false;
  return box.y >= header.y + header.height && box.y + box.height <= bar.y;
}

async function scheme(which: 'light' | 'dark', on = page): Promise<void> {
  await on.evaluate(`localStorage.setItem('mantine-color-scheme-value', '${which}')`);
  await on.reload();
  await expect.poll(() => on.locator('html').getAttribute('data-mantine-color-scheme')).toBe(which);
}

function profile(name: string, vhost: string): ProfileInput {
  return {
    name,
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
    user: BROKER.user,
    vhost,
    safety: 'read-only',
  };
}

describe('the first-run wizard', () => {
  it('focuses the first field, and keeps the safety choice and the password’s show button in reach of Tab', async () => {
    const wizard = page.getByRole('dialog', { name: 'Welcome to RabbitMQ MCP' });
    await expect.poll(() => wizard.isVisible()).toBe(true);
    await expect.poll(() => isFocused(page.getByLabel('Profile name', { exact: true }))).toBe(true);
    expect(await page.getByRole('button', { name: 'Set up later' }).isVisible()).toBe(true);
    await page.getByLabel('Password', { exact: true }).fill(BROKER.password);
    await tabTo(page.getByLabel('Password', { exact: true }));
    await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Show the password');
    await page.keyboard.press('Enter');
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('text');
    await page.keyboard.press('Enter');
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('password');
    // The safety choice: Tab brings it into view above the sticky bar, not under it.
    const safety = page.getByRole('radio', { name: 'Read-only' });
    await tabTo(safety);
    await expect.poll(() => clearOfStickyBars(page.getByRole('radiogroup', { name: 'What the AI assistant may do' }))).toBe(true);
    await expect.poll(() => clearOfStickyBars(page.getByTestId('safety-explanation'))).toBe(true);
    for (const which of ['light', 'dark'] as const) {
      await scheme(which);
      expect(await seriousViolations(page), `${which} wizard, first step`).toEqual([]);
    }
    await scheme('light');
  });

  it('saves the profile, and reopened goes on from the AI apps step with it instead of starting over', async () => {
    await page.getByLabel('Profile name', { exact: true }).fill('First run');
    await page.getByLabel('Host', { exact: true }).fill(BROKER.host);
    await page.getByLabel('AMQP port', { exact: true }).fill(String(BROKER.amqpPort));
    await page.getByLabel('Management port', { exact: true }).fill(String(BROKER.httpPort));
    await page.getByLabel('User', { exact: true }).fill(BROKER.user);
    await page.getByLabel('Password', { exact: true }).fill(BROKER.password);
    await page.getByLabel('Virtual host', { exact: true }).fill(vhostA.name);
    await page.getByRole('button', { name: 'Next: test the connection' }).click();
    await page.getByRole('button', { name: 'Test connection', exact: true }).click();
    await expect.poll(() => page.getByTestId('connection-result').textContent(), { timeout: 20_000 }).toMatch(/Connection works/);
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await expect.poll(() => page.getByRole('checkbox', { name: 'Claude Desktop' }).count(), { timeout: 10_000 }).toBe(1);

    // The window closed and opened again (the app still in its first run).
    await page.reload();
    const wizard = page.getByRole('dialog', { name: 'Welcome to RabbitMQ MCP' });
    await expect.poll(() => wizard.isVisible()).toBe(true);
    await expect
      .poll(() => page.getByTestId('wizard-saved').textContent(), { timeout: 10_000 })
      .toBe('The broker profile First run is saved.');
    await expect.poll(() => page.getByRole('checkbox', { name: 'Claude Desktop' }).isChecked(), { timeout: 10_000 }).toBe(true);
    expect((await main.host.profiles.list()).map((saved) => saved.name)).toEqual(['First run']);
    for (const which of ['dark', 'light'] as const) {
      await scheme(which);
      await expect.poll(() => page.getByRole('checkbox', { name: 'Claude Desktop' }).count(), { timeout: 10_000 }).toBe(1);
      expect(await seriousViolations(page), `${which} wizard, AI apps step`).toEqual([]);
    }
    expect((await main.host.profiles.list()).length).toBe(1);
  });

  it('unticks AI apps by mouse and by keyboard without losing the window, and connects only the one chosen', async () => {
    const box = (name: string) => page.getByRole('checkbox', { name });
    for (const name of ['Claude Desktop', 'Cursor', 'VS Code', 'Windsurf']) await expect.poll(() => box(name).isChecked()).toBe(true);
    // Untick and tick several in a row, as a person choosing "only Claude Desktop" would: the
    // mouse first, then the keyboard alone.
    for (const name of ['Cursor', 'VS Code', 'Windsurf']) await box(name).click();
    for (const name of ['Cursor', 'VS Code', 'Windsurf']) {
      await tabTo(box(name));
      await page.keyboard.press('Space'); // ticked again
      await page.keyboard.press('Space'); // and unticked
    }
    expect(main.errors).toEqual([]);
    for (const [name, checked] of [
      ['Claude Desktop', true],
      ['Cursor', false],
      ['VS Code', false],
      ['Windsurf', false],
    ] as const)
      expect(await box(name).isChecked(), name).toBe(checked);
    expect(await page.getByRole('dialog', { name: 'Welcome to RabbitMQ MCP' }).isVisible()).toBe(true);
    await tabTo(page.getByRole('button', { name: 'Connect it' }));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByText('All set').isVisible()).toBe(true);
    const claude = JSON.parse(readFileSync(configs.claude, 'utf8')) as { mcpServers: Record<string, unknown> };
    expect(Object.keys(claude.mcpServers)).toEqual(['rabbitmq']);
    for (const path of [configs.cursor, configs.vscode, configs.windsurf]) expect(existsSync(path), path).toBe(false);
    await tabTo(page.getByRole('button', { name: 'Open the app' }));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('dialog', { name: 'Welcome to RabbitMQ MCP' }).count()).toBe(0);
    expect(main.errors).toEqual([]);
  });

  it('can be left at any step with "Set up later", by keyboard, and stays closed', async () => {
    const other = await openWindow('later');
    try {
      const wizard = other.page.getByRole('dialog', { name: 'Welcome to RabbitMQ MCP' });
      await expect.poll(() => wizard.isVisible()).toBe(true);
      await tabTo(other.page.getByRole('button', { name: 'Set up later' }), other.page);
      await other.page.keyboard.press('Enter');
      await expect.poll(() => wizard.count()).toBe(0);
      expect((await other.host.app.info()).firstRun).toBe(false);
      expect(await other.host.profiles.list()).toEqual([]);
      await other.page.reload();
      await expect.poll(() => other.page.getByRole('button', { name: 'Add a broker' }).isVisible()).toBe(true);
      expect(await wizard.count()).toBe(0);
      expect(other.errors).toEqual([]);
    } finally {
      await closeWindow(other);
    }
  });
});

describe('the window after the first run', () => {
  it('says the broker is reachable in the header, and an AI app is connected on its own page', async () => {
    await expect.poll(() => page.getByTestId('server-status').textContent(), { timeout: 30_000 }).toBe('Broker reachable');
    await page.getByRole('button', { name: 'AI clients', exact: true }).click();
    const card = page.getByTestId('client-claude-desktop');
    await expect.poll(() => card.textContent()).toContain('Connected');
    expect(await card.getByRole('button', { name: 'Set up Claude Desktop again' }).isVisible()).toBe(true);
    expect(await page.textContent('body')).not.toMatch(/Write again/);
    await page.getByRole('button', { name: 'Broker profiles', exact: true }).click();
    expect(await page.getByTestId('profiles-table').textContent()).not.toMatch(/Assistant may|vhost/);
  });

  it('focuses the profile name in both the Add and the Edit drawer, and Tab reaches the password’s show button', async () => {
    await page.getByRole('button', { name: 'Add a broker' }).click();
    const add = page.getByRole('dialog', { name: 'Add a broker' });
    await expect.poll(() => isFocused(add.getByLabel('Profile name', { exact: true }))).toBe(true);
    await tabTo(add.getByLabel('Password', { exact: true }));
    await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Show the password');
    await page.keyboard.press('Escape');
    await expect.poll(() => add.count()).toBe(0);
    await page.getByRole('button', { name: 'Edit First run' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit broker' });
    await expect.poll(() => isFocused(edit.getByLabel('Profile name', { exact: true }))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => edit.count()).toBe(0);
  });

  it('explains a profile name already taken without an error class name', async () => {
    await page.getByRole('button', { name: 'Add a broker' }).click();
    const drawer = page.getByRole('dialog', { name: 'Add a broker' });
    await drawer.getByLabel('Profile name', { exact: true }).fill('First run');
    await drawer.getByRole('button', { name: 'Save' }).click();
    await drawer.getByRole('button', { name: 'Save anyway' }).click();
    const problem = drawer.getByRole('alert').filter({ hasText: 'Not saved' });
    await expect.poll(() => problem.textContent()).toContain('a profile named "First run" already exists');
    expect(await problem.textContent()).not.toMatch(/\w+Error\b|Error:|invoking remote method/);
    // The refused call is the one console error (the bridge answers it with a 500, as Electron rejects it).
    expect(main.errors.splice(0)).toEqual(['Failed to load resource: the server responded with a status of 500 (Internal Server Error)']);
    await page.keyboard.press('Escape');
    await expect.poll(() => drawer.count()).toBe(0);
    expect((await main.host.profiles.list()).length).toBe(1);
  });

  it('starts the Health figures afresh when the broker is switched', async () => {
    const second = await main.host.profiles.create(profile('Second', vhostB.name), BROKER.password);
    await page.getByRole('button', { name: 'Health', exact: true }).click();
    const since = page.getByTestId('health-scope').locator('time');
    await expect.poll(() => since.count(), { timeout: 20_000 }).toBe(1);
    const switchedAt = new Date().toISOString();
    await page.getByRole('combobox', { name: 'Active broker' }).click();
    await page.getByRole('option', { name: 'Second' }).click();
    await expect.poll(() => page.getByTestId('health-scope').textContent(), { timeout: 20_000 }).toContain(vhostB.name);
    // The first point shown is the new broker's: none from before the switch.
    await expect.poll(async () => ((await since.getAttribute('datetime')) ?? '') >= switchedAt, { timeout: 20_000 }).toBe(true);
    expect(await main.host.health.history().then((history) => history.every((sample) => sample.at >= switchedAt))).toBe(true);
    await main.host.profiles.activate((await main.host.profiles.list()).find((saved) => saved.name === 'First run')?.id ?? second.id);
  });

  it('shows the log in plain words, with the details a bug report needs one keypress away', async () => {
    // A request from an AI app, as Claude Desktop's would come through the app.
    const runtime = await eventually(
      () => readRuntimeInfo(join(root, 'app', 'runtime.json')).then((info) => info ?? undefined),
      'the server',
    );
    await fetch(runtime.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${runtime.token}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_overview', arguments: {} } }),
    });
    await page.getByRole('button', { name: 'Logs', exact: true }).click();
    await page.getByLabel('Search').fill('tools/call');
    const row = page.getByTestId('log-table').locator('tbody tr').filter({ hasText: 'An AI app sent a request' }).first();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    const headline = await row.locator('td').nth(3).locator('p').first().textContent();
    expect(headline).toBe('An AI app sent a request (request: use a tool)');
    expect(await row.locator('td').nth(2).textContent()).toBe('MCP server');
    const details = row.locator('details');
    expect(await details.getAttribute('open')).toBeNull();
    await tabTo(details.locator('summary'));
    await page.keyboard.press('Enter');
    await expect.poll(() => details.getAttribute('open')).not.toBeNull();
    const shown = await details.locator('pre').innerText();
    expect(shown).toContain('request (rpc): use a tool [tools/call]');
    expect(shown).toContain('AI app (client): connection key 1 [token#1]');
    expect(shown).toMatch(/process id \(pid\): \d+/);
    // Visible without opening Details: no pid=, rpc=, token#.
    // A string: the tests compile without the DOM library.
    const visible = (await page.evaluate(
      `[...document.querySelectorAll('[data-testid="log-table"] tbody tr')].map((tr) => tr.innerText.split('Details')[0]).join('\\n')`,
    )) as string;
    expect(visible).not.toMatch(/pid=|rpc=|token#/);
    for (const which of ['dark', 'light'] as const) {
      await page.getByRole('button', { name: `Switch to ${which} theme` }).click();
      expect(await seriousViolations(page), `${which} logs with details open`).toEqual([]);
    }
    expect(main.errors).toEqual([]);
  });
});
