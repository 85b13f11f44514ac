/**
 * Incremental search for RFC 2046 boundary delimiters in a multipart body, fed chunk by
 * chunk. A delimiter line is "--" boundary ["--"] transport-padding CRLF at the start of a
 * line; the line break before it belongs to the delimiter, not to the preceding part.
 * Memory is bounded by one chunk plus a delimiter line: the unscanned tail and the next chunk
 * are joined in one reused scratch buffer, not in a new buffer per chunk (which, for every
 * 16 KB read, was garbage the collector had to find). Pure logic, no I/O.
 */
import type { PartRange } from './types';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const DASH = 0x2d;
/** Longest transport padding we look through (a line may not exceed 998 octets anyway). */
const MAX_PADDING = 998;

interface Delimiter {
  /** Absolute offset of the "--boundary". */
  at: number;
  /** Length of the line break before it that belongs to the delimiter (CRLF 2, LF 1, body start 0). */
  breakLength: number;
  /** Absolute offset just after the delimiter line (after its line break). */
  lineEnd: number;
  close: boolean;
}

type Decision = 'wait' | 'no' | { lineEnd: number; close: boolean };

export class BoundaryScanner {
  private readonly pattern: Buffer;
  private buf: Buffer = Buffer.alloc(0);
  /** Where tail + chunk are joined; `buf` may be a view of it (Buffer#copy allows the overlap). */
  private scratch?: Buffer;
  /** Absolute offset of buf[0]. */
  private base: number;
  /** Index in buf where the next search starts. */
  private scanFrom = 0;
  private readonly delimiters: Delimiter[] = [];
  private finished = false;

  constructor(
    boundary: string,
    private readonly bodyStart: number,
  ) {
    this.pattern = Buffer.from(`--${boundary}`, 'utf8');
    this.base = bodyStart;
  }

  /** True once the close delimiter was seen (the rest is epilogue). */
  get closed(): boolean {
    return this.delimiters.length > 0 && this.delimiters[this.delimiters.length - 1].close;
  }

  push(chunk: Buffer): void {
    if (this.closed || this.finished) return;
    // Keep two bytes before the scan position: the line break a delimiter may claim.
    const keepFrom = Math.max(0, this.scanFrom - 2);
    const kept = this.buf.subarray(keepFrom);
    // Nothing kept (the first chunk, or all of it scanned): the chunk itself, not a copy.
    this.buf = kept.length === 0 ? chunk : this.joinInScratch(kept, chunk);
    this.base += keepFrom;
    this.scanFrom -= keepFrom;
    this.scan(false);
  }

  private joinInScratch(kept: Buffer, chunk: Buffer): Buffer {
    const length = kept.length + chunk.length;
    if (!this.scratch || this.scratch.length < length) this.scratch = Buffer.allocUnsafe(Math.max(length, 2 * (this.scratch?.length ?? 0)));
    // The tail may lie further on in the scratch buffer itself: Buffer#copy allows the overlap.
    kept.copy(this.scratch, 0);
    chunk.copy(this.scratch, kept.length);
    return this.scratch.subarray(0, length);
  }

  /** Ends the input; returns the parts, or a description of what is wrong. */
  finish(): { parts: PartRange[] } | { error: string } {
    if (!this.finished) {
      this.finished = true;
      if (!this.closed) this.scan(true);
    }
    if (this.delimiters.length === 0) return { error: 'no boundary delimiter found in the multipart body' };
    if (!this.closed) return { error: 'the multipart body has no closing boundary delimiter' };
    const parts: PartRange[] = [];
    for (let i = 0; i + 1 < this.delimiters.length; i++) {
      const start = this.delimiters[i].lineEnd;
      const next = this.delimiters[i + 1];
      parts.push({ start, end: Math.max(start, next.at - next.breakLength) });
    }
    return { parts };
  }

  private decide(idx: number, final: boolean): Decision {
    const buf = this.buf;
    let j = idx + this.pattern.length;
    const more = (): Decision => (final ? 'no' : 'wait');
    if (j + 1 >= buf.length && !final) return 'wait';
    let close = false;
    if (buf[j] === DASH && buf[j + 1] === DASH) {
      close = true;
      j += 2;
    }
    const paddingStart = j;
    while (j < buf.length && (buf[j] === SP || buf[j] === HT)) {
      if (j - paddingStart > MAX_PADDING) return 'no';
      j++;
    }
    if (j >= buf.length) {
      // End of input right after the delimiter: acceptable for the close delimiter only.
      if (final) return close ? { lineEnd: this.base + j, close } : 'no';
      return 'wait';
    }
    if (buf[j] === LF) return { lineEnd: this.base + j + 1, close };
    if (buf[j] === CR) {
      if (j + 1 >= buf.length) return final ? (close ? { lineEnd: this.base + j + 1, close } : 'no') : more();
      if (buf[j + 1] === LF) return { lineEnd: this.base + j + 2, close };
    }
    return 'no'; // e.g. "--boundaryX": a longer boundary, or text
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    while (!this.closed) {
      const idx = buf.indexOf(this.pattern, this.scanFrom);
      if (idx === -1) {
        this.scanFrom = Math.max(this.scanFrom, buf.length - this.pattern.length + 1);
        return;
      }
      const at = this.base + idx;
      const lineStart = at === this.bodyStart || (idx >= 1 && buf[idx - 1] === LF);
      if (!lineStart) {
        this.scanFrom = idx + 1;
        continue;
      }
      const d = this.decide(idx, final);
      if (d === 'wait') {
        this.scanFrom = idx;
        return;
      }
      if (d === 'no') {
        this.scanFrom = idx + 1;
        continue;
      }
      const breakLength = at === this.bodyStart ? 0 : idx >= 2 && buf[idx - 2] === CR && at - 2 >= this.bodyStart ? 2 : 1;
      this.delimiters.push({ at, breakLength, lineEnd: d.lineEnd, close: d.close });
      this.scanFrom = d.lineEnd - this.base;
    }
  }
}
