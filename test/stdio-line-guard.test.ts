import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardStdin } from '../server/transports/stdio/stdio-line-guard.js';

const LIMIT = 1024;
const big = 'x'.repeat(4 * LIMIT);

/** What the guard answers to `lines` (each sent as pipe-sized chunks), and what it passes on. */
async function guard(lines: string[]): Promise<{ answers: { id: unknown }[]; passed: string }> {
  const input = new PassThrough();
  const answers: { id: unknown }[] = [];
  const output = guardStdin(
    input,
    (response) => answers.push(JSON.parse(response) as { id: unknown }),
    () => undefined,
    LIMIT,
  );
  let passed = '';
  output.on('data', (chunk: Buffer) => {
    passed += chunk.toString('utf8');
  });
  const ended = new Promise((resolve) => output.on('end', resolve));
  const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(''));
  for (let at = 0; at < bytes.length; at += 300) input.write(bytes.subarray(at, at + 300));
  input.end();
  await ended;
  return { answers, passed };
}

describe('the stdin guard', () => {
  it.each([
    { where: 'first', line: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"body":"${big}"}}`, id: 7 },
    {
      where: 'last, as the SDK client writes it',
      line: `{"jsonrpc":"2.0","method":"tools/call","params":{"body":"${big}"},"id":8}`,
      id: 8,
    },
    { where: 'last, a string', line: `{"jsonrpc":"2.0","method":"tools/call","params":{"body":"${big}"},"id":"a-\\"9"}`, id: 'a-"9' },
    {
      where: 'last, after an argument named id at the start',
      line: `{"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"id":3,"body":"${big}"}},"id":10}`,
      id: 10,
    },
    { where: 'nowhere', line: `{"jsonrpc":"2.0","method":"notifications/x","params":{"body":"${big}"}}`, id: null },
  ])('refuses a message over the limit with its id when the id comes $where, and passes the next one on', async ({ line, id }) => {
    const next = '{"jsonrpc":"2.0","id":11,"method":"ping"}';
    const { answers, passed } = await guard([line, next]);
    expect(answers.map((answer) => answer.id)).toEqual([id]);
    expect(passed).toBe(`${next}\n`);
  });
});
