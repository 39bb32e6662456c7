import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import type { ProfileView } from '../electron/shared/contract.js';
import type { ProfileInput } from '../electron/shared/profile.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { startWindowBridge, CHROMIUM, launchChromium, openBridgedPage } from './support/window-bridge.js';

/**
 * Profile export and import in the window, built as shipped (dist/renderer), in a real headless
 * Chromium against the real AppHost and broker: export with encrypted passwords and import back
 * (names taken renamed, a wrong passphrase refused) by the keyboard alone, a rabbitmqadmin file
 * found in the home with the missing password asked after, and axe-core finding nothing at any
 * impact on each new screen in the light and the dark theme.
 */
const RENDERER = fileURLToPath(new URL('../dist/renderer', import.meta.url));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const root = mkdtempSync(join(tmpdir(), 'mcp-transfer-window-'));
const home = join(root, 'app');
const userHome = join(root, 'home');
const exportFile = join(root, 'exported', 'profiles.json');
const billingPassword = `Billing-Pw-${Date.now()}-${Math.random().toString(36).slice(2)}`;
const PASSPHRASE = 'my travelling passphrase';

let host: AppHost;
let bridge: Awaited<ReturnType<typeof startWindowBridge>>;
let browser: Browser;
let page: Page;
let openAnswer: string | null = null;
const pageErrors: string[] = [];

function profile(name: string, user: string): ProfileInput {
  return {
    name,
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
    user,
    vhost: '/',
    safety: 'read-only',
  };
}

function inputOf(view: ProfileView): ProfileInput {
  const { id: _id, createdAt: _created, updatedAt: _updated, active: _active, hasPassword: _has, ...input } = view;
  return input;
}

