import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppStatusInfo } from '../electron/core/supervisor/runtime-file.js';
import type { Supervisor } from '../electron/core/supervisor/supervisor.js';
import { type Bridge, serveBridge } from '../electron/stdio-entry/bridge.js';
import { brokerTools } from '../electron/stdio-entry/broker-tools.js';
import { advertisedSchema } from '../server/tools/json-schema.js';
import { allTools } from '../server/tools/registry.js';
import { profileTarget, supervisorIn } from './support/app-server.js';
import { eventually } from './support/broker-admin.js';
import { BROKER } from './support/broker-env.js';
import { useTestVhost } from './support/broker-fixture.js';
import { ensureBuilt } from './support/built-server.js';
import { callToolAsIs } from './support/tool-answer.js';
import { toolsnap } from './support/toolsnaps.js';

/**
 * The stdio entry's bridge in this process: an SDK client of each protocol generation on one end
 * of an in-memory pair, serveBridge on the other, and behind it the built server run by the app's
 * Supervisor, found through the runtime file in a temp home as the entry finds it.
 */
const vhostA = useTestVhost('mcp-bridge-a');
const vhostB = useTestVhost('mcp-bridge-b');

type Generation = { name: string; options: ConstructorParameters<typeof Client>[1]; era: 'modern' | 'legacy' };
const GENERATIONS: Generation[] = [
  { name: '2025-11-25', options: { supportedProtocolVersions: ['2025-11-25'] }, era: 'legacy' },
  { name: '2026-07-28', options: { versionNegotiation: { mode: { pin: '2026-07-28' } } }, era: 'modern' },
];

const SWITCHED_TO_BETA =
  "The RabbitMQ MCP app switched to broker profile 'Beta' (write). Previews and confirmation handles from before the switch are void: preview again before changing anything.";

interface Setup {
  home: string;
  supervisor: Supervisor;
  bridge: Bridge;
  client: Client;
  /** What the entry wrote to its log. */
  log: { level: string; msg: string }[];
}

let setup: Setup | null = null;

/** A temp home whose app serves profile Alpha (read-only, vhost A), and a client of `generation` connected to the bridge. */
async function bridgeTo(generation: Generation): Promise<Setup> {
  const home = mkdtempSync(join(tmpdir(), 'mcp-bridge-'));
  const supervisor = supervisorIn(home);
  const log: Setup['log'] = [];
  setup = { home, supervisor, log } as Setup;
  await supervisor.start(profileTarget(vhostA.name, 'Alpha', 'read-only'));
  const [clientSide, entrySide] = InMemoryTransport.createLinkedPair();
  setup.bridge = serveBridge({
    home,
    launchCommand: null,
    launchEnv: {},
    transport: entrySide,
    log: (level, msg) => log.push({ level, msg }),
    pollMs: 100,
  });
  setup.client = new Client({ name: `bridge-${generation.name}`, version: '1.0.0' }, generation.options);
  await setup.client.connect(clientSide);
  return setup;
}

/** The app's status file as a running app with profiles Alpha (active) and Beta writes it. */
async function appWithTwoProfiles(home: string): Promise<void> {
  const broker = (name: string, vhost: string, safety: 'read-only' | 'write', active: boolean) => ({
    id: name,
    name,
    host: `${BROKER.host}:${BROKER.amqpPort}`,
    vhost,
    safety,
    active,
  });
  const status: AppStatusInfo = {
    version: 1,
    appPid: process.pid,
    profiles: 2,
    brokers: [broker('Alpha', vhostA.name, 'read-only', true), broker('Beta', vhostB.name, 'write', false)],
    server: { status: 'healthy', profileName: 'Alpha' },
    updatedAt: new Date().toISOString(),
  };
  await writeFile(join(home, 'app-status.json'), JSON.stringify(status));
}

/** The text blocks of a tool answer, in order. */
async function textBlocks(client: Client, name: string): Promise<string[]> {
  const result = await client.callTool({ name, arguments: {} });
  return (result.content as { type: string; text?: string }[]).flatMap((part) => (part.type === 'text' ? [part.text ?? ''] : []));
}

beforeAll(async () => {
  await ensureBuilt();
});

afterEach(async () => {
  const done = setup;
  setup = null;
  await done?.client?.close().catch(() => undefined);
  await done?.bridge?.close();
  await done?.supervisor.stop();
  if (done) rmSync(done.home, { recursive: true, force: true });
});

