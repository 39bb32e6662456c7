import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import { seriousViolations } from './support/axe.js';
import { admin, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { startWindowBridge, CHROMIUM, launchChromium, openBridgedPage } from './support/window-bridge.js';

/**
 * The desktop window, built as shipped (dist/renderer), in a real headless Chromium, driving
 * the real AppHost (profiles, supervised server, client setup, health, logs) against the real
 * broker: the flow a new user goes through, checked the way they would check it.
 * UPDATE_SCREENSHOTS=1 saves the pages into docs/screenshots for the README.
 */
const RENDERER = fileURLToPath(new URL('../dist/renderer', import.meta.url));
const STDIO_ENTRY = fileURLToPath(new URL('../dist/app/stdio-entry.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mcp-window-'));
const home = join(root, 'app');
const userHome = join(root, 'home');
const claudeConfig = join(userHome, '.config', 'Claude', 'claude_desktop_config.json');
const shots = process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL('../docs/screenshots', import.meta.url)) : join(root, 'screenshots');
const user = uniqueName('mcp-window-user');
const password = `Window-Pw-${Date.now()}-${Math.random().toString(36).slice(2)}`;
const existingClaudeConfig = `${JSON.stringify({ mcpServers: { filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] } } }, null, 2)}\n`;

const vhostA = useTestVhost('mcp-window-a');
const vhostB = useTestVhost('mcp-window-b');
let host: AppHost;
let bridge: Awaited<ReturnType<typeof startWindowBridge>>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(300); // transitions
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

async function fill(label: string, value: string): Promise<void> {
  const field = page.getByLabel(label, { exact: true });
  await field.fill(value);
}

