import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DailyLogFile } from '../server/logging/daily-log-file.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('daily log files', () => {
  it('start a new file each UTC day and delete files past the retention', () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    writeFileSync(join(dir, 'rabbitmq-mcp-server-2026-01-01.log'), 'old\n');
    writeFileSync(join(dir, 'rabbitmq-mcp-server-2026-01-25.log'), 'recent\n');
    writeFileSync(join(dir, 'someone-else-2020-01-01.log'), 'not ours\n');
    let now = new Date('2026-02-01T23:59:00Z');
    const file = new DailyLogFile({ dir, prefix: 'rabbitmq-mcp-server', retentionDays: 10, now: () => now });
    file.write('{"n":1}\n');
    now = new Date('2026-02-02T00:00:01Z');
    file.write('{"n":2}\n');
    file.close();
    expect(readdirSync(dir).sort()).toEqual([
      'rabbitmq-mcp-server-2026-01-25.log',
      'rabbitmq-mcp-server-2026-02-01.log',
      'rabbitmq-mcp-server-2026-02-02.log',
      'someone-else-2020-01-01.log',
    ]);
    expect(readFileSync(join(dir, 'rabbitmq-mcp-server-2026-02-01.log'), 'utf8')).toBe('{"n":1}\n');
    expect(readFileSync(join(dir, 'rabbitmq-mcp-server-2026-02-02.log'), 'utf8')).toBe('{"n":2}\n');
  });

  it('creates the folder and appends to the day file another process already writes', () => {
    dir = join(mkdtempSync(join(tmpdir(), 'mcp-logs-')), 'nested', 'logs');
    const now = () => new Date('2026-03-03T10:00:00Z');
    const first = new DailyLogFile({ dir, prefix: 'p', retentionDays: 1, now });
    const second = new DailyLogFile({ dir, prefix: 'p', retentionDays: 1, now });
    first.write('a\n');
    second.write('b\n');
    first.write('c\n');
    first.close();
    second.close();
    expect(readFileSync(join(dir, 'p-2026-03-03.log'), 'utf8')).toBe('a\nb\nc\n');
  });
});
