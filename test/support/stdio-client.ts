import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/client';
import { SERVER_BIN, SERVER_NODE, ensureBuilt } from './built-server.js';
import { type ToolAnswer, callTool } from './tool-answer.js';

export interface StdioSession {
  client: Client;
  /** The server's process id (to kill it in a fault test). */
  pid: number | null;
  stderr: () => string;
  call(name: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  close(): Promise<void>;
}

/** Launches the built server the way an AI client does (a child process on stdio). */
export async function launchStdio(env: Record<string, string>, args: string[] = []): Promise<StdioSession> {
  await ensureBuilt();
  const transport = new StdioClientTransport({
    command: SERVER_NODE,
    args: [SERVER_BIN, ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'e2e-client', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    pid: transport.pid,
    stderr: () => stderr,
    call: (name, callArgs) => callTool(client, name, callArgs),
    close: () => client.close(),
  };
}
