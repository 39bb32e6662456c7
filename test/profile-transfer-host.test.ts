import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AppHost } from '../electron/core/host.js';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';
import type { ProfileInput } from '../electron/shared/profile.js';
import type { ProfileView } from '../electron/shared/contract.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';

/**
 * Profile import and export through the app's host, against the real broker: a rabbitmqadmin
 * file found where rabbitmqadmin keeps it becomes a profile that connects, an export with
 * encrypted passwords moves a working profile to another app, and neither the export without a
 * passphrase, the store nor the log holds a password in clear.
 */
const scratch = mkdtempSync(join(tmpdir(), 'mcp-transfer-'));
const PASSPHRASE = 'a long and private passphrase';

interface TestApp {
  host: AppHost;
  home: string;
  userHome: string;
  /** What the save and open dialogs answer next (null: the person cancels). */
  dialog: { save: string | null; open: string | null; openedAt: string[] };
}

async function startApp(): Promise<TestApp> {
  const root = mkdtempSync(join(scratch, 'app-'));
  const home = join(root, 'app');
  const userHome = join(root, 'home');
  mkdirSync(home, { recursive: true });
  mkdirSync(userHome, { recursive: true });
  const dialog: TestApp['dialog'] = { save: null, open: null, openedAt: [] };
  const host = new AppHost({
    home,
    store: openPlainStore(home),
    secrets: new KeyFileSecretStore(join(home, 'secret.key')),
    platform: { os: 'linux', home: userHome, env: {} },
    launch: { command: process.execPath, args: [], env: {} },
    server: { command: process.execPath, entry: SERVER_BIN },
    version: '0.0.0-test',
    healthIntervalMs: 60_000,
    chooseExportPath: async () => dialog.save,
    chooseImportPath: async (defaultPath) => {
      dialog.openedAt.push(defaultPath);
      return dialog.open;
    },
  });
  await host.start();
  onTestFinished(() => host.dispose());
  return { host, home, userHome, dialog };
}

