import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPlainStore } from '../electron/core/profiles/open-store.js';
import { defaultProfileInput } from '../electron/shared/profile.js';
import { serverEnvironment } from '../electron/core/profiles/server-environment.js';
import { ProfileStore, ProfileValidationError } from '../electron/core/profiles/profile-store.js';
import { KeyFileSecretStore } from '../electron/core/secrets/secret-store.js';

let folder: string;
let profiles: ProfileStore;
const PASSWORD = 'Sup3r-Secret-Passw0rd!';

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'mcp-profiles-'));
  profiles = new ProfileStore(openPlainStore(folder), new KeyFileSecretStore(join(folder, 'key')));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

describe('profiles', () => {
  it('are created with RabbitMQ defaults, the first one active', async () => {
    const created = await profiles.create(defaultProfileInput('Dev'), PASSWORD);
    expect(profiles.active()?.id).toBe(created.id);
    expect(created.amqp).toEqual({ host: 'localhost', port: 5672, tls: { enabled: false, verify: true } });
    expect(await profiles.password(created.id)).toBe(PASSWORD);
  });

  it('ask for approval of destructive calls unless told otherwise, and read one saved before the setting existed that way', async () => {
    const created = await profiles.create(defaultProfileInput('Dev'), PASSWORD);
    expect(created.approval).toBe('destructive');
    const { approval: _left, ...input } = defaultProfileInput('Sandbox');
    expect((await profiles.create(input, PASSWORD)).approval).toBe('destructive');
    const sandbox = await profiles.create({ ...defaultProfileInput('Sandbox 2'), approval: 'none' }, PASSWORD);
    expect(profiles.get(sandbox.id).approval).toBe('none');
    // A profile as an older version saved it: no approval key in the file.
    const file = join(folder, 'rabbitmq-mcp.json');
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    raw.profiles = raw.profiles.map(({ approval: _gone, ...rest }: Record<string, unknown>) => rest);
    writeFileSync(file, JSON.stringify(raw));
    const reopened = new ProfileStore(openPlainStore(folder), new KeyFileSecretStore(join(folder, 'key')));
    expect(reopened.list().map((profile) => profile.approval)).toEqual(['destructive', 'destructive', 'destructive']);
    expect(reopened.exportProfiles()[0]?.approval).toBe('destructive');
    await expect(profiles.create({ ...defaultProfileInput('Bad'), approval: 'always' as never }, PASSWORD)).rejects.toThrow(
      'approval: choose when to ask: destructive, every-change, none',
    );
  });

  it('keep the password encrypted and apart: never in the store file in clear, never exported', async () => {
    const created = await profiles.create(defaultProfileInput('Dev'), PASSWORD);
    const file = readFileSync(join(folder, 'rabbitmq-mcp.json'), 'utf8');
    expect(file).not.toContain(PASSWORD);
    expect(file).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(JSON.stringify(profiles.exportProfiles())).not.toContain(PASSWORD);
    expect(profiles.exportProfiles()[0]).not.toHaveProperty('id');
    expect(created).not.toHaveProperty('password');
  });

  it('reject bad input with one message per field', async () => {
    const input = { ...defaultProfileInput(''), amqp: { host: 'amqp://x', port: 70000, tls: { enabled: false, verify: true } } };
    const error = await profiles.create(input, PASSWORD).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProfileValidationError);
    expect((error as ProfileValidationError).problems).toEqual([
      { field: 'name', message: 'give the profile a name' },
      { field: 'amqp.host', message: 'a host name only: no scheme (amqp://), path or user@' },
      { field: 'amqp.port', message: 'ports go from 1 to 65535' },
    ]);
    await profiles.create(defaultProfileInput('Dev'), PASSWORD);
    await expect(profiles.create(defaultProfileInput('Dev'), PASSWORD)).rejects.toThrow('a profile named "Dev" already exists');
  });

  it('update, duplicate (with the password) and delete, moving the active profile', async () => {
    const dev = await profiles.create(defaultProfileInput('Dev'), PASSWORD);
    const updated = await profiles.update(dev.id, { ...defaultProfileInput('Dev'), vhost: 'orders', safety: 'write' });
    expect(updated.vhost).toBe('orders');
    expect(await profiles.password(dev.id)).toBe(PASSWORD);
    const copy = await profiles.duplicate(dev.id);
    expect(copy.name).toBe('Dev (copy)');
    expect(await profiles.password(copy.id)).toBe(PASSWORD);
    expect((await profiles.duplicate(dev.id)).name).toBe('Dev (copy 2)');
    profiles.delete(dev.id);
    expect(profiles.active()?.id).toBe(copy.id);
  });

  it('migrate a store file of an older layout, and refuse one from a newer app', async () => {
    writeFileSync(join(folder, 'rabbitmq-mcp.json'), JSON.stringify({ profiles: [] }));
    const older = openPlainStore(folder);
    new ProfileStore(older, new KeyFileSecretStore(join(folder, 'key')));
    expect(older.store).toEqual({
      schemaVersion: 1,
      profiles: [],
      activeProfileId: null,
      secrets: {},
      clientSetups: {},
      firstRunDone: false,
    });
    writeFileSync(join(folder, 'rabbitmq-mcp.json'), JSON.stringify({ schemaVersion: 99 }));
    expect(() => new ProfileStore(openPlainStore(folder), new KeyFileSecretStore(join(folder, 'key')))).toThrow(
      /written by a newer version of RabbitMQ MCP \(layout 99, this one knows 1\)/,
    );
  });

  it('survive reopening the store (schema and migrations run once)', async () => {
    const dev = await profiles.create(defaultProfileInput('Dev'), PASSWORD);
    const reopened = new ProfileStore(openPlainStore(folder), new KeyFileSecretStore(join(folder, 'key')));
    expect(reopened.get(dev.id).name).toBe('Dev');
    expect(await reopened.password(dev.id)).toBe(PASSWORD);
  });

  it('turn into the server settings a person would set by hand', () => {
    const env = serverEnvironment(
      {
        ...defaultProfileInput(),
        safety: 'destructive',
        amqp: { host: 'rabbit', port: 5671, tls: { enabled: true, verify: false, caFile: '/ca.pem' } },
      },
      PASSWORD,
    );
    expect(env).toMatchObject({
      AMQP_HOST: 'rabbit',
      AMQP_PORT: '5671',
      AMQP_USE_TLS: 'true',
      AMQP_TLS_VERIFY: 'false',
      AMQP_TLS_CA: '/ca.pem',
      MCP_ALLOW_DESTRUCTIVE: 'true',
    });
    expect(env).not.toHaveProperty('HTTP_USE_TLS');
  });
});
