import { PassThrough, type Readable } from 'node:stream';

/** The largest JSON-RPC message accepted on stdin: a publish_messages body at its 16 MiB limit fits with room. */
export const MAX_STDIO_MESSAGE_BYTES = 32 * 1024 * 1024;

const NEWLINE = 0x0a;
/** Enough of a message's start to find its "id". */
const HEAD_BYTES = 512;

/**
 * Stands between stdin and the SDK's stdio transport, which closes for good (while the process
 * stays up, answering nothing) when one message overflows its buffer. A message over the limit is
 * dropped here instead, up to its newline, and answered with an error naming the limit; every
 * other byte passes through unchanged, so the session goes on.
 */
export function guardStdin(
  input: Readable,
  answer: (response: string) => void,
  onRefused: (bytes: number) => void,
  limit = MAX_STDIO_MESSAGE_BYTES,
): Readable {
  const output = new PassThrough();
  let lineBytes = 0;
  let dropping = false;
  let head: Buffer[] = [];
  let headBytes = 0;

  const refuse = () => {
    const start = Buffer.concat(head).toString('utf8');
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
      if (!dropping) {
        if (headBytes < HEAD_BYTES) {
          head.push(piece.subarray(0, HEAD_BYTES - headBytes));
          headBytes += Math.min(piece.length, HEAD_BYTES - headBytes);
        }
        if (lineBytes + piece.length > limit) {
          // What passed already stays in the transport's buffer; end that line so it is discarded as unparsable.
          if (lineBytes > 0) output.write('\n');
          dropping = true;
        } else output.write(piece);
      }
      lineBytes += piece.length;
      if (newline !== -1) {
        if (dropping) refuse();
        dropping = false;
        lineBytes = 0;
        head = [];
        headBytes = 0;
      }
      from = end;
    }
  });
  input.on('end', () => output.end());
  input.on('error', (error) => output.destroy(error));
  return output;
}
