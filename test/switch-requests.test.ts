import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requestSwitch, watchSwitchRequests } from '../electron/core/supervisor/switch-requests.js';
import { eventually } from './support/broker-admin.js';

const folder = mkdtempSync(join(tmpdir(), 'mcp-switch-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('switch requests between a stdio entry and the app', () => {
  it('answers a request once, and leaves no file behind', async () => {
    const seen: string[] = [];
    const stop = watchSwitchRequests(
      folder,
      async (request) => {
        seen.push(`${request.profileId} by ${request.client}`);
        return { ok: true, message: 'Switched to Beta (write).' };
      },
      { intervalMs: 20 },
    );
    try {
      expect(await requestSwitch(folder, 'beta-id', 'claude-ai', 5000)).toEqual({ ok: true, message: 'Switched to Beta (write).' });
      expect(seen).toEqual(['beta-id by claude-ai']);
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      stop();
    }
  });

  it('gives up when no app answers, taking its request back so that a later app does not act on it', async () => {
    expect(await requestSwitch(folder, 'beta-id', 'claude-ai', 300)).toBeNull();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('drops a request its asker has given up on, unanswered', async () => {
    writeFileSync(
      join(folder, 'old.switch.json'),
      JSON.stringify({ version: 1, profileId: 'x', client: 'c', at: new Date(Date.now() - 60_000).toISOString() }),
    );
    const seen: string[] = [];
    const stop = watchSwitchRequests(
      folder,
      async (request) => {
        seen.push(request.profileId);
        return { ok: true, message: '' };
      },
      { intervalMs: 20 },
    );
    await eventually(async () => (readdirSync(folder).length === 0 ? true : undefined), 'the old request to be dropped');
    stop();
    expect(seen).toEqual([]);
  });
});
