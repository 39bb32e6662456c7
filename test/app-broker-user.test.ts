import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerUserName } from '../electron/core/profiles/broker-user.js';
import { serverEnvironment } from '../electron/core/profiles/server-environment.js';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import { API_METHODS } from '../electron/shared/contract.js';
import { type ProfileInput, profileInputSchema } from '../electron/shared/profile.js';
import { permissionsFor } from '../server/broker/least-privilege.js';
import { seriousViolations } from './support/axe.js';
import { admin, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';
import { installBridgeApi, startWindowBridge } from './support/window-bridge.js';

/**
 * The desktop app's button for a scoped profile: the window (dist/renderer) in headless Chromium,
 * driving the real AppHost against the real broker, makes the profile's least-privilege broker
 * user from an administrator's login, and the profile's server then runs as that user.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RENDERER = fileURLToPath(new URL('../dist/renderer', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mcp-broker-user-'));
const home = join(root, 'app');
const vhost = useTestVhost('mcp-app-wall');
const profileName = `Orders ${uniqueName('wall')}`;
const madeUser = () => brokerUserName({ name: profileName } as Parameters<typeof brokerUserName>[0]);
let host: AppHost;
let bridge: Awaited<ReturnType<typeof startWindowBridge>>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** An administrator of the test's own, with a password that must end up nowhere on disk. */
const administrator = { user: uniqueName('mcp-app-admin'), password: `Admin-Pw-${Date.now()}-${Math.random().toString(36).slice(2)}` };

function profile(overrides: Partial<ProfileInput> = {}): ProfileInput {
  return {
    name: profileName,
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
    user: BROKER.user,
    vhost: vhost.name,
    safety: 'write',
    ...overrides,
  };
}

beforeAll(async () => {
  await ensureBuilt();
  if (!existsSync(join(RENDERER, 'index.html')))
    throw new Error(`${RENDERER} is missing: run \`npm run build\` first (\`npm test\` does).`);
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`);
  await admin('PUT', `/users/${encodeURIComponent(administrator.user)}`, { password: administrator.password, tags: 'administrator' });
  mkdirSync(home, { recursive: true });
  host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: join(root, 'home'), env: {} },
    launch: { command: process.execPath, args: [], env: {} },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.1.0-test',
    healthIntervalMs: 1000,
  });
  await host.start();
  await host.app.completeFirstRun();
  bridge = await startWindowBridge(RENDERER, host);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const context = await browser.newContext({ viewport: { width: 1120, height: 780 } });
  await context.addInitScript(installBridgeApi, API_METHODS);
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await host?.dispose();
  await admin('DELETE', `/users/${encodeURIComponent(madeUser())}`);
  await admin('DELETE', `/users/${encodeURIComponent(administrator.user)}`);
  rmSync(root, { recursive: true, force: true });
});

describe('a profile’s scope', () => {
  it('reaches its server as --vhosts and --queues', () => {
    const settings = profileInputSchema.parse(
      profile({ scopes: { vhosts: { allow: ['prod-*'], deny: ['prod-billing'] }, queues: { deny: ['*.audit'] } } }),
    );
    expect(serverEnvironment(settings, 'pw')).toMatchObject({ MCP_VHOSTS: 'prod-*,!prod-billing', MCP_QUEUES: '!*.audit' });
    expect(serverEnvironment(profileInputSchema.parse(profile()), 'pw')).not.toHaveProperty('MCP_QUEUES');
  });
});

describe('the app host', () => {
  it('refuses a profile without a scope, saying what to set', async () => {
    const unscoped = await host.profiles.create(profile({ name: `Unscoped ${uniqueName('wall')}` }), BROKER.password);
    await expect(host.profiles.planBrokerUser(unscoped.id, administrator)).rejects.toThrow(
      /is not limited to some vhosts or queues: set its scope first/,
    );
    await host.profiles.remove(unscoped.id);
  });

  it('says when the administrator login is refused', async () => {
    const scoped = await host.profiles.create(
      profile({ name: `Refused ${uniqueName('wall')}`, scopes: { queues: { allow: ['orders-*'] } } }),
      BROKER.password,
    );
    await expect(host.profiles.planBrokerUser(scoped.id, { user: administrator.user, password: 'not-the-password' })).rejects.toThrow(
      `the broker refused the administrator login '${administrator.user}': check its user name and password`,
    );
    await host.profiles.remove(scoped.id);
  });
});

describe('the window', () => {
  it('sets a scope in the profile editor', async () => {
    const created = await host.profiles.create(profile(), BROKER.password);
    await host.profiles.activate(created.id);
    await page.goto(bridge.url);
    const row = page.getByTestId('profiles-table').getByRole('row').filter({ hasText: profileName });
    await row.getByRole('button', { name: 'Edit' }).click();
    const drawer = page.getByRole('dialog', { name: 'Edit broker' });
    await drawer.getByLabel('Virtual hosts it may use', { exact: true }).fill(vhost.name);
    await drawer.getByLabel('Queues it may use', { exact: true }).fill('orders-*, !orders-secret');
    await drawer.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => drawer.getByTestId('connection-result').textContent(), { timeout: 20_000 }).toContain('Connection works');
    await drawer.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => drawer.count()).toBe(0);
    const saved = (await host.profiles.list()).find((candidate) => candidate.name === profileName);
    expect(saved?.scopes).toEqual({ vhosts: { allow: [vhost.name] }, queues: { allow: ['orders-*'], deny: ['orders-secret'] } });
  });

  it('previews the broker user for the scope, then makes it and runs the profile as it', async () => {
    const row = page.getByTestId('profiles-table').getByRole('row').filter({ hasText: profileName });
    await row.getByRole('button', { name: `More actions for ${profileName}` }).click();
    await page.getByRole('menuitem', { name: 'Create a broker user for this scope…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a broker user for this scope' });
    await dialog.getByLabel('Administrator user', { exact: true }).fill(administrator.user);
    await dialog.getByLabel('Administrator password', { exact: true }).fill(administrator.password);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const plan = dialog.getByTestId('broker-user-plan');
    await expect.poll(() => plan.textContent(), { timeout: 20_000 }).toContain(`User ${madeUser()} (new), tags management.`);
    expect(await plan.textContent()).toMatch(/The broker will refuse it.*no publishing to a queue by name/);
    expect(await plan.textContent()).toMatch(/Only the server will keep it from.*nothing is removed below --allow-destructive/);
    expect(await seriousViolations(page)).toEqual([]);

    await dialog.getByRole('button', { name: 'Create the user and use it' }).click();
    await expect.poll(() => dialog.count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(() => page.getByText(`now runs as broker user ${madeUser()}`).count()).toBe(1);
    await expect.poll(() => page.getByTestId('profiles-table').textContent()).toContain(`${madeUser()} on ${vhost.name}`);

    const made = await admin<{ tags: string[] | string }>('GET', `/users/${encodeURIComponent(madeUser())}`);
    expect([made.tags].flat().join(',')).toBe('management');
    const permissions = await admin<{ vhost: string; configure: string; write: string; read: string }[]>(
      'GET',
      `/users/${encodeURIComponent(madeUser())}/permissions`,
    );
    expect(permissions.map(({ vhost: name, configure, write, read }) => ({ vhost: name, configure, write, read }))).toEqual([
      { vhost: vhost.name, ...permissionsFor({ vhosts: [vhost.name], queues: ['orders-*', '!orders-secret'] }, 'write') },
    ]);
    await expect
      .poll(
        async () => {
          const state = await host.server.state();
          return state.status === 'healthy' ? state.profileName : state.status;
        },
        { timeout: 30_000 },
      )
      .toBe(profileName);
  });

  it('keeps the administrator’s password nowhere on disk: not in the store, not in the logs', () => {
    const files = (readdirSync(home, { recursive: true }) as string[])
      .map((name) => join(home, name))
      .filter((path) => statSync(path).isFile());
    expect(files.some((path) => path.includes('logs'))).toBe(true);
    for (const file of files) expect(readFileSync(file, 'utf8'), file).not.toContain(administrator.password);
    const appLog = files
      .filter((path) => /app-\d{4}-\d{2}-\d{2}\.log$/.test(path))
      .map((path) => readFileSync(path, 'utf8'))
      .join('');
    expect(appLog).toContain('broker user made for the profile');
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
