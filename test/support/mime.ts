/** Helpers for the MIME tests: sources with chosen chunking, and a simple reference splitter. */
import { Readable } from 'node:stream';
import type { ByteRange, RangeSource } from '../../src/mime/types';

/** A source whose streams deliver chunks of the sizes `chunkSize()` returns. */
export function chunkedSource(buf: Buffer, chunkSize: () => number): RangeSource & { reads: Array<{ start: number; end: number }> } {
  const reads: Array<{ start: number; end: number }> = [];
  const clamp = (r?: ByteRange) => {
    const start = Math.max(0, Math.min(r?.start ?? 0, buf.length));
    return { start, end: Math.max(start, Math.min(r?.end ?? buf.length, buf.length)) };
  };
  return {
    size: buf.length,
    reads,
    read: async (r) => {
      const { start, end } = clamp(r);
      return buf.subarray(start, end);
    },
    createReadStream: (r) => {
      const { start, end } = clamp(r);
      let pos = start;
      return new Readable({
        read() {
          if (pos >= end) {
            this.push(null);
            return;
          }
          const n = Math.max(1, chunkSize());
          const next = Math.min(end, pos + n);
          reads.push({ start: pos, end: next });
          this.push(buf.subarray(pos, next));
          pos = next;
        },
      });
    },
  };
}

/**
 * Reference split of a multipart body held in memory, written independently of the
 * streaming scanner: walk the lines, a line that is a delimiter ends the previous part at the
 * line break before it.
 */
export function referenceParts(entity: Buffer, bodyStart: number, boundary: string): Array<{ start: number; end: number }> | 'unclosed' {
  const text = entity.toString('latin1');
  const dash = `--${boundary}`;
  const delims: Array<{ at: number; brk: number; lineEnd: number; close: boolean }> = [];
  let pos = bodyStart;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl === -1 ? text.length : nl + 1;
    const line = text.slice(pos, lineEnd).replace(/\r?\n$/, '');
    if (line.startsWith(dash)) {
      const rest = line.slice(dash.length);
      const m = /^(--)?[ \t]*$/.exec(rest);
      if (m && (nl !== -1 || m[1])) {
        const brk = pos === bodyStart ? 0 : text[pos - 2] === '\r' && pos - 2 >= bodyStart ? 2 : 1;
        delims.push({ at: pos, brk, lineEnd, close: !!m[1] });
        if (m[1]) break;
      }
    }
    pos = lineEnd;
  }
  if (!delims.length || !delims[delims.length - 1].close) return 'unclosed';
  const parts: Array<{ start: number; end: number }> = [];
  for (let i = 0; i + 1 < delims.length; i++) parts.push({ start: delims[i].lineEnd, end: Math.max(delims[i].lineEnd, delims[i + 1].at - delims[i + 1].brk) });
  return parts;
}
