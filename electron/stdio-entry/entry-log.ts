/** Where the entry notes what it did (its daily log file): never stdout, which carries only MCP. */
export type EntryLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
