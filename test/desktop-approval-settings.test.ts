import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import type { ProfileView } from '../electron/shared/contract.js';
import { defaultProfileInput } from '../electron/shared/profile.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { launchChromium, openBridgedPage, startWindowBridge } from './support/window-bridge.js';

/**
 * The approval settings in the window as built (dist/renderer), in a real Chromium, against the
 * real AppHost: a profile's "Ask me in this app before the AI…" choice and the app's time to
 * answer an approval, saved where the app reads them and applied to the server it runs.
 */
const RENDERER = fileURLToPath(new URL('../dist/renderer', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mcp-approval-window-'));
const home = join(root, 'app');

let host: AppHost;
let bridge: Awaited<ReturnType<typeof startWindowBridge>>;
let browser: Browser;
let page: Page;
let profile: ProfileView;
const pageErrors: string[] = [];

const CHOICES = ['removes or loses something (recommended)', 'changes anything', 'never ask (a sandbox broker)'];

async function openEditor(): Promise<void> {
  await page.getByRole('button', { name: 'Broker profiles', exact: true }).click();
  await page.getByRole('button', { name: `Edit ${profile.name}` }).click();
  await page.getByLabel('Profile name').waitFor();
}

/** Picks a safety level as a person does: its segment's label (the radio under it is hidden). */
async function safetyLevel(label: 'Read-only' | 'Write'): Promise<void> {
  await page.getByRole('dialog').locator('label', { hasText: label }).click();
  await expect.poll(() => page.getByRole('radio', { name: label }).isChecked()).toBe(true);
}

async function save(): Promise<void> {
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  // Settings not tested in this editor: the editor asks once more.
  await page.getByRole('button', { name: 'Save anyway' }).click();
  await page.getByLabel('Profile name').waitFor({ state: 'detached' });
}

function stored(): {
  profiles: { name: string; approval?: string; safety: string }[];
  settings?: { approvals?: { timeoutSeconds: number } };
} {
  return JSON.parse(readFileSync(join(home, 'rabbitmq-mcp.json'), 'utf8'));
}

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(home, { recursive: true });
  host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: join(root, 'home'), env: {} },
    launch: { command: process.execPath, args: ['stdio-entry.mjs'], env: { RABBITMQ_MCP_HOME: home } },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.1.0-test',
  });
  await host.app.completeFirstRun();
  profile = await host.profiles.create(
    {
      ...defaultProfileInput(`Approvals ${process.pid}`),
      amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
      management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
      user: BROKER.user,
      safety: 'destructive',
    },
    BROKER.password,
  );
  await host.start();
  bridge = await startWindowBridge(RENDERER, host);
  browser = await launchChromium();
  page = await openBridgedPage(browser, bridge.url, pageErrors);
  page.setDefaultTimeout(8000);
  await page.getByRole('button', { name: 'Settings', exact: true }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await host?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('approval settings in the window', () => {
  it('offers the three choices in plain words, destructive first and chosen for a new profile', async () => {
    expect(profile.approval).toBe('destructive');
    await openEditor();
    const group = page.getByRole('radiogroup', { name: 'Ask me in this app before the AI…' });
    await group.waitFor();
    const radios = group.getByRole('radio');
    expect(await radios.count()).toBe(3);
    expect(await radios.evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value))).toEqual([
      'destructive',
      'every-change',
      'none',
    ]);
    for (const [index, label] of CHOICES.entries())
      expect(await group.getByRole('radio', { name: label, exact: true }).isChecked()).toBe(index === 0);
    await page.getByRole('button', { name: 'Close without saving' }).click();
  });

  it('saves the choice, and the server it runs asks for every change from then on', async () => {
    const pidBefore = (await host.server.state()) as { pid?: number };
    await openEditor();
    await page.getByRole('radio', { name: 'changes anything' }).check();
    await save();
    await expect.poll(() => host.profiles.list().then((all) => all.find((view) => view.id === profile.id)?.approval)).toBe('every-change');
    expect(stored().profiles.find((saved) => saved.name === profile.name)?.approval).toBe('every-change');
    // The change applies as a safety level's does: the server restarts for the edited active profile.
    await expect
      .poll(async () => {
        const state = (await host.server.state()) as { status: string; pid?: number };
        return state.status === 'healthy' && state.pid !== pidBefore.pid;
      })
      .toBe(true);
    const { pid } = (await host.server.state()) as { pid: number };
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('MCP_APP_APPROVAL=every-change');
    await openEditor();
    expect(await page.getByRole('radio', { name: 'changes anything' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Close without saving' }).click();
  });

  it('hides the choice at read-only, where nothing can change, and keeps what was chosen', async () => {
    await openEditor();
    const group = page.getByRole('radiogroup', { name: 'Ask me in this app before the AI…' });
    expect(await group.isVisible()).toBe(true);
    await safetyLevel('Read-only');
    await group.waitFor({ state: 'detached' });
    await safetyLevel('Write');
    await group.waitFor();
    expect(await page.getByRole('radio', { name: 'changes anything' }).isChecked()).toBe(true);
    await safetyLevel('Read-only');
    await save();
    await expect.poll(() => host.profiles.list().then((all) => all.find((view) => view.id === profile.id)?.safety)).toBe('read-only');
    expect((await host.profiles.list()).find((view) => view.id === profile.id)?.approval).toBe('every-change');
  });

  it('saves the time to answer an approval, and refuses one out of range with what to enter', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const field = page.getByLabel('Time to answer an approval (seconds)');
    await field.waitFor();
    expect(await field.inputValue()).toBe('120');
    const saveTime = page.getByRole('button', { name: 'Save time' });
    for (const wrong of ['5', '1000']) {
      await field.fill(wrong);
      await saveTime.click();
      await expect.poll(() => page.getByText('Enter a whole number of seconds from 15 to 900 (15 minutes).').isVisible()).toBe(true);
      expect((await host.settings.get()).approvals.timeoutSeconds).toBe(120);
    }
    await field.fill('300');
    await saveTime.click();
    await expect.poll(async () => (await host.settings.get()).approvals.timeoutSeconds).toBe(300);
    await expect.poll(() => page.getByTestId('settings-notice').textContent()).toBe('You now have 300 seconds to answer an approval.');
    expect(await page.getByText('Enter a whole number of seconds').count()).toBe(0);
    expect(stored().settings?.approvals).toEqual({ timeoutSeconds: 300 });
    // The main process refuses it too, whatever sends it, with what to fix.
    await expect(host.settings.update({ approvals: { timeoutSeconds: 10 } })).rejects.toThrow(
      'The settings were not changed: approvals.timeoutSeconds: the time to answer an approval is at least 15 seconds',
    );
    expect(pageErrors).toEqual([]);
  });
});
