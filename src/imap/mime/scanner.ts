/**
 * Streaming MIME structure scanner: finds every part's header and body byte offsets in the
 * stored message without rewriting anything (imap-core's own parser normalises line endings,
 * which would break byte-exact sections). Fed chunk by chunk, so a large message is never
 * held in memory; only header lines are kept (bounded).
 */

/** Longest line prefix kept: enough for any header line we care about and any boundary. */
const MAX_LINE_KEEP = 16 * 1024;
/** Header bytes kept per part for parsing (envelope, content type); the rest is still served byte-exact. */
const MAX_HEADER_KEEP = 256 * 1024;
/** RFC 2046 boundaries are at most 70 characters; a delimiter line is short. */
const MAX_BOUNDARY_LINE = 998;
/**
 * Structure tracked at most this deep and this wide: deeper entities are leaves, further parts
 * are not listed. Submissions are limited far below (limits.max_mime_depth / max_mime_parts);
 * these caps bound what any stored message (an APPEND too) costs to describe.
 */
export const MAX_SCAN_DEPTH = 100;
export const MAX_SCAN_PARTS = 10_000;

export interface ScannedPart {
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  lines: number;
  /** Raw header lines ('binary' strings, folded as received), possibly capped. */
  headerLines: string[];
  parts: ScannedPart[];
  message?: ScannedPart;
}

/** Decides, from a part's raw header lines, how its body is structured. */
export interface HeaderClassifier {
  (headerLines: string[]): { boundary?: string; isMessage: boolean };
}

interface Line {
  start: number;
  contentEnd: number;
  end: number;
  /** Kept bytes of the line (a prefix; may include the line break). */
  bytes: Buffer;
}

/** Content without the line break, as a 'binary' string (prefix of at most MAX_LINE_KEEP). */
function lineText(line: Line): string {
  return line.bytes.toString('latin1', 0, Math.min(line.bytes.length, line.contentEnd - line.start, MAX_LINE_KEEP));
}

interface OpenPart {
  part: ScannedPart;
  state: 'header' | 'body';
  headerBytes: number;
  bodyStartLine: number;
  boundary?: string;
  /** Close delimiter seen: the rest is epilogue. */
  closed: boolean;
}

export class MimeScanner {
  private offset = 0;
  private lineIndex = 0;
  private prevBreakLen = 0;
  /** Whether the previous line had no content (its line break then belongs to a following boundary). */
  private prevLineEmpty = false;
  private pendingStart = 0;
  private pendingChunks: Buffer[] = [];
  private pendingKept = 0;
  /** Whether the last byte of the pending (unterminated) line is CR. */
  private pendingEndsWithCr = false;
  private readonly stack: OpenPart[] = [];
  private readonly root: ScannedPart;
  private partCount = 1;

  constructor(private readonly classify: HeaderClassifier) {
    this.root = newPart(0);
    this.stack.push(openPart(this.root, 0));
  }

