import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultProfileInput } from '../electron/shared/profile.js';
import { serverEnvironment } from '../electron/core/profiles/server-environment.js';
import { processAlive, readRuntimeInfo } from '../electron/core/supervisor/runtime-file.js';
import { type ApprovalAsked, Supervisor, type SupervisorState, type SupervisorTarget } from '../electron/core/supervisor/supervisor.js';
import { admin, eventually } from './support/broker-admin.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';
import { SERVER_BIN, ensureBuilt } from './support/built-server.js';

const folder = mkdtempSync(join(tmpdir(), 'mcp-supervisor-'));
const vhostA = useTestVhost('mcp-sup-a');
const vhostB = useTestVhost('mcp-sup-b');
let supervisor: Supervisor | undefined;

function target(
  vhost: string,
  name: string,
  extra: Record<string, string> = {},
  levels: Pick<SupervisorTarget, 'safety' | 'approval'> = { safety: 'read-only', approval: 'destructive' },
): SupervisorTarget {
  const profile = {
    ...defaultProfileInput(name),
    amqp: { host: BROKER.host, port: BROKER.amqpPort, tls: { enabled: false, verify: true } },
    vhost,
    ...levels,
  };
  return {
    profileId: name.toLowerCase(),
    profileName: name,
    ...levels,
    env: {
      ...serverEnvironment(
        { ...profile, management: { ...profile.management, host: BROKER.host, port: BROKER.httpPort } },
        BROKER.password,
      ),
      ...extra,
    },
  };
}

function newSupervisor(options: { crashLimit?: number } = {}): Supervisor {
  supervisor = new Supervisor({
    command: process.execPath,
    serverEntry: SERVER_BIN,
    runtimeFile: join(folder, 'runtime.json'),
    logDir: join(folder, 'logs'),
    healthIntervalMs: 200,
    ...options,
  });
  return supervisor;
}

function until(status: SupervisorState['status'], timeoutMs = 20_000): Promise<SupervisorState> {
  return eventually(async () => (supervisor?.state.status === status ? supervisor.state : undefined), `state ${status}`, timeoutMs);
}

/** A tools/call through the supervised server's HTTP endpoint, as an AI client's would arrive. */
async function callThrough(url: string, token: string, name: string, args: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  return ((await response.json()) as { result: { isError?: boolean; content: { text: string }[] } }).result;
}

async function overviewThrough(url: string, token: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_overview', arguments: {} } }),
  });
  return ((await response.json()) as { result: { content: { text: string }[] } }).result.content[0]?.text ?? '';
}

beforeAll(async () => {
  await ensureBuilt();
});

afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
});

afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
});

