import { randomBytes } from 'node:crypto';
import { BROKER } from './broker-env.js';

/** Direct management API calls the tests use to set up and check the broker, outside the server. */
export async function admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`http://${BROKER.host}:${BROKER.httpPort}/api${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${BROKER.user}:${BROKER.password}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok && !(method === 'DELETE' && response.status === 404)) {
    throw new Error(`${method} ${path}: ${response.status} ${text}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface TestVhost {
  name: string;
  /** Deletes the vhost with everything in it. */
  remove(): Promise<void>;
}

/** A fresh vhost the test user may use fully. */
export async function createTestVhost(prefix = 'mcp-test'): Promise<TestVhost> {
  const name = uniqueName(prefix);
  const encoded = encodeURIComponent(name);
  await admin('PUT', `/vhosts/${encoded}`, { description: 'created by rabbitmq-mcp-server tests' });
  await admin('PUT', `/permissions/${encoded}/${encodeURIComponent(BROKER.user)}`, { configure: '.*', write: '.*', read: '.*' });
  return { name, remove: () => admin('DELETE', `/vhosts/${encoded}`).then(() => undefined) };
}

/** Polls until `check` returns a value other than undefined (management statistics lag), every `intervalMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
