/**
 * Measures the shape of a message while it streams in (longest line, size and field count of
 * the top-level header, MIME nesting depth and number of entities), so limits can be decided
 * without reading the stored bytes again. Memory is bounded: a line prefix, one part's header
 * (capped) and at most `maxDepth + 1` open entities; beyond that depth nothing is tracked,
 * which is enough to know the limit is exceeded.
 */
import { parseContentType } from './content-type';
import { getHeader, parseHeaderBlock } from './headers';

export interface MessageShape {
  /** Longest line in bytes, line break excluded. */
  longestLine: number;
  /** 1-based number of that line. */
  longestLineNumber: number;
  /** Bytes of the top-level header up to and including the blank line (all bytes seen when it never ends). */
  headerBytes: number;
  /** Whether the top-level header ended with a blank line. */
  headerComplete: boolean;
  /** Fields of the top-level header (lines that do not continue a folded field). */
  headerFields: number;
  /** Deepest nesting seen: the message is 1; capped at `maxDepth + 1`. */
  depth: number;
  /** MIME entities seen, the message itself included. */
  parts: number;
}

export interface ShapeMeterOptions {
  /** Nesting tracked up to one level beyond this. */
  maxDepth: number;
}

/** Bytes of a line kept for boundary matching and header parsing (RFC lines are at most 998). */
const LINE_KEEP = 4096;
/** Header bytes kept per entity to find its Content-Type. */
const HEADER_KEEP = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const ENCAPSULATED_CTE = new Set(['', '7bit', '8bit', 'binary']);

interface Entity {
  depth: number;
  state: 'header' | 'body';
  header: Buffer[];
  headerKept: number;
  /** Children default to message/rfc822 (multipart/digest). */
  digest: boolean;
  defaultType?: string;
  boundary?: string;
  closed: boolean;
}

export class MimeShapeMeter {
  private readonly stack: Entity[];
  private readonly cap: number;
  private offset = 0;
  private lineNumber = 0;
  private lineLength = 0;
  private lineKept: Buffer[] = [];
  private lineKeptBytes = 0;
  /**
   * Whether the current line can matter: a header line, or one starting with "-" (a boundary
   * candidate). Body lines are only measured: copying each (a base64 body is ~13,000 lines per
   * MB) cost more than everything else here.
   */
  private lineNeeded = true;
  private lastByte = -1;
  private readonly shape: MessageShape = {
    longestLine: 0,
    longestLineNumber: 0,
    headerBytes: 0,
    headerComplete: false,
    headerFields: 0,
    depth: 1,
    parts: 1,
  };

  constructor(options: ShapeMeterOptions) {
    this.cap = Math.max(1, options.maxDepth + 1);
    this.stack = [newEntity(1)];
  }

  push(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(LF, from);
      const end = lf === -1 ? chunk.length : lf + 1;
      if (this.lineLength === 0) this.lineNeeded = chunk[from] === 0x2d || (this.stack[this.stack.length - 1] as Entity).state === 'header';
      if (this.lineNeeded) this.keep(chunk.subarray(from, end));
      this.lineLength += end - from;
      this.offset += end - from;
      if (lf === -1) {
        this.lastByte = chunk[chunk.length - 1] ?? this.lastByte;
        return;
      }
      const beforeLf = lf > from ? chunk[lf - 1] : this.lastByte;
      this.endLine(beforeLf === CR ? 2 : 1);
      this.lastByte = LF;
      from = end;
    }
  }

  /** The shape of everything pushed so far (a final unterminated line included). */
  result(): MessageShape {
    if (this.lineLength > 0) this.measure(this.lineLength);
    if (!this.shape.headerComplete) this.shape.headerBytes = this.offset;
    return { ...this.shape };
  }

  private keep(bytes: Buffer): void {
    if (this.lineKeptBytes >= LINE_KEEP) return;
    const part = bytes.subarray(0, LINE_KEEP - this.lineKeptBytes);
    this.lineKept.push(Buffer.from(part));
    this.lineKeptBytes += part.length;
  }

  private measure(contentLength: number): void {
    if (contentLength > this.shape.longestLine) {
      this.shape.longestLine = contentLength;
      this.shape.longestLineNumber = this.lineNumber + 1;
    }
  }

  private endLine(breakLength: number): void {
    const contentLength = this.lineLength - breakLength;
    this.measure(contentLength);
    if (this.lineNeeded) {
      const kept = this.lineKept.length === 1 ? (this.lineKept[0] as Buffer) : Buffer.concat(this.lineKept);
      this.onLine(kept, contentLength);
    }
    this.lineNumber++;
    this.lineLength = 0;
    this.lineKept = [];
    this.lineKeptBytes = 0;
  }

  private onLine(line: Buffer, contentLength: number): void {
    if (line[0] === 0x2d && line[1] === 0x2d && this.onBoundary(line, contentLength)) return;
    const top = this.stack[this.stack.length - 1] as Entity;
    if (top.state !== 'header') return;
    if (contentLength === 0) return this.endHeader(top);
    if (this.stack.length === 1 && line[0] !== 0x20 && line[0] !== 0x09) this.shape.headerFields++;
    if (top.headerKept < HEADER_KEEP) {
      top.header.push(line);
      top.headerKept += line.length;
    }
  }

  private onBoundary(line: Buffer, contentLength: number): boolean {
    const text = line.toString('latin1', 0, Math.min(line.length, contentLength));
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const e = this.stack[i] as Entity;
      if (!e.boundary || e.closed || e.state !== 'body') continue;
      const delimiter = '--' + e.boundary;
      if (!text.startsWith(delimiter)) continue;
      const rest = text.slice(delimiter.length);
      const close = rest.startsWith('--');
      if (!close && !/^[ \t]*$/.test(rest)) continue;
      this.stack.length = i + 1;
      if (close) e.closed = true;
      else this.open(e.depth + 1, e.digest ? 'message/rfc822' : undefined);
      return true;
    }
    return false;
  }

  private open(depth: number, defaultType?: string): void {
    this.shape.parts++;
    if (depth > this.shape.depth) this.shape.depth = Math.min(depth, this.cap);
    // Deeper than the cap: not tracked; its lines count as body of the entity that holds it.
    if (depth > this.cap) return;
    const e = newEntity(depth);
    e.defaultType = defaultType;
    this.stack.push(e);
  }

  private endHeader(e: Entity): void {
    e.state = 'body';
    if (this.stack.length === 1 && !this.shape.headerComplete) {
      this.shape.headerComplete = true;
      this.shape.headerBytes = this.offset;
    }
    const fields = parseHeaderBlock(Buffer.concat(e.header));
    e.header = [];
    const ct = parseContentType(getHeader(fields, 'content-type'), e.defaultType);
    if (ct.type === 'multipart' && ct.params.boundary) {
      e.boundary = ct.params.boundary;
      e.digest = ct.subtype === 'digest';
    } else if (ct.mime === 'message/rfc822') {
      const cte = (getHeader(fields, 'content-transfer-encoding') ?? '').trim().toLowerCase();
      if (ENCAPSULATED_CTE.has(cte)) this.open(e.depth + 1);
    }
  }
}

function newEntity(depth: number): Entity {
  return { depth, state: 'header', header: [], headerKept: 0, digest: false, closed: false };
}