describe('the supervisor', () => {
  it('starts the server for a profile, reports it healthy and publishes where to reach it', async () => {
    const states: string[] = [];
    newSupervisor().on('state', (state) => states.push(state.status));
    await supervisor?.start(target(vhostA.name, 'Alpha'));
    await until('healthy');
    // No "broker down" flash while its first AMQP connection is under way (healthIntervalMs 200).
    expect(states).toEqual(['starting', 'healthy']);
    const runtime = await readRuntimeInfo(join(folder, 'runtime.json'));
    expect(runtime).toMatchObject({ profileName: 'Alpha', safety: 'read-only', appPid: process.pid });
    expect(await overviewThrough(runtime?.url as string, runtime?.token as string)).toContain(`on vhost ${vhostA.name}`);
  });

  it('is back and healthy within seconds after the server is killed with SIGKILL', async () => {
    newSupervisor();
    await supervisor?.start(target(vhostA.name, 'Alpha'));
    const first = (await until('healthy')) as { pid: number };
    process.kill(first.pid, 'SIGKILL');
    const crashed = (await until('crashed')) as { exit: string; restartInMs: number };
    expect(crashed.exit).toBe('killed by SIGKILL');
    const again = (await until('healthy', 10_000)) as { pid: number };
    expect(again.pid).not.toBe(first.pid);
    const runtime = await readRuntimeInfo(join(folder, 'runtime.json'));
    expect(runtime?.pid).toBe(again.pid);
  });

  it('reports a crash loop with the last lines instead of spinning', async () => {
    const announced: number[] = [];
    let gaveUp = false;
    const afterGivingUp: string[] = [];
    newSupervisor({ crashLimit: 3 }).on('state', (state) => {
      if (gaveUp) afterGivingUp.push(state.status);
      if (state.status === 'crashed') announced.push(state.restartInMs);
      if (state.status === 'failed') gaveUp = true;
    });
    await supervisor?.start(target(vhostA.name, 'Broken', { AMQP_PORT: 'not-a-port' }));
    const failed = (await until('failed', 15_000)) as { crashes: number; lastLines: string[]; message: string };
    expect(failed.crashes).toBe(3);
    expect(failed.lastLines.join('\n')).toContain('AMQP_PORT "not-a-port" is not valid: expected a port number from 1 to 65535');
    expect(failed.message).toContain('crashed 3 times');
    // What must not happen is a restart. Had one been scheduled, it would come after the next step
    // of the backoff (twice the last delay announced), so the window is that long, and no longer.
    expect(announced).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 2 * Math.max(...announced) + 250));
    expect(afterGivingUp).toEqual([]);
    expect(supervisor?.state.status).toBe('failed');
    expect(await readRuntimeInfo(join(folder, 'runtime.json'))).toBeNull();
  });

  it('says the broker is down when the server runs but cannot reach it', async () => {
    newSupervisor();
    await supervisor?.start(target(vhostA.name, 'Nowhere', { AMQP_PORT: '1', HTTP_PORT: '2' }));
    const degraded = (await until('degraded')) as { reason: string; advice: string; action: string };
    expect(degraded).toMatchObject({ reason: 'nothing accepts AMQP connections at 127.0.0.1:1', action: 'edit-profile' });
    expect(degraded.advice).toBe("Check that RabbitMQ runs, and this profile's Host and AMQP port.");
  });

  it("says a refused login in the profile's terms, not the server's variables", async () => {
    newSupervisor();
    await supervisor?.start(target(vhostA.name, 'Typo', { AMQP_PASSWORD: 'not-the-password' }));
    const degraded = (await until('degraded')) as { reason: string; advice: string; action: string };
    expect(degraded).toMatchObject({
      reason: `the broker refused the login of user '${BROKER.user}'`,
      advice: "Check this profile's User and Password.",
      action: 'edit-profile',
    });
    expect(JSON.stringify(degraded)).not.toMatch(/AMQP_USER|AMQP_PASSWORD|unreachable/);
  });

  it('swaps the server when the profile changes, then stops the old one', async () => {
    newSupervisor();
    await supervisor?.start(target(vhostA.name, 'Alpha'));
    const alpha = (await until('healthy')) as { pid: number };
    await supervisor?.start(target(vhostB.name, 'Beta'));
    const runtime = await readRuntimeInfo(join(folder, 'runtime.json'));
    expect(runtime?.profileName).toBe('Beta');
    expect(await overviewThrough(runtime?.url as string, runtime?.token as string)).toContain(`on vhost ${vhostB.name}`);
    expect(processAlive(alpha.pid)).toBe(false);
  });

  it('stops the server cleanly and removes the runtime file', async () => {
    newSupervisor();
    await supervisor?.start(target(vhostA.name, 'Alpha'));
    const { pid } = (await until('healthy')) as { pid: number };
    await supervisor?.stop();
    expect(supervisor?.state.status).toBe('stopped');
    expect(processAlive(pid)).toBe(false);
    expect(await readRuntimeInfo(join(folder, 'runtime.json'))).toBeNull();
  });

  it('leaves no orphan when the app itself is killed', async () => {
    const script = join(folder, 'app.mts');
    const runtimeFile = join(folder, 'orphan-runtime.json');
    writeFileSync(
      script,
      `import { Supervisor } from ${JSON.stringify(new URL('../electron/core/supervisor/supervisor.ts', import.meta.url).pathname)};
const supervisor = new Supervisor({ command: process.execPath, serverEntry: ${JSON.stringify(SERVER_BIN)}, runtimeFile: ${JSON.stringify(runtimeFile)}, logDir: ${JSON.stringify(join(folder, 'logs'))} });
await supervisor.start(${JSON.stringify(target(vhostA.name, 'Orphan'))});
setInterval(() => undefined, 1000);
`,
    );
    const app = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
    try {
      const runtime = await eventually(() => readRuntimeInfo(runtimeFile).then((info) => info ?? undefined), 'the app to start its server');
      expect(processAlive(runtime.pid)).toBe(true);
      app.kill('SIGKILL');
      await eventually(async () => (processAlive(runtime.pid) ? undefined : true), 'the server to exit with its app', 10_000);
    } finally {
      app.kill('SIGKILL');
    }
  });
});

