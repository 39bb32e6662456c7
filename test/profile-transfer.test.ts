import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ProfileTransfer,
  EXPORT_FORMAT,
  ImportFileError,
  WrongPassphraseError,
  decryptSecrets,
  encodeProfileFile,
  parseImportFile,
  parseProfileFile,
  previewOf,
} from '../electron/core/profiles/profile-transfer.js';
import { parseConfigParser, parseRabbitmqadminConfig } from '../electron/core/profiles/rabbitmqadmin-config.js';
import { type Profile, type ProfileSettings, defaultProfileInput } from '../electron/shared/profile.js';

/**
 * The formats of profile import and export, as files: the app's own (round trip, passwords only
 * encrypted, a wrong passphrase and a changed file refused whole) and rabbitmqadmin's, from
 * samples shaped like the ones people keep (the classic tool's own example, TLS, odd values).
 */
const PASSWORD = 'Sup3r-Secret-Pw!';
const PASSPHRASE = 'correct horse battery staple';

function settings(name: string, overrides: Partial<ProfileSettings> = {}): ProfileSettings {
  return { ...defaultProfileInput(name), ...overrides };
}

/** Every way the password could show up in the bytes: as is, in base64, as JSON-escaped text. */
function leaks(bytes: string, secret: string): boolean {
  return [secret, Buffer.from(secret).toString('base64'), JSON.stringify(secret).slice(1, -1)].some((form) => bytes.includes(form));
}

