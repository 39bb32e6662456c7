/**
 * What a client's model pays to know the tools: tools/list from the built server over stdio, per
 * toolset and safety level, in bytes of the JSON tools array (as test/tool-surface.test.ts
 * measures it) and in tokens. Tokens are counted, not estimated, with GPT-4o's o200k_base encoding
 * (gpt-tokenizer); Claude's tokenizer is not published, and other tokenizers differ by some
 * percent. The default toolsets are held to 8 kB (8,192 bytes) at every level, everything to the
 * budget the suite holds; a row over its target is a MISS. The server needs no broker to list.
 *
 * `tsx bench/tools-list.ts` prints these rows alone; `npm run bench` prints them with the rest.
 */
import { pathToFileURL } from 'node:url';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { TOOL_GROUPS } from '../server/config/tool-groups.js';
import { type Row, report } from './report.js';
import { connectStdio } from './stdio-process.js';

const SERVER = 'dist/server/rabbitmq-mcp-server.mjs';

/** The default toolsets' budget at every level: what fits a client with little room. */
export const DEFAULT_TOOLSETS_BYTES = 8_192;

const LEVELS = [
  ['read-only', []],
  ['write', ['--allow-write']],
  ['destructive', ['--allow-destructive']],
] as const satisfies readonly (readonly [string, readonly string[]])[];

type Level = (typeof LEVELS)[number][0];

/** Each set a client can ask for, its flags and its byte target at a level (undefined: reported). */
const SETS: [string, string[], (level: Level) => number | undefined][] = [
  ['default toolsets', [], () => DEFAULT_TOOLSETS_BYTES],
  ['--tools all', ['--tools', 'all'], (level) => (level === 'read-only' ? 8_000 : 16_000)],
  ...TOOL_GROUPS.map((group): [string, string[], () => undefined] => [`--tools ${group}`, ['--tools', group], () => undefined]),
  ['default toolsets, --output-schemas', ['--output-schemas'], () => undefined],
  ['--tools all --output-schemas', ['--tools', 'all', '--output-schemas'], () => undefined],
];

/** One row per set and level: bytes against the target, the token count in the metric's name. */
export async function toolsListSizes(env: Record<string, string>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [set, setArgs, budgetAt] of SETS) {
    for (const [level, levelArgs] of LEVELS) {
      const server = await connectStdio(SERVER, [...levelArgs, ...setArgs], env);
      let tools;
      try {
        ({ tools } = await server.client.listTools());
      } finally {
        await server.close();
      }
      const json = JSON.stringify({ tools });
      const bytes = Buffer.byteLength(json);
      const budget = budgetAt(level);
      rows.push({
        metric: `tools/list, ${set}, ${level}: ${tools.length} tools, ${encode(json).length} tokens (o200k_base)`,
        ours: bytes,
        baseline: budget ?? Number.NaN,
        unit: 'bytes',
        ratio: budget ? bytes / budget : Number.NaN,
        target: budget ? `≤ ${budget} bytes` : 'reported',
        pass: budget ? bytes <= budget : true,
      });
    }
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Nothing to reach: the server lists its tools before it connects to a broker.
  await report('tools/list sizes', await toolsListSizes({ AMQP_HOST: '127.0.0.1', LOG_LEVEL: 'silent' }));
}
