import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SafetyLevel } from '../server/config/load-config.js';
import { INSTRUCTIONS } from '../server/mcp/create-server.js';
import { advertisedSchema } from '../server/tools/json-schema.js';
import { allTools, selectTools } from '../server/tools/registry.js';
import { safetyLevelOf } from '../server/tools/tool.js';
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

/** What a client pays in context for the whole toolset, every group enabled. */
const BUDGET: Record<SafetyLevel, number> = { 'read-only': 8_000, write: 16_000, destructive: 16_000 };

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
    for (const [level, args] of LEVELS) {
      const mcp = await startHarness({ args });
      try {
        for (const tool of (await mcp.client.listTools()).tools) {
          const entry = listed.get(tool.name) ?? { levels: [], tool, annotations: {} };
          entry.levels.push(level);
          entry.tool = tool;
          entry.annotations[level] = tool.annotations;
          listed.set(tool.name, entry);
        }
      } finally {
        await mcp.close();
      }
    }
    expect([...listed.keys()].sort()).toEqual(allTools.map((tool) => tool.name).sort());
    const stale = readdirSync(new URL('__toolsnaps__/', import.meta.url)).filter((file) => !listed.has(file.replace(/\.json$/, '')));
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
      expect(tools.map((tool) => tool.name)).toEqual(expected);
      expect(expected).toContain('list_queues');
      const answer = await mcp.call('publish_messages', { messages: [{ body: 'x' }] });
      expect(answer).toEqual({
        isError: true,
        text: 'publish_messages is not offered: this server runs with --tools queues,health; add messages to use it.',
      });
    } finally {
      await mcp.close();
    }
  });
});