describe('the app’s export file', () => {
  it('carries no password without a passphrase, and imports back to the same settings', async () => {
    const entries = [
      { settings: settings('Orders', { user: 'orders', vhost: 'orders' }), password: PASSWORD },
      { settings: settings('Billing', { safety: 'write' }), password: 'other-password' },
    ];
    const text = await encodeProfileFile(entries, { appVersion: '1.2.3' });
    expect(leaks(text, PASSWORD)).toBe(false);
    expect(leaks(text, 'other-password')).toBe(false);
    const file = JSON.parse(text) as Record<string, unknown>;
    expect(file).toMatchObject({ format: EXPORT_FORMAT, version: 1, exportedBy: 'RabbitMQ MCP 1.2.3' });
    expect(file.secrets).toBeUndefined();
    const parsed = parseImportFile(text);
    expect(parsed.format).toBe('rabbitmq-mcp');
    expect(parsed.secrets).toBeNull();
    expect(parsed.candidates.map((candidate) => candidate.settings)).toEqual(entries.map((entry) => entry.settings));
    expect(parsed.candidates.every((candidate) => candidate.password === null)).toBe(true);
  });

  it('encrypts the passwords with the passphrase, and gives them back with it', async () => {
    const entries = [
      { settings: settings('Orders'), password: PASSWORD },
      { settings: settings('No password'), password: null },
      { settings: settings('Unicode'), password: 'pässwörd-☃' },
    ];
    const text = await encodeProfileFile(entries, { appVersion: '1.2.3', passphrase: PASSPHRASE });
    for (const secret of [PASSWORD, 'pässwörd-☃', PASSPHRASE]) expect(leaks(text, secret), secret).toBe(false);
    const file = JSON.parse(text) as { secrets: { kdf: Record<string, unknown>; cipher: string; iv: string } };
    expect(file.secrets.kdf).toMatchObject({ name: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(file.secrets.cipher).toBe('aes-256-gcm');
    expect(Buffer.from(file.secrets.iv, 'base64')).toHaveLength(12);

    const parsed = parseImportFile(text);
    expect(parsed.secrets).not.toBeNull();
    const passwords = await decryptSecrets(parsed.secrets!, parsed.rawProfiles, PASSPHRASE);
    expect([...passwords]).toEqual([
      [0, PASSWORD],
      [2, 'pässwörd-☃'],
    ]);
  });

  it('uses a new salt and IV each time, so two exports of the same profiles differ', async () => {
    const entries = [{ settings: settings('Orders'), password: PASSWORD }];
    const [one, two] = await Promise.all([1, 2].map(() => encodeProfileFile(entries, { appVersion: '1', passphrase: PASSPHRASE })));
    const secretsOf = (text: string) => (JSON.parse(text) as { secrets: { iv: string; kdf: { salt: string }; data: string } }).secrets;
    expect(secretsOf(one!).iv).not.toBe(secretsOf(two!).iv);
    expect(secretsOf(one!).kdf.salt).not.toBe(secretsOf(two!).kdf.salt);
    expect(secretsOf(one!).data).not.toBe(secretsOf(two!).data);
  });

  it('refuses a passphrase shorter than 8 characters', async () => {
    await expect(encodeProfileFile([{ settings: settings('A'), password: 'x' }], { appVersion: '1', passphrase: 'short' })).rejects.toThrow(
      /at least 8 characters/,
    );
  });

  it('says a wrong passphrase is wrong, and gives back nothing', async () => {
    const text = await encodeProfileFile([{ settings: settings('Orders'), password: PASSWORD }], {
      appVersion: '1',
      passphrase: PASSPHRASE,
    });
    const parsed = parseImportFile(text);
    await expect(decryptSecrets(parsed.secrets!, parsed.rawProfiles, 'correct horse battery stapler')).rejects.toThrow(
      WrongPassphraseError,
    );
    await expect(decryptSecrets(parsed.secrets!, parsed.rawProfiles, '')).rejects.toThrow(/does not open this file/);
  });

  it('refuses a file whose profile was changed after the export (the password would go to another host)', async () => {
    const text = await encodeProfileFile([{ settings: settings('Orders'), password: PASSWORD }], {
      appVersion: '1',
      passphrase: PASSPHRASE,
    });
    const file = JSON.parse(text) as { profiles: ProfileSettings[] };
    file.profiles[0]!.management.host = 'collector.example.com';
    const parsed = parseImportFile(JSON.stringify(file));
    await expect(decryptSecrets(parsed.secrets!, parsed.rawProfiles, PASSPHRASE)).rejects.toThrow(/changed after it was exported/);
  });

  it('refuses a file whose encrypted bytes were changed', async () => {
    const text = await encodeProfileFile([{ settings: settings('Orders'), password: PASSWORD }], {
      appVersion: '1',
      passphrase: PASSPHRASE,
    });
    const file = JSON.parse(text) as { secrets: { data: string } };
    const data = Buffer.from(file.secrets.data, 'base64');
    data[0] = (data[0] ?? 0) ^ 1;
    file.secrets.data = data.toString('base64');
    const parsed = parseImportFile(JSON.stringify(file));
    await expect(decryptSecrets(parsed.secrets!, parsed.rawProfiles, PASSPHRASE)).rejects.toThrow(ImportFileError);
  });

  it.each([
    ['not JSON at all', '{"format": "rabbitmq-mcp-profiles",', /not valid JSON/],
    ['another JSON file', '{"mcpServers": {}}', /not a RabbitMQ MCP profile export/],
    ['a newer version', JSON.stringify({ format: EXPORT_FORMAT, version: 2, profiles: [] }), /version 2; .* update the app/],
    ['no profile list', JSON.stringify({ format: EXPORT_FORMAT, version: 1 }), /profiles: the file has no list/],
    [
      'a bad port',
      JSON.stringify({
        format: EXPORT_FORMAT,
        version: 1,
        profiles: [{ ...settings('A'), amqp: { host: 'h', port: 0, tls: { enabled: false } } }],
      }),
      /profiles\[0\]\.amqp\.port: ports go from 1 to 65535/,
    ],
    [
      'an unknown cipher',
      JSON.stringify({ format: EXPORT_FORMAT, version: 1, profiles: [], secrets: { cipher: 'rot13' } }),
      /secrets\.cipher/,
    ],
    [
      'an absurd scrypt cost (a file made to hang the app)',
      JSON.stringify({
        format: EXPORT_FORMAT,
        version: 1,
        profiles: [],
        secrets: { cipher: 'aes-256-gcm', kdf: { name: 'scrypt', N: 2 ** 30, r: 8, p: 1, salt: '' }, iv: '', tag: '', data: '', check: '' },
      }),
      /secrets\.kdf: the cost/,
    ],
  ])('refuses %s, naming what is wrong', (_case, text, message) => {
    expect(() => parseProfileFile(text)).toThrow(message);
  });

  it('imports the bare list profiles.exportAll returns', () => {
    const parsed = parseImportFile(JSON.stringify([settings('Orders')]));
    expect(parsed.format).toBe('rabbitmq-mcp');
    expect(parsed.candidates[0]?.settings?.name).toBe('Orders');
  });
});

describe('the import preview', () => {
  it('marks new profiles, names taken (with a free name to rename to), and which have no password', () => {
    const parsed = parseImportFile(
      JSON.stringify([settings('Orders'), settings('Billing'), settings('Billing (imported)'), settings('Orders')]),
    );
    const preview = previewOf(parsed, ['Billing', 'Billing (imported)']);
    expect(preview.candidates.map(({ name, clash, suggestedName, password }) => ({ name, clash, suggestedName, password }))).toEqual([
      { name: 'Orders', clash: false, suggestedName: 'Orders', password: 'none' },
      { name: 'Billing', clash: true, suggestedName: 'Billing (imported 2)', password: 'none' },
      { name: 'Billing (imported)', clash: true, suggestedName: 'Billing (imported) (imported)', password: 'none' },
      // The same name twice in one file: the second is a clash too.
      { name: 'Orders', clash: true, suggestedName: 'Orders (imported)', password: 'none' },
    ]);
  });
});

describe('the import itself', () => {
  it('is all or nothing: when the store fails on the second profile, the first is removed again', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'mcp-transfer-unit-'));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    const file = join(folder, 'admin.conf');
    writeFileSync(file, '[one]\nhostname = a\n[two]\nhostname = b\n');
    const store: Profile[] = [];
    const logged: string[] = [];
    const transfer = new ProfileTransfer({
      list: () => store,
      password: async () => null,
      create: async (created) => {
        if (store.length === 1) throw new Error('the disk is full');
        const profile = { ...created, id: created.name, createdAt: '', updatedAt: '' };
        store.push(profile);
        return profile;
      },
      remove: (id) =>
        store.splice(
          store.findIndex((profile) => profile.id === id),
          1,
        ),
      home: folder,
      env: {},
      appVersion: '1',
      chooseImportPath: async () => file,
      fallbackDir: folder,
      log: (level, msg, fields) => logged.push(`${level} ${msg} ${JSON.stringify(fields)}`),
    });
    const preview = await transfer.preview({ from: 'dialog' });
    const choices = preview!.candidates.map((candidate) => ({ key: candidate.key, name: candidate.name }));
    await expect(transfer.apply({ token: preview!.token, choices })).rejects.toThrow('the disk is full');
    expect(store).toEqual([]);
    expect(logged.at(-1)).toMatch(/^warn profile import undone .*"undone":1/);
  });
});

