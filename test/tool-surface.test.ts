import { readdirSync } from 'node:fs';
import { brokerTools } from '../electron/stdio-entry/broker-tools.js';
import { describe, expect, it } from 'vitest';
import type { SafetyLevel } from '../server/config/load-config.js';
import { DEFAULT_TOOL_GROUPS, TOOL_GROUPS } from '../server/config/tool-groups.js';
import { INSTRUCTIONS } from '../server/mcp/create-server.js';
import { ENABLE_TOOLSET } from '../server/mcp/toolsets.js';
import { advertisedSchema } from '../server/tools/json-schema.js';
import { allTools, selectTools } from '../server/tools/registry.js';
import { safetyLevelOf } from '../server/tools/tool.js';
import { startHttpHarness } from './support/http-harness.js';
import { startHarness } from './support/mcp-harness.js';

const LEVELS: [SafetyLevel, string[]][] = [
  ['read-only', []],
  ['write', ['--allow-write']],
  ['destructive', ['--allow-destructive']],
];

/** Keys sorted at every level, so a snapshot diff shows only real changes. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

describe('every tool', () => {
  it('has a unique snake_case name', () => {
    const names = allTools.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+(_[a-z]+)+$/);
  });

  it('states readOnlyHint, destructiveHint and idempotentHint explicitly and consistently', () => {
    for (const tool of allTools) {
      const { readOnlyHint, destructiveHint, idempotentHint } = tool.annotations;
      expect(typeof readOnlyHint, tool.name).toBe('boolean');
      expect(typeof destructiveHint, tool.name).toBe('boolean');
      expect(typeof idempotentHint, tool.name).toBe('boolean');
      if (readOnlyHint) expect(destructiveHint, `${tool.name} is read-only yet destructive`).toBe(false);
    }
  });

  it('that is destructive takes confirm, and only those do', () => {
    for (const tool of allTools) {
      const takesConfirm = 'confirm' in tool.input.shape;
      // The escape hatch is destructive only on a server that allows it.
      const destructive = (tool.annotationsAt?.('destructive') ?? tool.annotations).destructiveHint;
      expect(takesConfirm, tool.name).toBe(destructive);
    }
  });

  it('has a description and an object input schema without top-level oneOf/anyOf', () => {
    for (const tool of allTools) {
      expect(tool.description.length, tool.name).toBeGreaterThanOrEqual(15);
      const schema = advertisedSchema(tool.input);
      expect(schema.type, tool.name).toBe('object');
      expect(schema).not.toHaveProperty('oneOf');
      expect(schema).not.toHaveProperty('anyOf');
    }
  });
});

describe('selecting tools by safety level', () => {
  it('lists no tool that changes anything when read-only', () => {
    for (const tool of selectTools(allTools, { safety: 'read-only' })) expect(tool.annotations.readOnlyHint, tool.name).toBe(true);
  });

  it('adds creating and publishing at write, and nothing destructive', () => {
    const write = selectTools(allTools, { safety: 'write' });
    expect(write.some((tool) => safetyLevelOf(tool) === 'write')).toBe(true);
    for (const tool of write) expect(tool.annotations.destructiveHint, tool.name).toBe(false);
  });

  it('lists everything at destructive', () => {
    expect(selectTools(allTools, { safety: 'destructive' })).toHaveLength(allTools.length);
  });

  it('selects by group', () => {
    const health = selectTools(allTools, { safety: 'destructive', groups: ['health'] });
    expect(health.map((tool) => tool.name)).toEqual(['get_overview']);
  });
});

/**
 * Arguments a model needs no description for, because the tool's noun names them: the name of
 * the queue create_queue creates. Everything else says its unit, default or effect.
 */
const OBVIOUS = new Set(['create_queue.name', 'delete_queue.name', 'purge_queue.name', 'create_exchange.name', 'delete_exchange.name']);

/** What a client pays in context for the whole toolset, every group enabled (--tools all). */
const BUDGET: Record<SafetyLevel, number> = { 'read-only': 8_000, write: 16_000, destructive: 16_000 };

/** What it pays for the default toolsets, enable_toolset included, at every level. */
const DEFAULT_BUDGET = 8_192;

/** The default toolsets: MCP_TOOLS unset (the harness sets it to all for the tests of each tool). */
const DEFAULT_ENV = { MCP_TOOLS: undefined };