describe('approvals through the IPC channel', () => {
  const queue = `approval-queue-${process.pid}`;
  const queuePath = () => `/queues/${encodeURIComponent(vhostA.name)}/${encodeURIComponent(queue)}`;
  const queueExists = () =>
    admin('GET', queuePath()).then(
      () => true,
      () => false,
    );
  afterAll(async () => {
    await admin('DELETE', queuePath()).catch(() => undefined);
  });

  it('hands a change up as an approval event, and carries the answer back to the waiting call', async () => {
    newSupervisor();
    await supervisor?.start(target(vhostA.name, 'Gated', {}, { safety: 'write', approval: 'every-change' }));
    await until('healthy');
    const runtime = await readRuntimeInfo(join(folder, 'runtime.json'));
    const call = () => callThrough(runtime?.url as string, runtime?.token as string, 'create_queue', { vhost: vhostA.name, name: queue });

    // Denied: the call ends refused and the queue is not made.
    let asking = once(supervisor as Supervisor, 'approval');
    let result = call();
    let [asked] = (await asking) as [ApprovalAsked];
    expect(asked).toMatchObject({ profileId: 'gated', profileName: 'Gated' });
    expect(asked.request).toMatchObject({ type: 'rabbitmq-mcp/approval-request', tool: 'create_queue', destructive: false });
    expect(asked.request.preview).toContain(queue);
    expect(asked.request.client).not.toBe('');
    expect(asked.signal.aborted).toBe(false);
    expect(asked.answer('denied', 10)).toBe(true);
    expect(asked.answer('approved', 10)).toBe(false); // once only
    expect((await result).content[0]?.text).toMatch(/denied/);
    expect(await queueExists()).toBe(false);

    // Approved: the same call goes ahead.
    asking = once(supervisor as Supervisor, 'approval');
    result = call();
    [asked] = (await asking) as [ApprovalAsked];
    expect(asked.answer('approved', 10)).toBe(true);
    expect((await result).isError).toBeFalsy();
    expect(await queueExists()).toBe(true);
  });

  it('closes the open questions of a server it swaps for another profile', async () => {
    await admin('PUT', queuePath(), { durable: true });
    newSupervisor();
    await supervisor?.start(target(vhostA.name, 'Gated', {}, { safety: 'destructive', approval: 'destructive' }));
    await until('healthy');
    const runtime = await readRuntimeInfo(join(folder, 'runtime.json'));
    const asking = once(supervisor as Supervisor, 'approval');
    const result = callThrough(runtime?.url as string, runtime?.token as string, 'delete_queue', {
      vhost: vhostA.name,
      name: queue,
      confirm: true,
    }).catch((error: Error) => error);
    const [asked] = (await asking) as [ApprovalAsked];
    expect(asked.request.destructive).toBe(true);
    const closed = once(asked.signal, 'abort');
    await supervisor?.start(target(vhostB.name, 'Other'));
    await closed;
    expect(asked.signal.reason).toBe('server-stopped');
    expect(asked.answer('approved', 10)).toBe(false);
    await result;
    expect(await queueExists()).toBe(true); // nobody approved: the queue is still there
  });
});