beforeAll(async () => {
  await ensureBuilt();
  if (!existsSync(join(RENDERER, 'index.html')))
    throw new Error(`${RENDERER} is missing: run \`npm run build\` first (\`npm test\` does).`);
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`);
  await admin('PUT', `/users/${user}`, { password, tags: 'monitoring' });
  for (const vhost of [vhostA, vhostB])
    await admin('PUT', `/permissions/${encodeURIComponent(vhost.name)}/${user}`, { configure: '.*', write: '.*', read: '.*' });
  mkdirSync(join(userHome, '.config', 'Claude'), { recursive: true });
  writeFileSync(claudeConfig, existingClaudeConfig);
  mkdirSync(home, { recursive: true });
  mkdirSync(shots, { recursive: true });
  host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: userHome, env: {} },
    launch: { command: process.execPath, args: [STDIO_ENTRY], env: { RABBITMQ_MCP_HOME: home } },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.1.0-test',
    healthIntervalMs: 400,
    chooseExportPath: async (name) => join(root, name),
  });
  await host.start();
  bridge = await startWindowBridge(RENDERER, host);
  browser = await launchChromium();
  page = await openBridgedPage(browser, bridge.url, pageErrors);
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await host?.dispose();
  await admin('DELETE', `/users/${user}`);
  rmSync(root, { recursive: true, force: true });
});

/** Presses Tab until the element has the focus (the keyboard alone, as a user without a mouse). */
async function tabTo(target: ReturnType<Page['locator']>): Promise<void> {
  for (let presses = 0; presses < 60; presses++) {
    if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

async function keyboardFill(label: string, value: string): Promise<void> {
  await tabTo(page.getByLabel(label, { exact: true }));
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(value);
}

/** The text of the element that has the focus. */
const focusedText = () => page.evaluate('document.activeElement?.textContent?.trim() ?? ""') as Promise<string>;

/** Whether an element is inside the window as it is, without scrolling. */
async function onScreen(locator: ReturnType<Page['locator']>): Promise<boolean> {
  const box = await locator.boundingBox();
  const size = page.viewportSize();
  return box !== null && size !== null && box.y >= 0 && box.y + box.height <= size.height && box.x + box.width <= size.width;
}

/** Where the header's broker select is: it must not move when the status beside it changes. */
let switcherAt: { x: number; width: number } | null = null;
const switcherBox = async () => {
  const box = await page.getByTestId('profile-switcher').boundingBox();
  return box && { x: Math.round(box.x), width: Math.round(box.width) };
};

describe('the desktop window', () => {
  it('greets a new user with the wizard, and explains a wrong password with what to fix', async () => {
    expect(await page.getByTestId('server-status').textContent()).toBe('Not running');
    switcherAt = await switcherBox();
    const wizard = page.getByRole('dialog', { name: 'Welcome to RabbitMQ MCP' });
    await expect.poll(() => wizard.isVisible()).toBe(true);
    // A field left empty: Next puts the focus into it, with what to fix.
    await fill('Host', '');
    await page.getByRole('button', { name: 'Next: test the connection' }).click();
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("aria-invalid")')).toBe('true');
    expect(await page.getByLabel('Host', { exact: true }).evaluate((element) => element === element.ownerDocument.activeElement)).toBe(
      true,
    );
    // The keyboard alone from here: Tab to each field, type, Tab to Next, Enter.
    await keyboardFill('Profile name', 'Orders (local)');
    await keyboardFill('Host', BROKER.host);
    await keyboardFill('AMQP port', String(BROKER.amqpPort));
    await keyboardFill('Management port', String(BROKER.httpPort));
    await keyboardFill('User', user);
    await keyboardFill('Password', 'not-the-password');
    await keyboardFill('Virtual host', vhostA.name);
    await shot('wizard');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await onScreen(page.getByRole('button', { name: 'Next: test the connection' }))).toBe(true);
    await tabTo(page.getByRole('button', { name: 'Next: test the connection' }));
    await page.keyboard.press('Enter');
    // Focus goes to the next step's action; the result's live region is there before the result.
    await expect.poll(() => focusedText()).toBe('Test connection');
    const liveRegion = page.getByRole('dialog').getByRole('status');
    expect(await liveRegion.getAttribute('aria-live')).toBe('polite');
    expect((await liveRegion.textContent())?.trim()).toBe('');
    await page.keyboard.press('Enter'); // the keyboard alone
    const result = page.getByTestId('connection-result');
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/Connection failed/);
    // A failed test: focus on what it says (Save is disabled).
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("role")')).toBe('status');
    expect(await result.textContent()).toMatch(
      /The broker connection \(AMQP\) and the management API failed\. Check the user name and password\./,
    );
    expect(await result.textContent()).not.toContain('AMQP_PASSWORD'); // the server's advice, not the window's
    expect(await page.getByTestId('connection-fix').first().textContent()).toMatch(/What to do: /);
    expect(await page.getByRole('button', { name: 'Save and continue' }).isDisabled()).toBe(true);
    await shot('wizard-wrong-password');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('saves the profile once the test passes, and connects Claude Desktop without losing its other servers', async () => {
    // Still the keyboard alone, to the end of the wizard.
    await tabTo(page.getByRole('button', { name: 'Back: change the details' }));
    await page.keyboard.press('Enter');
    await keyboardFill('Password', password);
    await tabTo(page.getByRole('button', { name: 'Next: test the connection' }));
    await page.keyboard.press('Enter');
    await expect.poll(() => focusedText()).toBe('Test connection');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('connection-result').textContent(), { timeout: 20_000 }).toMatch(/Connection works/);
    await expect.poll(() => focusedText()).toBe('Save and continue'); // a passed test: the next step
    await page.keyboard.press('Enter');

    const claude = page.getByRole('checkbox', { name: 'Claude Desktop' });
    await expect.poll(() => claude.isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: /Cursor/ }).isDisabled()).toBe(true); // not installed here
    await shot('wizard-clients');
    await expect.poll(() => focusedText()).toBe('Connect it');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByText('All set').isVisible()).toBe(true);
    // The last step with the keyboard: Tab walks the wizard only, never the app behind it.
    await expect.poll(() => focusedText()).toBe('Open the app');
    for (let step = 0; step < 6; step++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate('!!document.activeElement?.closest("[role=dialog]")')).toBe(true);
    }
    expect(await page.getByRole('dialog').textContent()).toMatch(/Claude Desktop/);

    const config = JSON.parse(readFileSync(claudeConfig, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    expect(Object.keys(config.mcpServers).sort()).toEqual(['filesystem', 'rabbitmq']);
    expect(config.mcpServers.rabbitmq).toMatchObject({ command: process.execPath, args: [STDIO_ENTRY] });
    expect(readFileSync(claudeConfig, 'utf8')).not.toContain(password);

    await tabTo(page.getByRole('button', { name: 'Open the app' }));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('dialog', { name: 'Welcome to RabbitMQ MCP' }).count()).toBe(0);
    expect((await host.app.info()).firstRun).toBe(false);
  });

  it('shows the saved profile as active and the server connected', async () => {
    const table = page.getByTestId('profiles-table');
    await expect.poll(() => table.textContent()).toMatch(/Orders \(local\)Active/);
    expect(await table.textContent()).toContain(`${user} on ${vhostA.name}`);
    expect(await table.textContent()).toContain('Read-only');
    await expect.poll(() => page.getByTestId('server-status').textContent(), { timeout: 30_000 }).toBe('Broker reachable');
    expect(await switcherBox()).toEqual(switcherAt);
    await shot('profiles');
  });

  it('adds a second broker with its safety level explained, and switches to it from the header', async () => {
    await page.getByRole('button', { name: 'Add a broker' }).click();
    const drawer = page.getByRole('dialog', { name: 'Add a broker' });
    await drawer.getByLabel('Profile name', { exact: true }).fill('Billing (local)');
    await drawer.getByLabel('Host', { exact: true }).fill(BROKER.host);
    await drawer.getByLabel('AMQP port', { exact: true }).fill(String(BROKER.amqpPort));
    await drawer.getByLabel('Management port', { exact: true }).fill(String(BROKER.httpPort));
    await drawer.getByLabel('User', { exact: true }).fill(user);
    await drawer.getByLabel('Password', { exact: true }).fill(password);
    await drawer.getByLabel('Virtual host', { exact: true }).fill(vhostB.name);
    const explanation = drawer.getByTestId('safety-explanation');
    expect(await explanation.textContent()).toMatch(/cannot change anything/);
    await drawer.getByText('Write', { exact: true }).click();
    expect(await explanation.textContent()).toMatch(/create queues, exchanges and bindings, and publish/);
    await shot('profile-editor');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await onScreen(drawer.getByRole('button', { name: 'Save' }))).toBe(true);
    // Never tested: the drawer says so and asks, as the wizard would not let it through.
    await drawer.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => drawer.getByText('The connection was not tested').isVisible()).toBe(true);
    expect(await drawer.getByRole('button', { name: 'Save anyway' }).isVisible()).toBe(true);
    expect(await drawer.count()).toBe(1); // nothing saved yet
    await drawer.getByRole('button', { name: 'Test connection' }).click();
    const tested = drawer.getByTestId('connection-result');
    await expect.poll(() => tested.textContent(), { timeout: 20_000 }).toContain('Connection works');
    await expect.poll(() => onScreen(tested.getByText('Connection works'))).toBe(true);
    await drawer.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => drawer.count()).toBe(0);
    await expect.poll(() => page.getByTestId('profiles-table').textContent()).toContain('Billing (local)');

    await page.getByRole('combobox', { name: 'Active broker' }).click();
    await page.getByRole('option', { name: 'Billing (local)' }).click();
    await expect.poll(() => host.profiles.list().then((list) => list.find((profile) => profile.active)?.name)).toBe('Billing (local)');
    await expect.poll(() => page.getByTestId('profiles-table').textContent(), { timeout: 20_000 }).toMatch(/Billing \(local\)Active/);
    await expect
      .poll(
        async () => {
          const state = await host.server.state();
          return state.status === 'healthy' ? state.profileName : state.status;
        },
        { timeout: 30_000 },
      )
      .toBe('Billing (local)');
    await expect.poll(() => page.getByTestId('server-status').textContent(), { timeout: 30_000 }).toBe('Broker reachable');
  });

  it('tests a saved profile from its drawer with the stored password (an argument left out, as Electron passes it)', async () => {
    const row = page.getByTestId('profiles-table').getByRole('row').filter({ hasText: 'Billing (local)' });
    await row.getByRole('button', { name: 'Edit' }).click();
    const drawer = page.getByRole('dialog', { name: 'Edit broker' });
    await drawer.getByRole('button', { name: 'Test connection' }).click();
    const result = drawer.getByTestId('connection-result');
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toContain('Connection works');
    expect(await result.textContent()).toContain(`The virtual host (vhost) '${vhostB.name}' exists and ${user} may use it.`);
    await page.keyboard.press('Escape');
    await expect.poll(() => drawer.count()).toBe(0);
  });

  it('shows the broker’s health: version, messages waiting and the rate charts', async () => {
    const vhost = encodeURIComponent(vhostB.name);
    await admin('PUT', `/queues/${vhost}/invoices`, { durable: false });
    for (let index = 0; index < 25; index += 1)
      await admin('POST', `/exchanges/${vhost}/amq.default/publish`, {
        routing_key: 'invoices',
        payload: `invoice ${index}`,
        payload_encoding: 'string',
        properties: {},
      });
    await page.getByRole('button', { name: 'Health', exact: true }).click();
    const stats = page.getByTestId('broker-stats');
    await expect.poll(() => stats.isVisible(), { timeout: 20_000 }).toBe(true);
    const overview = await admin<{ rabbitmq_version: string }>('GET', '/overview');
    expect(await page.getByTestId('health-scope').textContent()).toContain(
      `Virtual host (vhost) ${vhostB.name} on RabbitMQ ${overview.rabbitmq_version}`,
    );
    // The active profile's vhost only: other test files fill other vhosts of the same broker.
    await expect
      .poll(async () => Number((await page.getByTestId('stat-ready').textContent())?.replace(/\D/g, '')), { timeout: 20_000 })
      .toBe(25);
    expect(await page.getByTestId('stat-queues').textContent()).toBe('Queues1');
    expect(await page.getByTestId('server-summary').textContent()).toBe('The server for Billing (local) runs and reaches the broker.');
    await expect.poll(() => page.locator('.recharts-surface').count(), { timeout: 20_000 }).toBe(2);
    // Each chart: a name with its latest values and a legend, and no Tab stops of its own.
    const charts = page.getByRole('img', { name: /^Messages (per second|waiting) over the last/ });
    expect(await charts.count()).toBe(2);
    expect(await page.locator('.recharts-legend-wrapper').count()).toBe(2);
    expect(await page.locator('.recharts-wrapper [tabindex]:not([tabindex="-1"])').count()).toBe(0);
    await shot('health');
  });

  it('shows the app’s log, filtered as the user types, and exports it', async () => {
    await page.getByRole('button', { name: 'Logs', exact: true }).click();
    const table = page.getByTestId('log-table');
    await expect.poll(() => table.textContent(), { timeout: 10_000 }).toContain('profile switched');
    await page.getByLabel('Search').fill('Billing');
    await expect.poll(() => table.locator('tbody tr').count()).toBeGreaterThan(0);
    await expect
      .poll(async () => (await table.locator('tbody tr').allTextContents()).every((row) => row.includes('Billing')), { timeout: 5_000 })
      .toBe(true);
    await shot('logs');
    await page.getByRole('button', { name: 'Export…' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'Saved' });
    await expect.poll(() => notice.textContent()).toMatch(/^Saved \d+ entries to /);
    const path = (await notice.textContent())?.replace(/^Saved \d+ entries to /, '') ?? '';
    expect(readFileSync(path, 'utf8')).toContain('Billing (local)');
    expect(readFileSync(path, 'utf8')).not.toContain(password);
  });

  it('shows Claude Desktop connected, and undo puts its settings file back as it was', async () => {
    await page.getByRole('button', { name: 'AI clients', exact: true }).click();
    const card = page.getByTestId('client-claude-desktop');
    await expect.poll(() => card.textContent()).toContain('Connected');
    expect(await card.textContent()).toContain(claudeConfig);
    await shot('clients');
    await card.getByRole('button', { name: 'Undo our change' }).click();
    await expect.poll(() => card.textContent()).toContain('Not connected');
    expect(readFileSync(claudeConfig, 'utf8')).toBe(existingClaudeConfig);
  });

  it("says a refused login in the profile's terms, with Edit where the fix is", async () => {
    const billing = (await host.profiles.list()).find((profile) => profile.active);
    if (!billing) throw new Error('no active profile');
    const { id, createdAt: _created, updatedAt: _updated, active: _active, hasPassword: _stored, ...input } = billing;
    await host.profiles.update(id, input, 'not-the-password');
    try {
      await page.getByRole('button', { name: 'Broker profiles', exact: true }).click();
      const state = page.getByTestId('server-state');
      await expect.poll(() => state.textContent(), { timeout: 30_000 }).toContain(`the broker refused the login of user '${user}'`);
      expect(await page.getByTestId('server-advice').textContent()).toBe("Check this profile's User and Password.");
      expect(await state.textContent()).not.toMatch(/AMQP_USER|AMQP_PASSWORD|unreachable/);
      await shot('refused-login');
      await state.getByRole('button', { name: 'Edit Billing (local)' }).click();
      const drawer = page.getByRole('dialog', { name: 'Edit broker' });
      await expect.poll(() => drawer.isVisible()).toBe(true);
      await page.keyboard.press('Escape');
      await expect.poll(() => drawer.count()).toBe(0);
    } finally {
      await host.profiles.update(id, input, password);
    }
    await expect.poll(() => page.getByTestId('server-status').textContent(), { timeout: 30_000 }).toBe('Broker reachable');
  });

  it('has no serious or critical WCAG 2.1 AA violation on any page, in the light and the dark theme (axe-core)', async () => {
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      if ((await page.locator('html').getAttribute('data-mantine-color-scheme')) !== scheme)
        await page.getByRole('button', { name: `Switch to ${scheme} theme` }).click();
      for (const name of ['Broker profiles', 'AI clients', 'Health', 'Logs']) {
        await page.getByRole('button', { name, exact: true }).click();
        await page.waitForTimeout(300); // transitions
        for (const violation of await seriousViolations(page)) found.push(`${scheme} ${name}: ${violation}`);
      }
    }
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    expect(found).toEqual([]);
    // The focus ring (which axe does not check) has 3:1 against the page in both themes.
    for (const scheme of ['light', 'dark'] as const) {
      if ((await page.locator('html').getAttribute('data-mantine-color-scheme')) !== scheme)
        await page.getByRole('button', { name: `Switch to ${scheme} theme` }).click();
      await page.getByRole('button', { name: 'Health', exact: true }).focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab'); // a keyboard focus, which :focus-visible shows
      const ratio = (await page.evaluate(`(() => {
        const rgb = (text) => text.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; }).reduce((s, c, i) => s + c * [0.2126, 0.7152, 0.0722][i], 0);
        const ring = lum(rgb(getComputedStyle(document.activeElement).outlineColor));
        const page = lum(rgb(getComputedStyle(document.body).backgroundColor));
        return (Math.max(ring, page) + 0.05) / (Math.min(ring, page) + 0.05);
      })()`)) as number;
      expect(ratio, `${scheme} focus ring`).toBeGreaterThanOrEqual(3);
    }
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
  });

  it('labels every control for screen readers and raised no page errors', async () => {
    // Runs in the page; a string because the tests compile without the DOM library.
    const unlabelled = (await page.evaluate(`
      Array.from(document.querySelectorAll('button, input:not([type=hidden]), select, textarea, a[href]'))
        .filter((element) => !(element.getAttribute('aria-label') || element.getAttribute('aria-labelledby') || element.labels?.length || element.textContent.trim()))
        .map((element) => element.outerHTML.slice(0, 160))
    `)) as string[];
    expect(unlabelled).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