describe('the naming the server instructions promise', () => {
  it('holds for every tool: name for the object, queue on message tools, from and to on a move, paging on lists', () => {
    expect(INSTRUCTIONS).toContain('name is the object a tool creates, deletes, purges or shows in detail');
    expect(INSTRUCTIONS).toContain('queue the queue a message tool reads; from and to the queues of a move');
    expect(INSTRUCTIONS).toContain('Lists take page (from 1) and page_size');
    for (const tool of allTools) {
      const args = Object.keys(tool.input.shape);
      const [verb, noun] = tool.name.split('_') as [string, string];
      // Bindings are named by their ends (source, destination); configuration by kind and name.
      if (['create', 'delete', 'purge'].includes(verb) && noun !== 'binding') expect(args, tool.name).toContain('name');
      if (tool.group === 'messages' && !['publish_messages', 'move_messages'].includes(tool.name))
        expect(args, tool.name).toContain('queue');
      if ('page' in tool.input.shape) expect(args, tool.name).toContain('page_size');
    }
    expect(Object.keys(allTools.find((tool) => tool.name === 'move_messages')?.input.shape ?? {})).toEqual(
      expect.arrayContaining(['from', 'to']),
    );
  });
});

describe('what the model reads in tools/list', () => {
  it('is one reviewed file per tool (as listed with everything enabled, and the levels that list it)', async () => {
    const listed = new Map<string, { levels: SafetyLevel[]; tool: unknown; annotations: Record<string, unknown> }>();
    // Everything, then the default toolsets, which add enable_toolset (reviewed as listed there).
    for (const [level, args, env] of LEVELS.flatMap(([level, args]) => [[level, args, {}] as const, [level, args, DEFAULT_ENV] as const])) {
      const mcp = await startHarness({ args, env });
      try {
        for (const tool of (await mcp.client.listTools()).tools) {
          const entry = listed.get(tool.name) ?? { levels: [], tool, annotations: {} };
          if (!entry.levels.includes(level)) entry.levels.push(level);
          entry.tool = tool;
          entry.annotations[level] = tool.annotations;
          listed.set(tool.name, entry);
        }
      } finally {
        await mcp.close();
      }
    }
    expect([...listed.keys()].sort()).toEqual([...allTools.map((tool) => tool.name), ENABLE_TOOLSET].sort());
    // The stdio entry's own tools (list_brokers, switch_broker) are reviewed in test/stdio-entry-bridge.test.ts.
    const entryTools = new Set(brokerTools.map((tool) => tool.name));
    const stale = readdirSync(new URL('__toolsnaps__/', import.meta.url))
      .map((file) => file.replace(/\.json$/, ''))
      .filter((name) => !listed.has(name) && !entryTools.has(name));
    expect(stale, 'snapshot files of tools that no longer exist').toEqual([]);
    for (const [name, { levels, tool, annotations }] of listed) {
      // Annotations per level only where they differ (the escape hatch's follow the server's level).
      const differ = new Set(Object.values(annotations).map((value) => JSON.stringify(value))).size > 1;
      const reviewed = { levels, ...(differ ? { annotationsByLevel: annotations } : {}), tool };
      await expect(`${JSON.stringify(sortKeys(reviewed), null, 2)}\n`).toMatchFileSnapshot(`__toolsnaps__/${name}.json`);
    }
  });
});

