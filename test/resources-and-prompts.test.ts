import { beforeAll, describe, expect, it } from 'vitest';
import { allTools } from '../server/tools/registry.js';
import { useBrokerFixture } from './support/broker-fixture.js';

const fixture = useBrokerFixture({ vhostPrefix: 'mcp-resources', args: ['--allow-write'] });

beforeAll(async () => {
  await fixture.mcp.call('create_exchange', { name: 'orders', type: 'topic' });
  for (const name of ['billing', 'bookkeeping', 'shipping']) await fixture.mcp.call('create_queue', { name });
  await fixture.mcp.call('create_binding', { source: 'orders', destination: 'billing', routing_key: 'order.*.paid' });
  await fixture.mcp.call('create_binding', { source: 'orders', destination: 'shipping', routing_key: 'order.#' });
});

function text(result: { contents: unknown[] }): string {
  return (result.contents[0] as { text: string }).text;
}

describe('resources', () => {
  it('lists the broker overview and templates for a queue, a vhost topology and its definitions', async () => {
    expect((await fixture.mcp.client.listResources()).resources.map((r) => r.uri)).toEqual(['rabbitmq://overview']);
    expect((await fixture.mcp.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      'rabbitmq://vhosts/{vhost}/queues/{queue}',
      'rabbitmq://vhosts/{vhost}/topology',
      'rabbitmq://vhosts/{vhost}/definitions',
    ]);
  });

  it('reads the overview and a queue by URI (names URL-encoded)', async () => {
    expect(text(await fixture.mcp.client.readResource({ uri: 'rabbitmq://overview' }))).toContain('broker: RabbitMQ');
    const queue = text(
      await fixture.mcp.client.readResource({ uri: `rabbitmq://vhosts/${encodeURIComponent(fixture.vhost.name)}/queues/billing` }),
    );
    expect(queue).toContain(`queue: billing (classic) in vhost '${fixture.vhost.name}'`);
    expect(queue).toContain("'orders' key 'order.*.paid'");
  });

  it('draws the topology as Mermaid', async () => {
    const result = await fixture.mcp.client.readResource({ uri: `rabbitmq://vhosts/${encodeURIComponent(fixture.vhost.name)}/topology` });
    expect((result.contents[0] as { mimeType: string }).mimeType).toBe('text/vnd.mermaid');
    const diagram = text(result);
    expect(diagram.split('\n')[0]).toBe('flowchart LR');
    expect(diagram).toContain('{{"orders (topic)"}}');
    expect(diagram).toContain('[("billing")]');
    expect(diagram).toMatch(/x_\w+ -->\|"order\.\*\.paid"\| q_\w+/);
  });

  it('says when a resource does not exist', async () => {
    await expect(
      fixture.mcp.client.readResource({ uri: `rabbitmq://vhosts/${encodeURIComponent(fixture.vhost.name)}/queues/nope` }),
    ).rejects.toThrow(/queue 'nope' not found/);
    await expect(fixture.mcp.client.readResource({ uri: 'rabbitmq://nothing' })).rejects.toThrow(/Unknown resource/);
  });
});

describe('completion', () => {
  it('completes vhost names and queue names within the chosen vhost', async () => {
    const vhosts = await fixture.mcp.client.complete({
      ref: { type: 'ref/resource', uri: 'rabbitmq://vhosts/{vhost}/queues/{queue}' },
      argument: { name: 'vhost', value: 'mcp-resources' },
    });
    expect(vhosts.completion.values).toContain(fixture.vhost.name);
    const queues = await fixture.mcp.client.complete({
      ref: { type: 'ref/resource', uri: 'rabbitmq://vhosts/{vhost}/queues/{queue}' },
      argument: { name: 'queue', value: 'b' },
      context: { arguments: { vhost: fixture.vhost.name } },
    });
    expect(queues.completion.values).toEqual(['billing', 'bookkeeping']);
  });
});

describe('prompts', () => {
  it('lists the dead-letter, backlog and topology prompts', async () => {
    expect((await fixture.mcp.client.listPrompts()).prompts.map((p) => p.name)).toEqual([
      'dead_letter_triage',
      'backlog_diagnosis',
      'topology_diagram',
    ]);
  });

  it('fills the backlog prompt with the queue and the tools to use', async () => {
    const prompt = await fixture.mcp.client.getPrompt({ name: 'backlog_diagnosis', arguments: { queue: 'billing' } });
    const message = (prompt.messages[0]?.content as { text: string }).text;
    expect(message).toContain(`Queue 'billing' in vhost '${fixture.vhost.name}' keeps growing`);
    expect(message).toContain("list_queues with name='billing'");
    await expect(fixture.mcp.client.getPrompt({ name: 'backlog_diagnosis', arguments: {} })).rejects.toThrow(/needs the argument queue/);
  });

  it('names only tools the server has', async () => {
    const known = new Set(allTools.map((tool) => tool.name));
    for (const { name, arguments: args } of (await fixture.mcp.client.listPrompts()).prompts) {
      const filled = Object.fromEntries(
        (args ?? []).map((argument) => [argument.name, argument.name === 'vhost' ? fixture.vhost.name : 'billing']),
      );
      const prompt = await fixture.mcp.client.getPrompt({ name, arguments: filled });
      const text = (prompt.messages[0]?.content as { text: string }).text;
      const named = text.match(/\b[a-z]+(?:_[a-z]+)+(?=[ ,:.(])/g) ?? [];
      const tools = named.filter((word) =>
        /^(list|get|find|create|delete|set|update|purge|peek|publish|consume|read|move|close|trace|export|import|dead|management)_/.test(
          word,
        ),
      );
      for (const tool of tools) expect(known.has(tool), `${name} names ${tool}`).toBe(true);
      if (name === 'dead_letter_triage') expect(tools).toEqual(expect.arrayContaining(['dead_letter_summary', 'move_messages']));
    }
  });

  it('embeds the live topology in the topology prompt', async () => {
    const prompt = await fixture.mcp.client.getPrompt({ name: 'topology_diagram', arguments: {} });
    expect((prompt.messages[0]?.content as { text: string }).text).toContain('```mermaid\nflowchart LR');
  });
});