describe.each(GENERATIONS)('the bridge serving a $name client', (generation) => {
  it("lists the app server's tools, forwards a call, and follows a profile switch, announcing it first in the next answer", async () => {
    const { client, supervisor, log } = await bridgeTo(generation);
    expect(client.getProtocolEra()).toBe(generation.era);
    expect(client.getServerVersion()?.name).toBe('rabbitmq-mcp-server');
    const before = (await client.listTools()).tools.map((tool) => tool.name);
    expect(before).toEqual(expect.arrayContaining(['get_overview', 'list_queues', 'peek_messages']));
    expect(before).not.toContain('publish_messages');
    // One profile (no status file of a running app): nothing to switch to.
    expect(before).not.toContain('switch_broker');
    const first = await callToolAsIs(client, 'get_overview');
    expect(first.isError).toBe(false);
    expect(first.text).toContain(`on vhost ${vhostA.name}`);

    let listChanged = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      listChanged++;
    });
    // A 2026-07-28 client hears of changes only on a subscription stream it opens.
    if (generation.era === 'modern')
      expect((await client.listen({ toolsListChanged: true })).honoredFilter).toEqual({ toolsListChanged: true });
    await supervisor.start(profileTarget(vhostB.name, 'Beta', 'write'));
    const switched = await textBlocks(client, 'get_overview');
    expect(switched[0]).toBe(SWITCHED_TO_BETA);
    expect(switched.slice(1).join('\n')).toContain(`on vhost ${vhostB.name}`);
    expect((await textBlocks(client, 'get_overview')).join('\n')).not.toContain(SWITCHED_TO_BETA);
    await eventually(async () => (listChanged > 0 ? true : undefined), 'tools/list_changed after the switch');
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('publish_messages');
    expect(log).toContainEqual({ level: 'info', msg: 'tool set changed' });
  });

  it('offers list_brokers and switch_broker while the app has two profiles, and lists them', async () => {
    const { client, home } = await bridgeTo(generation);
    await appWithTwoProfiles(home);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['get_overview', 'list_brokers', 'switch_broker']));
    const listed = await callToolAsIs(client, 'list_brokers');
    expect(listed.isError).toBe(false);
    expect(listed.text).toContain(`* Alpha: ${BROKER.host}:${BROKER.amqpPort}, vhost '${vhostA.name}', read-only`);
    expect(listed.text).toContain(`  Beta: ${BROKER.host}:${BROKER.amqpPort}, vhost '${vhostB.name}', write`);
  });
});

describe("the entry's own tools as a client sees them", () => {
  beforeEach(async () => {
    await appWithTwoProfiles((await bridgeTo(GENERATIONS[0] as Generation)).home);
  });

  it('are one reviewed file each in test/__toolsnaps__ (as tools/list shows them)', async () => {
    const { tools } = await (setup as Setup).client.listTools();
    for (const { name } of brokerTools) {
      const tool = tools.find((listed) => listed.name === name);
      expect(tool, name).toBeDefined();
      await expect(toolsnap({ tool })).toMatchFileSnapshot(`__toolsnaps__/${name}.json`);
    }
  });

  it.each([
    {
      call: 'switch_broker without a name',
      name: 'switch_broker',
      args: {},
      text: 'Invalid arguments for switch_broker: name: Invalid input: expected string, received undefined. Fix them and call again.',
    },
    {
      call: 'switch_broker with an empty name',
      name: 'switch_broker',
      args: { name: '' },
      text: 'Invalid arguments for switch_broker: name: Too small: expected string to have >=1 characters. Fix them and call again.',
    },
    {
      call: 'switch_broker with a name that is no text',
      name: 'switch_broker',
      args: { name: 7 },
      text: 'Invalid arguments for switch_broker: name: Invalid input: expected string, received number. Fix them and call again.',
    },
    {
      call: 'switch_broker with an argument it does not take',
      name: 'switch_broker',
      args: { name: 'Beta', force: true },
      text: 'Invalid arguments for switch_broker: arguments: unknown argument(s) force. Fix them and call again.',
    },
    {
      call: 'list_brokers with an argument it does not take',
      name: 'list_brokers',
      args: { vhost: '/' },
      text: 'Invalid arguments for list_brokers: arguments: unknown argument(s) vhost. Fix them and call again.',
    },
  ])('refuse $call with an error that says what to fix', async ({ name, args, text }) => {
    const answer = await callToolAsIs((setup as Setup).client, name, args);
    expect(answer).toEqual({ text, isError: true });
  });
});

describe("the entry's own tools, under the guardrails of every tool", () => {
  it('have snake_case names that no server tool has', () => {
    const names = [...allTools, ...brokerTools].map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    for (const { name } of brokerTools) expect(name).toMatch(/^[a-z]+(_[a-z]+)+$/);
  });

  it('state every hint explicitly, have a title and a description, and describe every argument', () => {
    for (const tool of brokerTools) {
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint'] as const)
        expect(typeof tool.annotations[hint], `${tool.name} ${hint}`).toBe('boolean');
      expect(tool.title.trim(), tool.name).not.toBe('');
      expect(tool.description.trim(), tool.name).not.toBe('');
      const schema = advertisedSchema(tool.input) as {
        properties: Record<string, { description?: string }>;
        oneOf?: unknown;
        anyOf?: unknown;
      };
      expect(schema.oneOf ?? schema.anyOf, tool.name).toBeUndefined();
      for (const [argument, property] of Object.entries(schema.properties))
        expect(property.description, `${tool.name}.${argument}`).toBeTruthy();
    }
  });
});