  push(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) {
        this.keepPending(chunk.subarray(from));
        this.offset += chunk.length - from;
        this.pendingEndsWithCr = chunk[chunk.length - 1] === 0x0d;
        return;
      }
      const crBeforeLf = nl > from ? chunk[nl - 1] === 0x0d : this.pendingEndsWithCr;
      this.offset += nl + 1 - from;
      if (this.pendingChunks.length) {
        this.keepPending(chunk.subarray(from, nl + 1));
        this.flushLine(crBeforeLf ? 2 : 1);
      } else {
        // the whole line is in this chunk: no copy needed, it is used before push() returns
        this.flushLine(crBeforeLf ? 2 : 1, chunk.subarray(from, nl + 1));
      }
      from = nl + 1;
    }
  }

  /** Finishes the scan and returns the root part. */
  end(): ScannedPart {
    if (this.offset > this.pendingStart) this.flushLine(0);
    const total = this.offset;
    while (this.stack.length) {
      const open = this.stack.pop() as OpenPart;
      this.finish(open, total, this.lineIndex);
    }
    return this.root;
  }

  private keepPending(bytes: Buffer): void {
    if (this.pendingKept >= MAX_LINE_KEEP + 2) return;
    const room = MAX_LINE_KEEP + 2 - this.pendingKept;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    // copy: the caller's chunk may be reused by the stream
    this.pendingChunks.push(Buffer.from(kept));
    this.pendingKept += kept.length;
  }

  /** Ends the pending line; `breakLen` is 2 for CRLF, 1 for a bare LF, 0 at end of input. */
  private flushLine(breakLen: number, whole?: Buffer): void {
    const bytes = whole ?? (this.pendingChunks.length === 1 ? this.pendingChunks[0] : Buffer.concat(this.pendingChunks, this.pendingKept));
    const start = this.pendingStart;
    const end = this.offset;
    const contentEnd = end - breakLen;
    const line: Line = { start, contentEnd, end, bytes };
    this.pendingChunks = [];
    this.pendingKept = 0;
    this.pendingEndsWithCr = false;
    this.pendingStart = end;
    this.onLine(line);
    this.lineIndex++;
    this.prevBreakLen = breakLen;
    this.prevLineEmpty = contentEnd === start;
  }

  private onLine(line: Line): void {
    const hit = this.matchBoundary(line);
    if (hit) return this.onBoundary(hit.index, hit.close, line);
    const top = this.stack[this.stack.length - 1];
    if (top.state === 'header') this.onHeaderLine(top, line);
    // body lines need no work: line counts come from line indexes
  }

  private matchBoundary(line: Line): { index: number; close: boolean } | undefined {
    if (line.contentEnd - line.start > MAX_BOUNDARY_LINE || line.bytes[0] !== 0x2d || line.bytes[1] !== 0x2d) return undefined;
    const text = lineText(line);
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const open = this.stack[i];
      if (!open.boundary || open.closed || open.state !== 'body') continue;
      const delimiter = '--' + open.boundary;
      if (!text.startsWith(delimiter)) continue;
      const rest = text.slice(delimiter.length);
      if (rest.startsWith('--')) return { index: i, close: true };
      if (/^[ \t]*$/.test(rest)) return { index: i, close: false };
    }
    return undefined;
  }

  private onBoundary(index: number, close: boolean, line: Line): void {
    const end = line.start - this.prevBreakLen;
    // the line before the boundary loses its line break to it: if it was empty, it is no line
    const endLine = this.prevLineEmpty ? this.lineIndex - 1 : this.lineIndex;
    while (this.stack.length - 1 > index) {
      this.finish(this.stack.pop() as OpenPart, end, endLine);
    }
    const multipart = this.stack[index];
    if (close) {
      multipart.closed = true;
      return;
    }
    if (this.partCount >= MAX_SCAN_PARTS) return;
    this.partCount++;
    const child = newPart(line.end);
    multipart.part.parts.push(child);
    this.stack.push(openPart(child, this.lineIndex + 1));
  }

  private onHeaderLine(open: OpenPart, line: Line): void {
    if (line.contentEnd > line.start) {
      if (open.headerBytes < MAX_HEADER_KEEP) {
        const text = lineText(line);
        open.part.headerLines.push(text);
        open.headerBytes += text.length;
      }
      return;
    }
    // blank line: the header ends, the body starts after it
    open.part.bodyStart = line.end;
    open.bodyStartLine = this.lineIndex + 1;
    open.state = 'body';
    // at the depth cap the entity is a leaf: its body is served as is, not broken down
    if (this.stack.length >= MAX_SCAN_DEPTH) return;
    const kind = this.classify(open.part.headerLines);
    if (kind.boundary) {
      open.boundary = kind.boundary;
    } else if (kind.isMessage && this.partCount < MAX_SCAN_PARTS) {
      this.partCount++;
      const inner = newPart(line.end);
      open.part.message = inner;
      this.stack.push(openPart(inner, this.lineIndex + 1));
    }
  }

  private finish(open: OpenPart, end: number, endLine: number): void {
    const part = open.part;
    if (open.state === 'header') {
      // a header that never ended: no body
      part.bodyStart = Math.max(part.headerStart, end);
      part.bodyEnd = part.bodyStart;
      part.lines = 0;
      return;
    }
    part.bodyEnd = Math.max(part.bodyStart, end);
    // lines before the closing boundary (or all remaining lines at the end of input)
    part.lines = part.bodyEnd > part.bodyStart ? Math.max(endLine - open.bodyStartLine, 0) : 0;
  }
}

function newPart(headerStart: number): ScannedPart {
  return { headerStart, bodyStart: headerStart, bodyEnd: headerStart, lines: 0, headerLines: [], parts: [] };
}

function openPart(part: ScannedPart, bodyStartLine: number): OpenPart {
  return { part, state: 'header', headerBytes: 0, bodyStartLine, closed: false };
}