/** Everything the app wrote to its data folder (store, logs), as text. */
function appFiles(app: TestApp): string {
  return readdirSync(app.home, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith('.key'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

function inputOf(view: ProfileView): ProfileInput {
  const { id: _id, createdAt: _created, updatedAt: _updated, active: _active, hasPassword: _has, ...input } = view;
  return input;
}

const rabbitmqadminConf = `# as rabbitmqadmin's own example has it
[local]
hostname = ${BROKER.host}
port = ${BROKER.httpPort}
username = ${BROKER.user}
password = ${BROKER.password}
vhost = /   # the default one
`;

beforeAll(async () => {
  await ensureBuilt();
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('profile import and export through the host', () => {
  it("imports the rabbitmqadmin file it finds in the user's home into a profile that connects", async () => {
    const app = await startApp();
    const conf = join(app.userHome, '.rabbitmqadmin.conf');
    writeFileSync(conf, rabbitmqadminConf);
    expect(await app.host.profiles.usualImportFiles()).toEqual([{ path: conf, label: '~/.rabbitmqadmin.conf' }]);

    const preview = await app.host.profiles.previewImport({ from: 'usual', path: conf });
    expect(preview).toMatchObject({ format: 'rabbitmqadmin-ini', needsPassphrase: false, path: conf });
    const [local] = preview!.candidates;
    expect(local).toMatchObject({ name: 'local', clash: false, password: 'included' });
    expect(local?.settings).toMatchObject({ amqp: { host: BROKER.host, port: 5672 }, management: { port: BROKER.httpPort }, vhost: '/' });
    expect(local?.notes[0]).toMatch(/AMQP port is set to 5672/);
    expect(JSON.stringify(preview)).not.toContain(`password = ${BROKER.password}`);

    const result = await app.host.profiles.applyImport({ token: preview!.token, choices: [{ key: 0, name: 'local' }] });
    expect(result.withoutPassword).toEqual([]);
    const [imported] = result.imported;
    expect(imported).toMatchObject({ name: 'local', hasPassword: true, active: true, safety: 'read-only' });
    const check = await app.host.connection.test(inputOf(imported!), undefined, imported!.id);
    expect(check.summary).toMatch(/works/i);
    expect(check.ok).toBe(true);
  });

  it('moves a working profile to another app with its password encrypted by a passphrase', async () => {
    const from = await startApp();
    const secret = `Transfer-Pw-${Date.now()}`;
    const source = await from.host.profiles.create(
      {
        name: 'Orders',
        amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
        management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
        user: BROKER.user,
        vhost: '/',
        safety: 'write',
      },
      BROKER.password,
    );
    await from.host.profiles.create({ ...inputOf(source), name: 'Other', user: 'someone' }, secret);
    const file = join(from.userHome, 'profiles.json');
    from.dialog.save = file;
    const exported = await from.host.profiles.exportToFile({
      ids: [source.id, (await from.host.profiles.list())[1]!.id],
      passphrase: PASSPHRASE,
    });
    expect(exported).toEqual({ path: file, count: 2, withPasswords: true });
    const bytes = readFileSync(file, 'utf8');
    for (const text of [secret, BROKER.password === 'guest' ? secret : BROKER.password, PASSPHRASE]) expect(bytes).not.toContain(text);
    expect(readdirSync(from.userHome)).toEqual(['profiles.json']); // no temporary file left

    const to = await startApp();
    to.dialog.open = file;
    const preview = await to.host.profiles.previewImport({ from: 'dialog' });
    expect(to.dialog.openedAt).toEqual([to.userHome]);
    expect(preview).toMatchObject({ format: 'rabbitmq-mcp', needsPassphrase: true });
    expect(preview!.candidates.map((candidate) => [candidate.name, candidate.password])).toEqual([
      ['Orders', 'encrypted'],
      ['Other', 'encrypted'],
    ]);
    const choices = preview!.candidates.map((candidate) => ({ key: candidate.key, name: candidate.name }));

    // A wrong passphrase: a clear error, and nothing imported.
    await expect(to.host.profiles.applyImport({ token: preview!.token, choices, passphrase: 'not the passphrase' })).rejects.toThrow(
      /passphrase does not open this file/,
    );
    expect(await to.host.profiles.list()).toEqual([]);
    expect(appFiles(to)).toMatch(/"level":"warn".*"reason":"That passphrase does not open this file.*"msg":"profile import refused"/);

    const result = await to.host.profiles.applyImport({ token: preview!.token, choices, passphrase: PASSPHRASE });
    expect(result.imported.map((view) => [view.name, view.hasPassword, view.safety])).toEqual([
      ['Orders', true, 'write'],
      ['Other', true, 'write'],
    ]);
    const check = await to.host.connection.test(inputOf(result.imported[0]!), undefined, result.imported[0]!.id);
    expect(check.ok).toBe(true);
    // The preview is used up: applying it again imports nothing more.
    await expect(to.host.profiles.applyImport({ token: preview!.token, choices, passphrase: PASSPHRASE })).rejects.toThrow(/out of date/);
    // Neither app wrote a password or the passphrase in clear: store, logs.
    for (const app of [from, to]) {
      const files = appFiles(app);
      for (const text of [secret, PASSPHRASE]) expect(files).not.toContain(text);
    }
  });

  it('exports without passwords unless asked, and imports such a file with the passwords left to add', async () => {
    const app = await startApp();
    const secret = `No-Export-Pw-${Date.now()}`;
    const profile = await app.host.profiles.create(
      {
        name: 'Billing',
        amqp: { host: 'rabbit.example.com', port: 5671, tls: { enabled: true, verify: true, caFile: '/etc/ca.pem' } },
        management: { host: 'rabbit.example.com', port: 15671, basePath: '/rabbit', tls: { enabled: true, verify: true } },
        user: 'billing',
        vhost: 'billing',
        safety: 'read-only',
      },
      secret,
    );
    const file = join(app.userHome, 'plain.json');
    app.dialog.save = file;
    expect(await app.host.profiles.exportToFile({ ids: [profile.id] })).toMatchObject({ withPasswords: false, count: 1 });
    const bytes = readFileSync(file, 'utf8');
    expect(bytes).not.toContain(secret);
    expect(bytes).not.toContain(Buffer.from(secret).toString('base64'));
    expect(JSON.parse(bytes)).not.toHaveProperty('secrets');

    // Back into the same app: the name is taken, so it is renamed (or skipped), never overwritten.
    app.dialog.open = file;
    const preview = await app.host.profiles.previewImport({ from: 'dialog' });
    expect(preview!.candidates[0]).toMatchObject({ name: 'Billing', clash: true, suggestedName: 'Billing (imported)', password: 'none' });
    await expect(app.host.profiles.applyImport({ token: preview!.token, choices: [{ key: 0, name: 'Billing' }] })).rejects.toThrow(
      /A profile named "Billing" already exists: choose another name/,
    );
    expect((await app.host.profiles.list()).map((view) => view.name)).toEqual(['Billing']);
    const result = await app.host.profiles.applyImport({ token: preview!.token, choices: [{ key: 0, name: 'Billing (imported)' }] });
    const [copy] = result.imported;
    expect(copy).toMatchObject({ name: 'Billing (imported)', hasPassword: false, active: false });
    expect(inputOf(copy!)).toEqual({ ...inputOf((await app.host.profiles.list())[0]!), name: 'Billing (imported)' });
    expect(result.withoutPassword).toEqual([copy!.id]);
    expect(await app.host.profiles.list().then((views) => views.find((view) => view.id === profile.id)?.hasPassword)).toBe(true);
  });

  it('imports nothing when the person skips every profile, cancels the dialog, or names a file that is not a usual one', async () => {
    const app = await startApp();
    app.dialog.open = null;
    expect(await app.host.profiles.previewImport({ from: 'dialog' })).toBeNull();
    await expect(app.host.profiles.previewImport({ from: 'usual', path: '/etc/passwd' })).rejects.toThrow(
      /not one of rabbitmqadmin's usual files/,
    );
    const conf = join(app.userHome, 'admin.conf');
    writeFileSync(conf, rabbitmqadminConf);
    app.dialog.open = conf;
    const preview = await app.host.profiles.previewImport({ from: 'dialog' });
    await expect(app.host.profiles.applyImport({ token: preview!.token, choices: [] })).rejects.toThrow(/at least one/);
    app.dialog.save = null;
    expect(await app.host.profiles.exportToFile({ ids: [] }).catch((error: Error) => error.message)).toMatch(/at least one/);
    expect(await app.host.profiles.list()).toEqual([]);
  });

  it('names the file and the line when a file cannot be imported', async () => {
    const app = await startApp();
    const bad = join(app.userHome, 'broken.conf');
    writeFileSync(bad, '[prod]\nhostname rabbit.internal\n');
    app.dialog.open = bad;
    await expect(app.host.profiles.previewImport({ from: 'dialog' })).rejects.toThrow(
      /^broken\.conf cannot be imported: line 2: "hostname rabbit\.internal" is neither "name = value" nor a \[section\] header$/,
    );
  });
});
