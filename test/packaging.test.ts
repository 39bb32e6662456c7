import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackExtension, validateManifest } from '@anthropic-ai/mcpb';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/client';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildMcpb } from '../scripts/build-mcpb.js';
import { allTools } from '../server/tools/registry.js';
import { admin, uniqueName } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { ensureBuilt } from './support/built-server.js';
import { callTool } from './support/tool-answer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dist = (path: string) => join(ROOT, 'dist', path);

interface BuilderConfig {
  extraMetadata: { main: string };
  files: string[];
  extraResources: { from: string; to: string }[];
  electronFuses: Record<string, boolean>;
  mac: { target: { target: string }[] };
  win: { target: { target: string }[] };
  linux: { target: string[] };
}

describe('the desktop package (electron-builder.yml)', () => {
  // electron-builder --dir needs the Electron binary, which cannot be downloaded here, so the
  // configuration is checked against electron-builder's own schema and against the build.
  const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

  it('is valid for electron-builder', async () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    expect(validate(config), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('targets AppImage and deb, dmg and nsis', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target.map((target) => target.target)).toEqual(['dmg']);
    expect(config.win.target.map((target) => target.target)).toEqual(['nsis']);
  });

  it('packs what npm run build produced, in the layout main.ts expects', async () => {
    await ensureBuilt();
    const main = join(ROOT, config.extraMetadata.main);
    expect(existsSync(main)).toBe(true);
    for (const file of config.files.filter((pattern) => !pattern.startsWith('!'))) expect(existsSync(join(ROOT, file)), file).toBe(true);
    expect(config.files).toContain('!node_modules/**');
    expect(config.extraResources.map((resource) => resource.to).sort()).toEqual(['app', 'licences', 'renderer', 'server', 'tray']);
    for (const resource of config.extraResources) expect(existsSync(join(ROOT, resource.from)), resource.from).toBe(true);
    expect(existsSync(dist('renderer/index.html'))).toBe(true);
    expect(existsSync(dist('app/stdio-entry.mjs'))).toBe(true);
    expect(existsSync(dist('app/remove-client-entries.mjs'))).toBe(true); // the uninstallers run it
    expect(existsSync(dist('licences/licences.json'))).toBe(true); // the About box shows it
    expect(existsSync(dist('server/rabbitmq-mcp-server.mjs'))).toBe(true);
    for (const color of ['green', 'amber', 'red', 'grey']) expect(existsSync(dist(`tray/tray-${color}.png`))).toBe(true);
  });

  it('needs no node_modules at run time: the main process and preload require only Electron and Node', () => {
    for (const bundle of ['electron/main.cjs', 'electron/preload.cjs']) {
      const code = readFileSync(dist(bundle), 'utf8');
      // Real require calls only (not code inside strings or templates, like ajv's code generator's).
      const required = [...code.matchAll(/(?<!['"`\w.$])require\("([^"]+)"\)/g)].map((match) => match[1] as string);
      expect(required.filter((name) => name !== 'electron' && !name.startsWith('node:'))).toEqual([]);
    }
    expect(readFileSync(dist('electron/preload.cjs'), 'utf8')).not.toMatch(/require\("node:/); // sandboxed preloads get no Node
  });

  it('keeps the RunAsNode fuse on (the stdio entry needs it) and the other ways in shut', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
  });
});

describe('the Claude Desktop extension (.mcpb)', () => {
  const root = mkdtempSync(join(tmpdir(), 'mcp-mcpb-'));
  const unpacked = join(root, 'unpacked');
  const user = uniqueName('mcp-mcpb-user');
  const password = `Mcpb-Pw-${Date.now()}`;
  const vhost = useTestVhost('mcp-mcpb');
  let bundle: string;
  let manifest: {
    server: { mcp_config: { command: string; args: string[]; env: Record<string, string> } };
    user_config: Record<string, { type: string; sensitive?: boolean; required?: boolean; default?: unknown }>;
    tools: { name: string }[];
  };

  beforeAll(async () => {
    await ensureBuilt();
    await admin('PUT', `/users/${user}`, { password, tags: 'monitoring' });
    await admin('PUT', `/permissions/${encodeURIComponent(vhost.name)}/${user}`, { configure: '.*', write: '.*', read: '.*' });
    await admin('PUT', `/queues/${encodeURIComponent(vhost.name)}/payments`, { durable: true });
    bundle = await buildMcpb(join(root, 'out'));
    expect(await unpackExtension({ mcpbPath: bundle, outputDir: unpacked, silent: true })).toBe(true);
    manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')) as typeof manifest;
  });

  afterAll(async () => {
    await admin('DELETE', `/users/${user}`);
    rmSync(root, { recursive: true, force: true });
  });

  /** What Claude Desktop does on launch: fills ${__dirname} and ${user_config.*} (defaults for what the user left). */
  function launchConfig(values: Record<string, string | number | boolean>) {
    const fill = (text: string) =>
      text.replaceAll('${__dirname}', unpacked).replace(/\$\{user_config\.(\w+)\}/g, (_, key: string) => {
        const value = values[key] ?? manifest.user_config[key]?.default;
        if (value === undefined) throw new Error(`no value for ${key}`);
        return String(value);
      });
    const { command, args, env } = manifest.server.mcp_config;
    return {
      command: command === 'node' ? process.execPath : command,
      args: args.map(fill),
      env: Object.fromEntries(Object.entries(env).map(([key, value]) => [key, fill(value)])),
    };
  }

  async function connect(values: Record<string, string | number | boolean>) {
    const { command, args, env } = launchConfig(values);
    const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command, args, env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'pipe' }));
    return client;
  }

  it('passes the official validator, with the password sensitive and required', () => {
    expect(validateManifest(join(unpacked, 'manifest.json'))).toBe(true);
    expect(manifest.user_config.password).toMatchObject({ type: 'string', sensitive: true, required: true });
    const sensitive = Object.entries(manifest.user_config)
      .filter(([, option]) => option.sensitive)
      .map(([key]) => key);
    expect(sensitive).toEqual(['password']);
    for (const [key, option] of Object.entries(manifest.user_config)) if (key !== 'password') expect(option.default, key).toBeDefined();
    expect(manifest.tools.map((tool) => tool.name)).toEqual([...allTools.map((tool) => tool.name), 'enable_toolset']);
    expect(readFileSync(bundle).subarray(0, 2).toString()).toBe('PK'); // a zip, as Claude Desktop expects
  });

  it('says it holds the server (not the desktop app), with a 512×512 icon', () => {
    const text = manifest as unknown as { name: string; display_name: string; description: string; icon: string };
    expect(text.name).toBe('rabbitmq-mcp-server');
    expect(`${text.display_name} ${text.description}`).toMatch(/server/i);
    expect(text.description).not.toMatch(/tray|desktop app/i);
    const icon = readFileSync(join(unpacked, text.icon));
    expect(icon.subarray(1, 4).toString()).toBe('PNG');
    expect([icon.readUInt32BE(16), icon.readUInt32BE(20)]).toEqual([512, 512]); // IHDR width and height
    // Only the server's files: no desktop app, window or tray icons.
    const files = readdirSync(unpacked, { recursive: true }).map(String);
    expect(files.filter((file) => /electron|renderer|tray|\.map$/.test(file))).toEqual([]);
  });

  it('uses only settings it asks for, and passes the password by environment, never on the command line', () => {
    const used = JSON.stringify(manifest.server.mcp_config).match(/\$\{user_config\.(\w+)\}/g) ?? [];
    expect(new Set(used.map((text) => text.slice(14, -1)))).toEqual(new Set(Object.keys(manifest.user_config)));
    expect(manifest.server.mcp_config.args.join(' ')).not.toContain('password');
    expect(manifest.server.mcp_config.env.AMQP_PASSWORD).toBe('${user_config.password}');
  });

  it('runs from the unpacked bundle against the broker: read-only by default', async () => {
    const client = await connect({
      amqp_host: BROKER.host,
      amqp_port: BROKER.amqpPort,
      management_port: BROKER.httpPort,
      user,
      password,
      vhost: vhost.name,
    });
    try {
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools).toContain('list_queues');
      expect(tools).not.toContain('create_queue');
      const result = await callTool(client, 'list_queues');
      expect(result.isError).toBe(false);
      expect(result.text).toContain('payments');
    } finally {
      await client.close();
    }
  });

  it('offers changes only when the user allowed them', async () => {
    const client = await connect({
      amqp_host: BROKER.host,
      amqp_port: BROKER.amqpPort,
      management_port: BROKER.httpPort,
      user,
      password,
      vhost: vhost.name,
      allow_write: true,
    });
    try {
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools).toContain('create_queue');
      expect(tools).not.toContain('delete_queue');
    } finally {
      await client.close();
    }
  });
});
