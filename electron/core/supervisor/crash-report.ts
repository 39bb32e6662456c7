import type { SupervisorState } from '../../shared/contract.js';
import { lastServerError, readableServerLine } from '../../shared/server-lines.js';

/** How many of the server's last lines a crash report keeps: enough for an error and its context. */
const EXPLAINING_LINES = 8;

/** Lines of a Node crash report that say nothing by themselves: the stack, the caret, the version banner. */
function isNoise(line: string): boolean {
  return (
    /^\s/.test(line) ||
    /^Node\.js v\d/.test(line) ||
    /^[\s^~]*$/.test(line) ||
    /^(node:|file:\/\/|\/).*:\d+$/.test(line) ||
    /^Require stack:/.test(line)
  );
}

/**
 * The lines that explain why the server stopped: its warnings and errors and anything it printed
 * outside its log (a start-up error, Node's crash report without the stack), never a normal
 * start-up line. Empty when it said nothing wrong (killed from outside).
 */
export function explainingLines(lines: readonly string[]): string[] {
  return lines.filter((line) => !isNoise(line) && /^(warn|error|fatal): /.test(readableServerLine(line))).slice(-EXPLAINING_LINES);
}

/** Why the server stopped, in one phrase: its last error, else how it ended. */
export function crashReason(exit: string, lines: readonly string[]): string {
  const error = lastServerError(lines);
  return error ? `${error} (${exit})` : `${exit}, with no error written before`;
}

export interface StateLogEntry {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** The app log's line for a server state: a crash at error with its reason and exit, an outage at warn with why. */
export function stateLogEntry(state: SupervisorState): StateLogEntry {
  const profile = 'profileName' in state ? state.profileName : undefined;
  switch (state.status) {
    case 'crashed':
      return {
        level: 'error',
        msg: 'server crashed, restarting',
        fields: { profile, exit: state.exit, reason: crashReason(state.exit, state.lastLines), restartInMs: state.restartInMs },
      };
    case 'failed':
      return {
        level: 'error',
        msg: 'server crashed repeatedly and was not restarted',
        fields: { profile, exit: state.exit, crashes: state.crashes, reason: crashReason(state.exit, state.lastLines) },
      };
    case 'degraded':
      return { level: 'warn', msg: 'server degraded', fields: { profile, reason: state.reason } };
    default:
      return { level: 'info', msg: `server ${state.status}`, fields: { profile } };
  }
}
