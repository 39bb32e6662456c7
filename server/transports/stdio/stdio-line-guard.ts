import { PassThrough, type Readable } from 'node:stream';

/** The largest JSON-RPC message accepted on stdin: a publish_messages body at its 16 MiB limit fits with room. */
export const MAX_STDIO_MESSAGE_BYTES = 32 * 1024 * 1024;

const NEWLINE = 0x0a;
/** Enough of a refused message's start to find its "id". */
const HEAD_BYTES = 512;

/**
 * Stands between stdin and the SDK's stdio transport, which closes for good (while the process
 * stays up, answering nothing) when one message overflows its buffer. A message over the limit is
 * dropped here instead, up to its newline, and answered with an error naming the limit; every
 * other byte passes through unchanged, so the session goes on.
 *
 * Lines pass whole, once their newline has come: the transport joins its buffer with each chunk
 * and searches all of it for a newline, so a message fed to it in pipe-sized chunks costs time
 * that grows with its size squared (a 32 MiB one took over 30 s of CPU).
 */
export function guardStdin(
  input: Readable,
  answer: (response: string) => void,
  onRefused: (bytes: number) => void,
  limit = MAX_STDIO_MESSAGE_BYTES,
): Readable {
  const output = new PassThrough();
  let line: Buffer[] = [];
  let lineBytes = 0;
  let dropping = false;

  const refuse = () => {
    const start = Buffer.concat(line).toString('utf8');
    const id = /"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.){0,200}")/.exec(start)?.[1] ?? 'null';
    const message = `Request too large: over ${limit / 1024 / 1024} MiB, the most one stdio message may carry; nothing was done. Send less at once (fewer or smaller messages per call).`;
    answer(`{"jsonrpc":"2.0","id":${id},"error":{"code":-32600,"message":${JSON.stringify(message)}}}\n`);
    onRefused(lineBytes);
  };

  input.on('data', (chunk: Buffer) => {
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, from);
      const end = newline === -1 ? chunk.length : newline + 1;
      const piece = chunk.subarray(from, end);
      if (!dropping && lineBytes + piece.length > limit) {
        // Only the start is kept, for the id the refusal answers.
        line = [Buffer.concat([...line, piece], Math.min(HEAD_BYTES, lineBytes + piece.length))];
        dropping = true;
      }
      if (!dropping) line.push(piece);
      lineBytes += piece.length;
      if (newline !== -1) {
        if (dropping) refuse();
        else output.write(line.length === 1 ? line[0] : Buffer.concat(line, lineBytes));
        dropping = false;
        line = [];
        lineBytes = 0;
      }
      from = end;
    }
  });
  input.on('end', () => {
    if (!dropping && line.length > 0) output.write(Buffer.concat(line));
    output.end();
  });
  input.on('error', (error) => output.destroy(error));
  return output;
}