describe.each(LEVELS)('tools/list at %s', (level, args) => {
  it('documents at least 95 % of the arguments, gives every tool a title, and fits its byte budget', async () => {
    const mcp = await startHarness({ args });
    try {
      const { tools } = await mcp.client.listTools();
      const all: string[] = [];
      const undescribed: string[] = [];
      for (const tool of tools) {
        expect(tool.title, `${tool.name} has no title`).toMatch(/^[A-Z].{3,}/);
        for (const [key, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
          all.push(`${tool.name}.${key}`);
          if (!(schema as { description?: string }).description) undescribed.push(`${tool.name}.${key}`);
        }
      }
      expect(undescribed.filter((argument) => !OBVIOUS.has(argument))).toEqual([]);
      expect((all.length - undescribed.length) / all.length).toBeGreaterThanOrEqual(0.95);
      expect(Buffer.byteLength(JSON.stringify({ tools }))).toBeLessThanOrEqual(BUDGET[level]);
    } finally {
      await mcp.close();
    }
  });

  it('gives every argument a single JSON type (some clients reject a list of types)', async () => {
    const mcp = await startHarness({ args });
    try {
      const { tools } = await mcp.client.listTools();
      const listed: string[] = [];
      const visit = (node: unknown, path: string) => {
        if (!node || typeof node !== 'object') return;
        if (Array.isArray((node as { type?: unknown }).type)) listed.push(path);
        for (const [key, child] of Object.entries(node)) visit(child, `${path}.${key}`);
      };
      for (const tool of tools) visit(tool.inputSchema, tool.name);
      expect(listed).toEqual([]);
    } finally {
      await mcp.close();
    }
  });

  it('refuses a hidden tool with the option that unlocks it', async () => {
    const mcp = await startHarness({ args });
    try {
      const hidden = allTools.filter((tool) => !selectTools(allTools, { safety: level }).includes(tool));
      for (const tool of hidden) {
        const answer = await mcp.call(tool.name, {});
        expect(answer.isError).toBe(true);
        expect(answer.text).toContain(`${tool.name} is disabled: this server runs ${level}`);
        expect(answer.text).toContain(tool.annotations.destructiveHint ? '--allow-destructive' : '--allow-write');
      }
    } finally {
      await mcp.close();
    }
  });
});

describe('--tools', () => {
  it('offers only the chosen groups, and says which group a missing tool needs', async () => {
    const mcp = await startHarness({ args: ['--allow-destructive', '--tools', 'queues,health'] });
    try {
      const { tools } = await mcp.client.listTools();
      const expected = allTools.filter((tool) => tool.group === 'queues' || tool.group === 'health').map((tool) => tool.name);
      expect(tools.map((tool) => tool.name)).toEqual([...expected, ENABLE_TOOLSET]);
      expect(expected).toContain('list_queues');
      const answer = await mcp.call('publish_messages', { messages: [{ body: 'x' }] });
      expect(answer).toEqual({
        isError: true,
        text: 'publish_messages is in the messages toolset, which is off: it runs with --tools health,queues. Call enable_toolset with toolset "messages" to add it to this connection, or restart the server with --tools health,queues,messages.',
      });
    } finally {
      await mcp.close();
    }
  });

  it('lists no enable_toolset when every group is on', async () => {
    const mcp = await startHarness({ args: ['--allow-destructive', '--tools', 'all'] });
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(allTools.map((tool) => tool.name));
    } finally {
      await mcp.close();
    }
  });
});

describe.each(LEVELS)('the default toolsets at %s', (level, args) => {
  it('are health, vhosts, queues and messages plus enable_toolset, within 8,192 bytes of tools/list', async () => {
    const mcp = await startHarness({ args, env: DEFAULT_ENV });
    try {
      const { tools } = await mcp.client.listTools();
      const expected = selectTools(allTools, { safety: level, groups: DEFAULT_TOOL_GROUPS }).map((tool) => tool.name);
      expect(tools.map((tool) => tool.name)).toEqual([...expected, ENABLE_TOOLSET]);
      expect(Buffer.byteLength(JSON.stringify({ tools }))).toBeLessThanOrEqual(DEFAULT_BUDGET);
      const enable = tools.find((tool) => tool.name === ENABLE_TOOLSET);
      expect(enable?.annotations).toEqual({ readOnlyHint: true });
      expect(enable?.title).toMatch(/^[A-Z].{3,}/);
      const toolset = enable?.inputSchema.properties?.toolset as { enum: string[]; description: string };
      expect(toolset.enum).toEqual(TOOL_GROUPS.filter((group) => !(DEFAULT_TOOL_GROUPS as readonly string[]).includes(group)));
      for (const group of toolset.enum) expect(toolset.description).toContain(`${group}: `);
    } finally {
      await mcp.close();
    }
  });

  it('keep every tool of the level reachable: one that is off says to call enable_toolset, which lists it and lets it answer', async () => {
    const mcp = await startHarness({ args, env: DEFAULT_ENV });
    let changed = 0;
    mcp.client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    try {
      const off = selectTools(allTools, { safety: level }).filter(
        (tool) => !(DEFAULT_TOOL_GROUPS as readonly string[]).includes(tool.group),
      );
      expect(off.length).toBeGreaterThan(0);
      for (const tool of off) {
        const refused = await mcp.call(tool.name, {});
        expect(refused.isError, tool.name).toBe(true);
        expect(refused.text).toContain(`${tool.name} is in the ${tool.group} toolset, which is off`);
        expect(refused.text).toContain(`Call enable_toolset with toolset "${tool.group}"`);
        expect(refused.text).toContain(`--tools default,${tool.group}`);
      }
      const groups = [...new Set(off.map((tool) => tool.group))];
      for (const [index, group] of groups.entries()) {
        const enabled = await mcp.call(ENABLE_TOOLSET, { toolset: group });
        expect(enabled.isError, enabled.text).toBe(false);
        expect(enabled.text).toContain(`The ${group} toolset is on for this connection`);
        // The client hears that tools/list changed once per group turned on.
        await expect.poll(() => changed).toBe(index + 1);
      }
      const { tools } = await mcp.client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(selectTools(allTools, { safety: level }).map((tool) => tool.name));
      // A tool of a group turned on now answers for itself (here: invalid arguments, not "off").
      const answer = await mcp.call('list_exchanges', { page: 0 });
      expect(answer.text).toMatch(/^Invalid arguments for list_exchanges: page/);
      expect((await mcp.call('list_exchanges', {})).isError).toBe(false);
    } finally {
      await mcp.close();
    }
  });
});

