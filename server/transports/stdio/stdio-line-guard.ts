import { PassThrough, type Readable } from 'node:stream';

/** The largest JSON-RPC message accepted on stdin: a publish_messages body at its 16 MiB limit fits with room. */
export const MAX_STDIO_MESSAGE_BYTES = 32 * 1024 * 1024;

const NEWLINE = 0x0a;
/** Enough of a refused message's start and end to find its "id". */
const EDGE_BYTES = 512;
const ID = String.raw`(-?\d+|"(?:[^"\\]|\\.){0,200}")`;
/** The id as the message's last member (the SDK's clients write it last): only the closing brace follows. */
const LAST_ID = new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`);
const FIRST_ID = new RegExp(String.raw`"id"\s*:\s*${ID}`);

/** The last `bytes` bytes of `chunks` (the whole of them when shorter). */
function lastBytes(chunks: Buffer[], bytes: number): Buffer {
  const kept: Buffer[] = [];
  let length = 0;
  for (let index = chunks.length - 1; index >= 0 && length < bytes; index--) {
    const chunk = chunks[index] as Buffer;
    const piece = chunk.subarray(Math.max(0, chunk.length - (bytes - length)));
    kept.unshift(piece);
    length += piece.length;
  }
  return Buffer.concat(kept, length);
}

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
  /** The last bytes of a message being dropped. */
  let tail: Buffer = Buffer.alloc(0);

  const refuse = () => {
    const id = LAST_ID.exec(tail.toString('utf8'))?.[1] ?? FIRST_ID.exec(Buffer.concat(line).toString('utf8'))?.[1] ?? 'null';
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
        // Only the start and the end are kept, for the id the refusal answers.
        tail = lastBytes(line, EDGE_BYTES);
        line = [Buffer.concat([...line, piece], Math.min(EDGE_BYTES, lineBytes + piece.length))];
        dropping = true;
      }
      if (dropping) tail = lastBytes([tail, piece], EDGE_BYTES);
      else line.push(piece);
      lineBytes += piece.length;
      if (newline !== -1) {
        if (dropping) refuse();
        else output.write(line.length === 1 ? line[0] : Buffer.concat(line, lineBytes));
        dropping = false;
        tail = Buffer.alloc(0);
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
