/**
 * Builds the Claude Desktop extension (.mcpb): the bundled server plus a manifest whose
 * user_config asks for the broker settings (the password marked sensitive, so Claude Desktop
 * masks it and keeps it in the OS keychain). The one-click alternative to the tray app for
 * people who use one broker from Claude Desktop only. `npm run mcpb` writes release/*.mcpb.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packExtension } from '@anthropic-ai/mcpb';
import { ENABLE_TOOLSET, ENABLE_TOOLSET_DESCRIPTION } from '../server/mcp/toolsets.js';
import { allTools } from '../server/tools/registry.js';

const ROOT = resolve(import.meta.dirname, '..');
const ENTRY = 'server/rabbitmq-mcp-server.mjs';

interface UserConfigOption {
  type: 'string' | 'number' | 'boolean';
  title: string;
  description: string;
  required?: boolean;
  sensitive?: boolean;
  default?: string | number | boolean;
  min?: number;
  max?: number;
}

/** What Claude Desktop asks when the extension is installed; every value but the password has a default. */
export const USER_CONFIG: Record<string, UserConfigOption> = {
  amqp_host: {
    type: 'string',
    title: 'Broker host',
    description: 'Where RabbitMQ runs, e.g. localhost or rabbit.example.com (a host name only).',
    required: true,
    default: 'localhost',
  },
  amqp_port: { type: 'number', title: 'AMQP port', description: '5672, or 5671 with TLS.', default: 5672, min: 1, max: 65535 },
  management_port: {
    type: 'number',
    title: 'Management API port',
    description: '15672, or 15671 with TLS. The management plugin must be enabled.',
    default: 15672,
    min: 1,
    max: 65535,
  },
  use_tls: {
    type: 'boolean',
    title: 'Use TLS',
    description: 'Connect with amqps:// and https:// (change both ports too).',
    default: false,
  },
  user: {
    type: 'string',
    title: 'User',
    description: 'A RabbitMQ user with the monitoring tag (guest only works on the broker host itself).',
    required: true,
    default: 'guest',
  },
  password: { type: 'string', title: 'Password', description: "The user's password.", required: true, sensitive: true },
  vhost: { type: 'string', title: 'Virtual host', description: '"/" is the default one.', required: true, default: '/' },
  allow_write: {
    type: 'boolean',
    title: 'Allow changes',
    description: 'Let Claude create queues, exchanges and bindings and publish messages. Off: read-only.',
    default: false,
  },
  allow_destructive: {
    type: 'boolean',
    title: 'Allow destructive actions',
    description: 'Also let Claude delete, purge, consume and close connections, each after an explicit confirmation.',
    default: false,
  },
};

/** The manifest (MCPB spec 0.3). The server reads the same variables a person would set by hand. */
export function mcpbManifest(pkg: { version: string; license: string; keywords: string[] }) {
  const value = (key: keyof typeof USER_CONFIG) => `\${user_config.${key}}`;
  return {
    manifest_version: '0.3',
    name: 'rabbitmq-mcp-server',
    display_name: 'RabbitMQ MCP server',
    version: pkg.version,
    // What the bundle holds: the server, run by Claude Desktop's own Node.js (not the tray app).
    description: 'The RabbitMQ MCP server for one broker: Claude inspects and operates RabbitMQ, read-only unless you allow changes.',
    long_description:
      'This extension holds the RabbitMQ MCP server, which Claude Desktop runs with its own Node.js against the one broker you set up here. Claude can inspect and operate queues, exchanges, bindings, connections, consumers and messages: read-only by default, a dry run before anything destructive, and peeks that never lose a message. For several brokers, other AI apps and switching from a tray menu, install the RabbitMQ MCP desktop app instead.',
    author: { name: 'RabbitMQ MCP contributors' },
    license: pkg.license,
    keywords: pkg.keywords,
    icon: 'icon.png',
    server: {
      type: 'node',
      entry_point: ENTRY,
      mcp_config: {
        command: 'node',
        args: [`\${__dirname}/${ENTRY}`],
        env: {
          AMQP_HOST: value('amqp_host'),
          AMQP_PORT: value('amqp_port'),
          HTTP_PORT: value('management_port'),
          AMQP_USE_TLS: value('use_tls'),
          HTTP_USE_TLS: value('use_tls'),
          AMQP_USER: value('user'),
          AMQP_PASSWORD: value('password'),
          AMQP_VHOST: value('vhost'),
          MCP_ALLOW_WRITE: value('allow_write'),
          MCP_ALLOW_DESTRUCTIVE: value('allow_destructive'),
        },
      },
    },
    // Over stdio the default toolsets come first and enable_toolset adds the others.
    tools: [
      ...allTools.map((tool) => ({ name: tool.name, description: tool.description })),
      { name: ENABLE_TOOLSET, description: ENABLE_TOOLSET_DESCRIPTION },
    ],
    prompts_generated: true,
    compatibility: { platforms: ['darwin', 'win32', 'linux'], runtimes: { node: '>=20.18.0' } },
    user_config: USER_CONFIG,
  };
}

/** Stages the bundle's files and packs them with the official mcpb packer (which validates the manifest). */
export async function buildMcpb(outDir = join(ROOT, 'release')): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Parameters<typeof mcpbManifest>[0];
  const serverDir = join(ROOT, 'dist', 'server');
  const files = await readdir(serverDir, { recursive: true }).catch(() => {
    throw new Error(`${serverDir} is missing: run \`npm run build\` first (\`npm run mcpb\` does).`);
  });
  const stage = await mkdtemp(join(tmpdir(), 'rabbitmq-mcpb-'));
  try {
    for (const file of files.filter((name) => name.endsWith('.mjs'))) {
      await mkdir(join(stage, 'server', file, '..'), { recursive: true });
      await cp(join(serverDir, file), join(stage, 'server', file));
    }
    await cp(join(ROOT, 'build', 'icon.png'), join(stage, 'icon.png'));
    await cp(join(ROOT, 'LICENSE'), join(stage, 'LICENSE'));
    await writeFile(join(stage, 'manifest.json'), `${JSON.stringify(mcpbManifest(pkg), null, 2)}\n`);
    await mkdir(outDir, { recursive: true });
    const output = join(outDir, `rabbitmq-mcp-server-${pkg.version}.mcpb`);
    if (!(await packExtension({ extensionPath: stage, outputPath: output, silent: true })))
      throw new Error('mcpb pack refused the bundle: run `npx mcpb validate` on the staged manifest for details');
    return output;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('build-mcpb.ts')) {
  const output = await buildMcpb();
  console.log(`Claude Desktop extension: ${output}`);
}
