/**
 * What AI clients launch (through the app's own binary, ELECTRON_RUN_AS_NODE=1): the bridge
 * (bridge.ts) between the client on stdio and the server the app supervises, wired to this
 * process: the app's folder, how to start the app, the daily log file, stdin guarded against
 * messages over the size the app's server takes.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { DailyLogFile } from '../../server/logging/daily-log-file.js';
import { MAX_STDIO_MESSAGE_BYTES, guardStdin } from '../../server/transports/stdio/stdio-line-guard.js';
import { serveBridge } from './bridge.js';
import type { EntryLog } from './entry-log.js';
import { launchCommand } from './launch-command.js';

const home = process.env.RABBITMQ_MCP_HOME ?? join(homedir(), '.rabbitmq-mcp');
let logFile: DailyLogFile | null = null;
try {
  logFile = new DailyLogFile({ dir: join(home, 'logs'), prefix: 'stdio-entry', retentionDays: 30 });
} catch {
  // No log folder: keep serving, stdout must stay clean either way.
}
const log: EntryLog = (level, msg, fields = {}) =>
  logFile?.write(`${JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, source: 'stdio-entry', ...fields, msg })}\n`);

const input = guardStdin(
  process.stdin,
  (refusal) => process.stdout.write(refusal),
  (bytes) => log('warn', 'refused a message over the size limit', { bytes, limit: MAX_STDIO_MESSAGE_BYTES }),
);
const bridge = serveBridge({
  home,
  launchCommand: launchCommand(process.env, process.execPath, process.versions.electron !== undefined),
  launchEnv: process.env,
  transport: new StdioServerTransport(input, process.stdout, { maxBufferSize: MAX_STDIO_MESSAGE_BYTES * 2 }),
  log,
});
log('info', 'stdio entry started', { home });
process.stdin.on('end', () => void bridge.close().then(() => process.exit(0)));