beforeAll(async () => {
  await ensureBuilt();
  if (!existsSync(join(RENDERER, 'index.html')))
    throw new Error(`${RENDERER} is missing: run \`npm run build\` first (\`npm test\` does).`);
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`);
  mkdirSync(home, { recursive: true });
  mkdirSync(userHome, { recursive: true });
  host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: userHome, env: {} },
    launch: { command: process.execPath, args: [], env: {} },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.1.0-test',
    healthIntervalMs: 60_000,
    chooseExportPath: async () => exportFile,
    chooseImportPath: async () => openAnswer,
  });
  await host.start();
  await host.profiles.create(profile('Orders', BROKER.user), BROKER.password);
  await host.profiles.create(profile('Billing', 'billing'), billingPassword);
  await host.app.completeFirstRun();
  bridge = await startWindowBridge(RENDERER, host);
  browser = await launchChromium();
  page = await openBridgedPage(browser, bridge.url, pageErrors);
  await page.getByTestId('profiles-table').getByText('Billing', { exact: true }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await host?.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Every WCAG 2.1 A/AA finding of axe-core, whatever its impact, as "rule: where". */
async function axeFindings(): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
  return (await page.evaluate(`
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
      .then((result) => result.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')))
  `)) as string[];
}

/** axe finds nothing on the screen as it is, in the light theme and in the dark one. */
async function accessibleInBothThemes(screen: string): Promise<void> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect.poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe(scheme);
    await page.waitForTimeout(250); // the modal's transition
    for (const finding of await axeFindings()) found.push(`${scheme} ${screen}: ${finding}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  expect(found).toEqual([]);
}

/** With TRANSFER_SHOTS=<folder>, the screen as it is, to look at. */
async function shot(name: string): Promise<void> {
  if (process.env.TRANSFER_SHOTS) await page.screenshot({ path: join(process.env.TRANSFER_SHOTS, `${name}.png`) });
}

/** Presses Tab until the element has the focus (the keyboard alone). */
async function tabTo(target: Locator): Promise<void> {
  for (let presses = 0; presses < 60; presses++) {
    if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

async function keyboardType(target: Locator, value: string): Promise<void> {
  await tabTo(target);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(value);
}

const focused = (target: Locator) => target.evaluate((element) => element === element.ownerDocument.activeElement);
const notice = () => page.getByRole('alert').filter({ hasText: /Exported|Imported/ });

describe('profile import and export in the window', () => {
  it('exports the profiles with their passwords encrypted, by the keyboard alone', async () => {
    await page.getByRole('heading', { name: 'Broker profiles' }).click(); // a start for Tab, as a click on the page would be
    await tabTo(page.getByRole('button', { name: 'Export…' }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Export profiles' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: 'Orders' }).isChecked()).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: 'Billing' }).isChecked()).toBe(true);

    await tabTo(dialog.getByLabel('Include the passwords, encrypted with a passphrase'));
    await page.keyboard.press('Space');
    await keyboardType(dialog.getByLabel('Passphrase', { exact: true }), 'short');
    await tabTo(dialog.getByRole('button', { name: 'Export 2 profiles…' }));
    await page.keyboard.press('Enter');
    // Too short: said under the field, which takes the focus.
    await expect.poll(() => focused(dialog.getByLabel('Passphrase', { exact: true }))).toBe(true);
    expect(await dialog.textContent()).toContain('Use at least 8 characters');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(PASSPHRASE);
    await keyboardType(dialog.getByLabel('Type the passphrase again'), `${PASSPHRASE}!`);
    await tabTo(dialog.getByRole('button', { name: 'Export 2 profiles…' }));
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(dialog.getByLabel('Type the passphrase again'))).toBe(true);
    expect(await dialog.textContent()).toContain('This is not the same passphrase');
    expect(existsSync(exportFile)).toBe(false);
    await accessibleInBothThemes('export');
    await shot('export');

    await keyboardType(dialog.getByLabel('Type the passphrase again'), PASSPHRASE);
    await tabTo(dialog.getByRole('button', { name: 'Export 2 profiles…' }));
    await page.keyboard.press('Enter');
    await expect.poll(() => notice().textContent()).toContain(`Exported 2 profiles to ${exportFile}, passwords encrypted`);
    expect(await page.getByRole('dialog', { name: 'Export profiles' }).count()).toBe(0);
    const bytes = readFileSync(exportFile, 'utf8');
    for (const secret of [billingPassword, Buffer.from(billingPassword).toString('base64'), PASSPHRASE])
      expect(bytes).not.toContain(secret);
    expect(JSON.parse(bytes)).toMatchObject({
      format: 'rabbitmq-mcp-profiles',
      version: 1,
      profiles: [{ name: 'Orders' }, { name: 'Billing' }],
    });
  });

  it('imports that file back by the keyboard alone: taken names renamed, a wrong passphrase refused with nothing imported', async () => {
    openAnswer = exportFile;
    await tabTo(page.getByRole('button', { name: 'Import…' }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Import profiles' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expect.poll(() => dialog.textContent()).toContain('Which file?');
    await accessibleInBothThemes('import, which file');
    await shot('import-which-file');
    await tabTo(dialog.getByRole('button', { name: 'Choose a file…' }));
    await page.keyboard.press('Enter');

    await expect.poll(() => dialog.textContent()).toContain('What the file holds');
    expect(await dialog.textContent()).toContain(`${exportFile} is a RabbitMQ MCP profile export, with 2 profiles.`);
    const cards = dialog.getByTestId('import-candidate');
    expect(await cards.count()).toBe(2);
    for (const card of await cards.all()) expect(await card.textContent()).toMatch(/Name taken.*encrypted in the file/);
    expect(await dialog.getByLabel('New name for Orders').inputValue()).toBe('Orders (imported)');
    expect(await dialog.getByLabel('New name for Billing').inputValue()).toBe('Billing (imported)');
    await accessibleInBothThemes('import preview');
    await shot('import-preview');

    // A name still taken is said before anything is sent.
    await keyboardType(dialog.getByLabel('New name for Billing'), 'Orders');
    expect(await dialog.textContent()).toContain('A profile named "Orders" already exists');
    await keyboardType(dialog.getByLabel('New name for Billing'), 'Billing (moved)');

    await keyboardType(dialog.getByLabel('Passphrase', { exact: true }), 'not my passphrase');
    await tabTo(dialog.getByRole('button', { name: 'Import 2 profiles' }));
    await page.keyboard.press('Enter');
    await expect
      .poll(() => dialog.getByRole('alert').textContent(), { timeout: 20_000 })
      .toMatch(/Nothing was imported.*That passphrase does not open this file/);
    expect((await host.profiles.list()).map((view) => view.name)).toEqual(['Orders', 'Billing']);

    await keyboardType(dialog.getByLabel('Passphrase', { exact: true }), PASSPHRASE);
    await tabTo(dialog.getByRole('button', { name: 'Import 2 profiles' }));
    await page.keyboard.press('Enter');
    await expect
      .poll(() => dialog.textContent(), { timeout: 20_000 })
      .toContain('Imported 2 profiles: Orders (imported), Billing (moved).');
    await accessibleInBothThemes('import done');
    await tabTo(dialog.getByRole('button', { name: 'Done' }));
    await page.keyboard.press('Enter');
    await expect.poll(() => notice().textContent()).toContain('Imported 2 profiles');
    await expect.poll(() => page.getByTestId('profiles-table').textContent()).toMatch(/Orders \(imported\).*Billing \(moved\)/);

    const views = await host.profiles.list();
    const moved = views.find((view) => view.name === 'Orders (imported)')!;
    expect(moved.hasPassword).toBe(true);
    expect((await host.connection.test(inputOf(moved), undefined, moved.id)).ok).toBe(true);
  });

  it('imports a rabbitmqadmin file found in the home, shows what it cannot import and why, and asks for the missing password', async () => {
    const conf = join(userHome, '.rabbitmqadmin.conf');
    writeFileSync(
      conf,
      `[local]\nhostname = ${BROKER.host}\nport = ${BROKER.httpPort}\nusername = ${BROKER.user}\n\n[broken]\nhostname = rabbit.internal\nport = fifteen\n`,
    );
    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import profiles' });
    await dialog.getByRole('button', { name: 'Import from ~/.rabbitmqadmin.conf' }).click();
    await expect.poll(() => dialog.textContent()).toContain('a rabbitmqadmin configuration file (classic, INI)');
    const [local, broken] = await dialog.getByTestId('import-candidate').all();
    expect(await local!.textContent()).toMatch(/New.*Password: not in the file.*the AMQP port is set to 5672/);
    expect(await broken!.textContent()).toMatch(/Cannot be imported.*line 8: port "fifteen" is not a port number/);
    expect(await broken!.getByRole('checkbox').isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Import 1 profile' }).click();

    await expect.poll(() => dialog.textContent()).toContain('Imported 1 profile: local.');
    expect(await dialog.textContent()).toContain('This one has no password yet.');
    await accessibleInBothThemes('import done, passwords to add');
    await shot('import-done');
    expect((await host.profiles.list()).find((view) => view.name === 'local')?.hasPassword).toBe(false);
    await dialog.getByLabel('Password for local').fill(BROKER.password);
    await dialog.getByRole('button', { name: 'Save passwords' }).click();
    await expect.poll(() => notice().textContent()).toContain('Imported 1 profile: local. Skipped 1. Saved 1 password.');
    const local_ = (await host.profiles.list()).find((view) => view.name === 'local')!;
    expect(local_.hasPassword).toBe(true);
    expect((await host.connection.test(inputOf(local_), undefined, local_.id)).ok).toBe(true);
  });

  it('says which line is wrong in a file that cannot be read, and raised no page errors', async () => {
    const bad = join(root, 'bad.toml');
    writeFileSync(bad, '[prod]\nhostname = "rabbit.internal\n');
    openAnswer = bad;
    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import profiles' });
    await dialog.getByRole('button', { name: 'Choose a file…' }).click();
    await expect
      .poll(() => dialog.getByRole('alert').textContent())
      .toMatch(/This file cannot be imported.*bad\.toml cannot be imported: line 2/);
    await accessibleInBothThemes('import, a bad file');
    await shot('import-bad-file');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // The bridge carries a rejected invoke (the wrong passphrase, the bad file) as an HTTP 500, which
    // Chromium logs; Electron's IPC does not. Anything else is a page error.
    expect(pageErrors.filter((error) => !/^Failed to load resource: the server responded with a status of 500/.test(error))).toEqual([]);
  });
});
