import { afterAll, beforeAll } from 'vitest';
import { type TestVhost, createTestVhost } from './broker-admin.js';
import { type Harness, type HarnessOptions, startHarness } from './mcp-harness.js';

/*
 * Fixtures that register their own hooks in the file or describe block they are called in. What
 * they set up exists from their beforeAll on, so read their getters inside tests and hooks. Hooks
 * the caller registers after a fixture run once it is up, and their teardown runs before it goes
 * (vitest runs after-hooks in reverse order).
 */

export interface VhostFixture {
  readonly name: string;
}

export interface HarnessFixture {
  readonly mcp: Harness;
}

export interface BrokerFixture {
  /** The server's default vhost (AMQP_VHOST). */
  readonly vhost: VhostFixture;
  readonly mcp: Harness;
}

export interface BrokerFixtureOptions extends HarnessOptions {
  /** How the vhost's name starts, so that one left behind says which tests made it. */
  vhostPrefix?: string;
}

/** A fresh vhost for the tests, removed with everything in it after them. */
export function useTestVhost(prefix?: string): VhostFixture {
  let vhost: TestVhost | undefined;
  beforeAll(async () => {
    vhost = await createTestVhost(prefix);
  });
  afterAll(async () => {
    await vhost?.remove();
  });
  return {
    get name() {
      return setUp(vhost, 'vhost').name;
    },
  };
}

/** A server on the in-memory harness whose default vhost (AMQP_VHOST) is `vhost`; `options.env` may override it. */
export function useHarness(vhost: VhostFixture, options: HarnessOptions = {}): HarnessFixture {
  let mcp: Harness | undefined;
  beforeAll(async () => {
    mcp = await startHarness({ ...options, env: { AMQP_VHOST: vhost.name, ...options.env } });
  });
  afterAll(async () => {
    await mcp?.close();
  });
  return {
    get mcp() {
      return setUp(mcp, 'server');
    },
  };
}

/** The setup most tool tests share: a fresh vhost and a server that uses it by default. */
export function useBrokerFixture(options: BrokerFixtureOptions = {}): BrokerFixture {
  const { vhostPrefix, ...harnessOptions } = options;
  const vhost = useTestVhost(vhostPrefix);
  const server = useHarness(vhost, harnessOptions);
  return {
    vhost,
    get mcp() {
      return server.mcp;
    },
  };
}

function setUp<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the test ${what} is set up in beforeAll: use it inside a test or hook`);
  return value;
}
