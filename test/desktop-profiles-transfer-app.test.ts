import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionCheck, ImportPreview, ImportResult, ProfileExportResult, ProfileView } from '../electron/shared/contract.js';
import { BROKER } from './support/broker-env.js';
import { ensureBuilt } from './support/built-server.js';
import { assemblePackagedApp, bundleStandIn, startDesktopApp } from './support/desktop-app.js';

/**
 * Profile import and export in the app as it ships: the built main.cjs and preload.cjs under the
 * stand-in for `electron`, so the open and save dialogs main.ts injects, the preload's methods and
 * the main process's argument checks are the real ones.
 */
const root = mkdtempSync(join(tmpdir(), 'mcp-transfer-app-'));
const resources = join(root, 'RabbitMQ MCP', 'resources');
const home = join(root, 'home');
const userData = join(home, '.config', 'RabbitMQ MCP');
const conf = join(home, '.rabbitmqadmin.conf');
let main = '';
let standIn = '';

beforeAll(async () => {
  await ensureBuilt();
  ({ main } = assemblePackagedApp(resources));
  standIn = await bundleStandIn(root);
  mkdirSync(home, { recursive: true });
  writeFileSync(
    conf,
    `[local]\nhostname = ${BROKER.host}\nport = ${BROKER.httpPort}\nusername = ${BROKER.user}\npassword = ${BROKER.password}\n`,
  );
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('profile import and export in the built app', () => {
  it("opens the dialog at rabbitmqadmin's file, imports a profile that connects, and exports it through the save dialog", async () => {
    const app = startDesktopApp({
      main,
      standIn,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        STAND_IN_USER_DATA: userData,
        STAND_IN_RESOURCES: resources,
        STAND_IN_PACKAGED: '1',
      },
    });
    try {
      await app.waitFor((record) => record.kind === 'contextBridge.exposeInMainWorld', 'the preload API');
      expect(await app.call('profiles.usualImportFiles')).toEqual([{ path: conf, label: '~/.rabbitmqadmin.conf' }]);

      const preview = await app.call<ImportPreview>('profiles.previewImport', { from: 'dialog' });
      expect(app.records.find((record) => record.kind === 'dialog.showOpenDialog')).toMatchObject({ defaultPath: conf });
      expect(preview).toMatchObject({ path: conf, format: 'rabbitmqadmin-ini', candidates: [{ name: 'local', password: 'included' }] });

      // The main process checks the window's arguments before the host sees them.
      await expect(app.call('profiles.applyImport', { token: preview.token, choices: 'all' })).rejects.toThrow();
      await expect(app.call('profiles.previewImport', { from: 'anywhere', path: '/etc/shadow' })).rejects.toThrow();

      const result = await app.call<ImportResult>('profiles.applyImport', { token: preview.token, choices: [{ key: 0, name: 'local' }] });
      const [local] = result.imported;
      expect(local).toMatchObject({ name: 'local', active: true, hasPassword: true });
      const { id, createdAt: _c, updatedAt: _u, active: _a, hasPassword: _h, ...input } = local as ProfileView;
      // The harness's channel carries no undefined, so the password goes along (the host test checks the stored one).
      const check = await app.call<ConnectionCheck>('connection.test', input, BROKER.password);
      expect(check.ok, JSON.stringify(check.steps)).toBe(true);

      const exported = await app.call<ProfileExportResult>('profiles.exportToFile', { ids: [id], passphrase: 'a passphrase of mine' });
      const saveDialog = app.records.find((record) => record.kind === 'dialog.showSaveDialog');
      expect(String(saveDialog?.defaultPath)).toMatch(/Downloads\/rabbitmq-mcp-profiles-\d{4}-\d{2}-\d{2}\.json$/);
      expect(exported).toEqual({ path: saveDialog?.defaultPath, count: 1, withPasswords: true });
      const file = JSON.parse(readFileSync(exported.path, 'utf8')) as Record<string, unknown>;
      expect(file).toMatchObject({ format: 'rabbitmq-mcp-profiles', version: 1, profiles: [{ name: 'local' }] });
      expect(file.secrets).toMatchObject({ cipher: 'aes-256-gcm', kdf: { name: 'scrypt' } });
    } finally {
      await app.quit();
      await app.exited;
    }
  });
});