describe('enable_toolset', () => {
  it('says so when the group is already on, and changes nothing', async () => {
    const mcp = await startHarness({ env: DEFAULT_ENV });
    let changed = 0;
    mcp.client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    try {
      const before = (await mcp.client.listTools()).tools;
      const answer = await mcp.call(ENABLE_TOOLSET, { toolset: 'queues' });
      expect(answer).toEqual({
        isError: false,
        text: 'The queues toolset is already on: list_queues, find_problem_queues. Not at this safety level (read-only): create_queue (--allow-write), delete_queue (--allow-destructive), purge_queue (--allow-destructive).',
      });
      expect((await mcp.client.listTools()).tools).toEqual(before);
      expect(changed).toBe(0);
    } finally {
      await mcp.close();
    }
  });

  it('names the tools of the group the safety level still holds back', async () => {
    const mcp = await startHarness({ env: DEFAULT_ENV });
    try {
      const answer = await mcp.call(ENABLE_TOOLSET, { toolset: 'exchanges' });
      expect(answer.text).toBe(
        'The exchanges toolset is on for this connection; tools/list now lists list_exchanges, list_bindings, trace_route. Not at this safety level (read-only): create_exchange (--allow-write), delete_exchange (--allow-destructive), create_binding (--allow-write), delete_binding (--allow-destructive).',
      );
      const hidden = await mcp.call('delete_exchange', { name: 'x' });
      expect(hidden).toEqual({
        isError: true,
        text: 'delete_exchange is disabled: this server runs read-only. Restart it with --allow-destructive to use it.',
      });
    } finally {
      await mcp.close();
    }
  });

  it.each([
    [{}, 'Invalid arguments for enable_toolset: toolset: '],
    [{ toolset: 'everything' }, 'Invalid arguments for enable_toolset: toolset: '],
    [{ toolset: 'exchanges', extra: 1 }, 'Invalid arguments for enable_toolset: arguments: unknown argument(s) extra'],
  ])('refuses %j with what to fix', async (args, message) => {
    const mcp = await startHarness({ env: DEFAULT_ENV });
    try {
      const answer = await mcp.call(ENABLE_TOOLSET, args);
      expect(answer.isError).toBe(true);
      expect(answer.text).toContain(message);
      expect(answer.text).toContain('Fix them and call again.');
    } finally {
      await mcp.close();
    }
  });

  it('is per connection: a second client of the same process still has the default toolsets', async () => {
    const first = await startHarness({ env: DEFAULT_ENV });
    const second = await startHarness({ env: DEFAULT_ENV });
    try {
      await first.call(ENABLE_TOOLSET, { toolset: 'clients' });
      expect((await first.client.listTools()).tools.map((tool) => tool.name)).toContain('list_connections');
      expect((await second.client.listTools()).tools.map((tool) => tool.name)).not.toContain('list_connections');
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('toolsets over HTTP', () => {
  it('are fixed at start: no enable_toolset, and a tool that is off says which --tools to restart with', async () => {
    const http = await startHttpHarness(DEFAULT_ENV);
    try {
      const client = await http.client();
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(
        selectTools(allTools, { safety: 'read-only', groups: DEFAULT_TOOL_GROUPS }).map((tool) => tool.name),
      );
      const off = await client.callTool({ name: 'list_exchanges', arguments: {} });
      expect(off.isError).toBe(true);
      expect(off.content).toEqual([
        {
          type: 'text',
          text: 'list_exchanges is in the exchanges toolset, which is off: it offers the default toolsets (health, vhosts, queues, messages). Restart the server with --tools default,exchanges (MCP_TOOLS; all for every tool): over HTTP the toolsets are fixed when the server starts.',
        },
      ]);
      const enable = await client.callTool({ name: ENABLE_TOOLSET, arguments: { toolset: 'exchanges' } });
      expect(enable.isError).toBe(true);
      expect(JSON.stringify(enable.content)).toContain(
        'enable_toolset is not offered over HTTP: every request is served afresh, so a change would not last to the next one. Restart the server with --tools default,exchanges (MCP_TOOLS) instead.',
      );
    } finally {
      await http.close();
    }
  });
});
