import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReadme } from '../scripts/readme-tables.js';
import { ensureBuilt } from './support/built-server.js';
import { INITIALIZE, JSON_HEADERS } from './support/http-harness.js';
import { freePort } from './support/http-process.js';
import { brokerEnv } from './support/mcp-harness.js';
import { blockAfter, readme } from './support/readme-blocks.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
describe('the README', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('has configuration and tool tables that match the code (npm run docs regenerates them)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('names the two commands a newcomer needs, and never npm start (its banner would corrupt stdio)', () => {
    expect(readme).toContain('node dist/server/rabbitmq-mcp-server.mjs');
    expect(readme).toContain('npm test');
    const code = [...readme.matchAll(/```\w*\n([\s\S]*?)```/g)].map((match) => match[1]).join('\n');
    expect(code).not.toContain('npm start');
    expect(Object.keys(JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).scripts)).not.toContain('start');
  });

  it('shows only screenshots that exist, and every script it tells you to run exists', () => {
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((match) => match[1] as string);
    expect(images.length).toBeGreaterThanOrEqual(5);
    for (const image of images) expect(existsSync(image), image).toBe(true);
    const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);
    for (const [, name] of readme.matchAll(/npm run ([\w:-]+)/g)) expect(scripts, `npm run ${name}`).toContain(name);
  });

  it("has a Claude Desktop config that starts the server as written (the checkout's path and a broker filled in)", async () => {
    await ensureBuilt();
    const config = JSON.parse(blockAfter('### Add it to Claude Desktop by hand', 'json')) as {
      mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
    };
    const server = config.mcpServers.rabbitmq;
    if (!server) throw new Error('the snippet has no "rabbitmq" server');
    expect(server.command).toBe('node');
    const args = server.args.map((arg) => arg.replace('/path/to/rabbitmq-mcp', ROOT.replace(/\/$/, '')));
    // The snippet's variables, with this machine's broker in place of the example values.
    const env = { ...server.env, ...brokerEnv({ LOG_LEVEL: 'silent' }), AMQP_VHOST: '/' };
    for (const name of Object.keys(server.env)) expect(env[name as keyof typeof env], name).toBeDefined();
    const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args, env: { PATH: process.env.PATH ?? '', ...env } }));
    try {
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools).toContain('create_queue'); // the snippet's --allow-write
      expect(tools).not.toContain('delete_queue');
    } finally {
      await client.close();
    }
  });

  it('has an HTTP one-liner that shows the token it generates, and that token opens a session', async () => {
    await ensureBuilt();
    const script = blockAfter('As a shared HTTP service instead', 'sh');
    expect(script).toContain('--host 0.0.0.0 --port 8000');
    const port = await freePort();
    // The same lines, on loopback and a free port so the test can run beside anything.
    const local = script.replace('--host 0.0.0.0 --port 8000', `--host 127.0.0.1 --port ${port}`);
    // Its own process group, so that stopping it stops the server the shell started too.
    const child = spawn('sh', ['-c', local], {
      cwd: ROOT,
      detached: true,
      env: { PATH: process.env.PATH ?? '', ...brokerEnv({ LOG_LEVEL: 'silent' }) },
    });
    children.push(child);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let token: string | undefined;
    for (let tries = 0; tries < 100 && token === undefined; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      token = /^token: ([0-9a-f]{64})$/m.exec(stdout)?.[1];
    }
    expect(token, `no token shown: ${stdout}`).toBeDefined();
    let answer: Response | undefined;
    for (let tries = 0; tries < 100; tries++) {
      answer = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` },
        body: JSON.stringify(INITIALIZE),
      }).catch(() => undefined);
      if (answer) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answer?.status).toBe(200);
    const wrong = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: 'Bearer not-the-token-0123456789' },
      body: JSON.stringify(INITIALIZE),
    });
    expect(wrong.status).toBe(401);
    process.kill(-(child.pid as number), 'SIGTERM');
  });
});