const CLASSIC_EXAMPLE = `# rabbitmqadmin.conf.example START

[host_normal]
hostname = localhost
port = 15672
username = guest
password = guest
declare_vhost = / # Used as default for declare / delete only
vhost = /         # Used as default for declare / delete / list

[host_ssl]
hostname = otherhost
port = 15672
username = guest
password = guest
ssl = True
ssl_key_file = /path/to/key.pem
ssl_cert_file = /path/to/cert.pem

# rabbitmqadmin.conf.example END
`;

describe("the classic rabbitmqadmin's INI file", () => {
  it("reads the tool's own example: both nodes, inline comments dropped, TLS with its files, AMQP ports said", () => {
    const { format, candidates } = parseRabbitmqadminConfig(CLASSIC_EXAMPLE);
    expect(format).toBe('rabbitmqadmin-ini');
    const [normal, ssl] = candidates;
    expect(normal?.origin).toBe('[host_normal], line 3');
    expect(normal?.settings).toEqual({
      name: 'host_normal',
      amqp: { host: 'localhost', port: 5672, tls: { enabled: false, verify: true } },
      management: { host: 'localhost', port: 15672, basePath: '', tls: { enabled: false, verify: true } },
      user: 'guest',
      vhost: '/',
      safety: 'read-only',
      approval: 'destructive',
    });
    expect(normal?.password).toBe('guest');
    expect(normal?.notes[0]).toMatch(/only the management \(HTTP API\) port, 15672; the AMQP port is set to 5672, RabbitMQ's default\./);
    expect(ssl?.settings?.amqp).toEqual({
      host: 'otherhost',
      port: 5671,
      tls: { enabled: true, verify: true, keyFile: '/path/to/key.pem', certFile: '/path/to/cert.pem' },
    });
    expect(ssl?.settings?.management.tls.enabled).toBe(true);
    expect(ssl?.notes[0]).toMatch(/the AMQP port is set to 5671, RabbitMQ's default with TLS/);
  });

  it('reads odd but valid files the way Python’s configparser does', () => {
    const text = [
      '\uFEFF[DEFAULT]',
      'Username = ops',
      'hostname: rabbit.internal',
      '',
      '[prod]',
      'PORT = 15673',
      'password = 100%% # not a comment: passwords are kept whole',
      'vhost = %(username)s-vhost',
      'path_prefix = rabbitmq/',
      'ssl = yes',
      'ssl_ca_cert_file = C:\\certs\\ca.pem',
      'ssl_insecure = True',
      'format = pretty_json',
      'colour = blue',
      '',
      '[no password]',
      'hostname = 10.0.0.5',
      'username =',
      '',
    ].join('\r\n');
    const [prod, bare] = parseRabbitmqadminConfig(text).candidates;
    expect(prod?.settings).toMatchObject({
      name: 'prod',
      user: 'ops',
      vhost: 'ops-vhost',
      amqp: { host: 'rabbit.internal', port: 5671, tls: { enabled: true, verify: false, caFile: 'C:\\certs\\ca.pem' } },
      management: { host: 'rabbit.internal', port: 15673, basePath: '/rabbitmq' },
    });
    expect(prod?.password).toBe('100% # not a comment: passwords are kept whole');
    expect(prod?.notes.join(' ')).toMatch(/Not used: colour\./);
    expect(prod?.notes.join(' ')).toMatch(/certificates are not checked/);
    expect(bare?.settings).toMatchObject({ name: 'no password', user: 'guest', management: { host: '10.0.0.5', port: 15672 } });
    expect(bare?.password).toBeNull();
    expect(bare?.notes.join(' ')).toMatch(/No user in the file: guest/);
  });

  it('joins indented continuation lines to the value above, as configparser does', () => {
    const [section] = parseConfigParser('[a]\npassword = first\n  second\nport = 1\n');
    expect(section?.values.get('password')?.value).toBe('first\nsecond');
  });

  it('takes host, port, user and password from a base_uri (its % written %%, as configparser needs)', () => {
    const [node] = parseRabbitmqadminConfig('[cloud]\nbase_uri = https://me:p%%40ss@rabbit.example.com:8443/ignored\n').candidates;
    expect(node?.settings).toMatchObject({ user: 'me', management: { host: 'rabbit.example.com', port: 8443, tls: { enabled: true } } });
    expect(node?.password).toBe('p@ss');
  });

  it.each([
    [
      'a line that is not a setting',
      '[a]\nhostname localhost\n',
      /line 2: "hostname localhost" is neither "name = value" nor a \[section\] header/,
    ],
    ['a setting before any section', 'hostname = x\n[a]\n', /line 1: "hostname = x" comes before any \[section\] header/],
    ['a section twice', '[a]\nport = 1\n[a]\n', /line 3: section \[a\] appears twice/],
    ['a key twice', '[a]\nport = 1\nport = 2\n', /line 3: port is set twice in \[a\]/],
    ['a lone %', '[a]\npassword = 50%off\n', /line 2: password has a "%" on its own; write it as "%%"/],
    ['a reference to nothing', '[a]\nvhost = %(nope)s\n', /line 2: vhost refers to %\(nope\)s, which is not set/],
    ['no section at all', '# nothing here\n', /no \[section\]/],
  ])('refuses %s, naming the line', (_case, text, message) => {
    expect(() => parseRabbitmqadminConfig(text)).toThrow(message);
  });

  it.each([
    ['a port that is not a number', '[ok]\nport = 1\n[bad]\n\nport = fifteen\n', /^line 5: port "fifteen" is not a port number/],
    ['a port out of range', '[ok]\nport = 1\n[bad]\nport = 70000\n', /^line 4: port "70000"/],
    ['a host name with a scheme', '[ok]\nport = 1\n[bad]\nhostname = http://x\n', /^line 4: hostname "http:\/\/x" is not a host name/],
    ['ssl neither on nor off', '[ok]\nport = 1\n[bad]\nssl = maybe\n', /^line 4: ssl "maybe" must be True or False/],
  ])('marks a node with %s as not importable, naming the line, and keeps the others', (_case, text, message) => {
    const [ok, bad] = parseRabbitmqadminConfig(text).candidates;
    expect(ok?.settings).not.toBeNull();
    expect(bad?.settings).toBeNull();
    expect(bad?.problem).toMatch(message);
  });
});

const V2_SAMPLE = `# rabbitmqadmin v2
[local]
hostname = "localhost"
port = 15672
username = "lolz"
password = "lolz"
virtual_host = "/"

[staging]
base_uri = "https://rabbit.staging.example.com"
username = "ops"
password = "s3cr3t # not a comment"
ca_certificate_bundle_path = "/etc/ssl/ca.pem"
client_certificate_file_path = "/etc/ssl/client.pem"
client_private_key_file_path = "/etc/ssl/client.key"

["behind proxy"]
hostname = "gw.example.com"
scheme = "https"
port = 443
path_prefix = "/rabbitmq/api"
table_style = "modern"
`;

describe("rabbitmqadmin v2's TOML file", () => {
  it('reads every node: plain, TLS from base_uri with its certificate paths, a path prefix behind a proxy', () => {
    const { format, candidates } = parseRabbitmqadminConfig(V2_SAMPLE);
    expect(format).toBe('rabbitmqadmin-toml');
    const [local, staging, proxied] = candidates;
    expect(local?.origin).toBe('[local], line 2');
    expect(local?.settings).toMatchObject({ name: 'local', user: 'lolz', vhost: '/', management: { port: 15672, basePath: '' } });
    expect(local?.password).toBe('lolz');
    expect(staging?.settings).toMatchObject({
      name: 'staging',
      amqp: { host: 'rabbit.staging.example.com', port: 5671 },
      management: {
        host: 'rabbit.staging.example.com',
        port: 15671,
        tls: { enabled: true, caFile: '/etc/ssl/ca.pem', certFile: '/etc/ssl/client.pem', keyFile: '/etc/ssl/client.key' },
      },
    });
    expect(staging?.password).toBe('s3cr3t # not a comment');
    expect(staging?.notes.join(' ')).toMatch(/No virtual host \(vhost\) in the file: "\/"/);
    expect(proxied?.settings).toMatchObject({
      name: 'behind proxy',
      management: { host: 'gw.example.com', port: 443, basePath: '/rabbitmq', tls: { enabled: true } },
      amqp: { port: 5671 },
    });
    expect(proxied?.notes.join(' ')).not.toMatch(/Not used/);
  });

  it.each([
    ['a port in quotes that is not a number', '[a]\nhostname = "h"\nport = "x"\n', /^line 3: port "x" is not a port number/],
    ['a user name that is a number', '[a]\n\nusername = 5\n', /^line 3: username must be text in quotes/],
    ['tls that is not true or false', '[a]\ntls = "yes"\n', /^line 2: tls must be true or false/],
    ['an unknown scheme', '[a]\nscheme = "ftp"\n', /^line 2: scheme "ftp" must be http or https/],
    ['a path prefix without /api', '[a]\npath_prefix = "/custom"\n', /^line 2: path_prefix "\/custom" does not end in \/api/],
  ])('marks a node with %s as not importable, naming the line', (_case, text, message) => {
    const [node] = parseRabbitmqadminConfig(text).candidates;
    expect(node?.settings).toBeNull();
    expect(node?.problem).toMatch(message);
  });

  it.each([
    ['an unclosed string', '[a]\nhostname = "localhost\nport = 1\n', /^line 2, column \d+: .*TOML: text in quotes/],
    ['a setting outside any node', 'hostname = "x"\n[a]\nport = 1\n', /^line 1: hostname is outside any \[node\] table/],
  ])('refuses %s, naming the line', (_case, text, message) => {
    expect(() => parseRabbitmqadminConfig(text)).toThrow(message);
  });
});
