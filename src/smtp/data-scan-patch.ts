/**
 * A faster DATA scanner for smtp-server's SMTPStream (the pinned 3.21.x). Its
 * `_feedDataStream` looks for "<LF>." (escape dot or end of data) by testing every byte in a
 * JavaScript loop: about 7 ms of the event loop per megabyte, the largest single cost of
 * receiving a 1 MB message. This replacement finds line starts with Buffer#indexOf (native)
 * and otherwise behaves as the original: the same data, byte counts, terminator and escape
 * rules (the library's guard against a terminator split over chunks included), the same four
 * bytes held back between chunks, the same backpressure.
 *
 * One difference, in how the data is cut: the library copies the four held-back bytes and
 * each new chunk into one buffer (a 16 KB copy per TLS record, two megabytes of garbage per
 * megabyte received, which in a 1 MB row had the main thread in a full GC every few
 * messages). When the held bytes hold no line break and the new chunk does not start with
 * one, nothing in them can begin a terminator or an escape, so they go out as a chunk of
 * their own ahead of the new one, uncopied. test/smtp/data-scan.test.ts holds it to the
 * original on random input and random chunking.
 */
import { dirname, join } from 'node:path';
import type { PassThrough } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

type Done = (err?: Error | null) => void;

/** The parts of SMTPStream the scanner uses (internal, hence declared here). */
export interface SmtpStreamInternals {
  _dataStream: (PassThrough & { destroyed: boolean }) | null;
  _lastBytes: Buffer | false;
  _atDataStart: boolean;
  _countDataBytes(len: number): void;
  _endDataMode(chunk: Buffer | false, remainder: Buffer, done: Done): void;
  _feedDataStream(chunk: Buffer, done: Done): void;
}

export type FeedDataStream = (this: SmtpStreamInternals, chunk: Buffer, done: Done) => void;

/** The terminator CRLF "." CRLF with its dot at `dot`. */
function terminatorAt(chunk: Buffer, dot: number): boolean {
  return chunk[dot - 2] === CR && chunk[dot - 1] === LF && chunk[dot + 1] === CR && chunk[dot + 2] === LF;
}

/**
 * Whether bytes held back from the last chunk can be emitted ahead of `next` instead of
 * being scanned together with it: a line-start dot needs a line feed just before it, so with
 * none in `held` nor at `next[0]`, every check the scan makes lies inside `next`. (Longer
 * than four bytes, `next` always has bytes to emit after `held`.)
 */
function canEmitAhead(held: Buffer, next: Buffer): boolean {
  return next.length > 4 && next[0] !== LF && held.indexOf(LF) === -1;
}

export const feedDataStream: FeedDataStream = function feedDataStream(input, done) {
  const out = this._dataStream as PassThrough & { destroyed: boolean };
  let chunk = input;
  /** Held-back bytes that precede `chunk` in the data, uncopied (see canEmitAhead). */
  let ahead: Buffer | undefined;
  if (this._lastBytes && this._lastBytes.length) {
    if (!this._atDataStart && canEmitAhead(this._lastBytes, chunk)) ahead = this._lastBytes;
    else chunk = Buffer.concat([this._lastBytes, chunk], this._lastBytes.length + chunk.length);
    this._lastBytes = false;
  }
  /** Counts and writes `ahead` just before the first bytes of `chunk` go out. */
  const emitAhead = (): void => {
    if (!ahead) return;
    this._countDataBytes(ahead.length);
    if (out.writable) out.write(ahead);
  };
  let len = chunk.length;
  if (this._atDataStart && len >= 3 && chunk[0] === DOT && chunk[1] === CR && chunk[2] === LF) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  if (this._atDataStart && len >= 2 && chunk[0] === DOT && chunk[1] === DOT) {
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
  }
  // A dot at i (2 <= i < len - 2) that starts a line: the line feed before it is at i - 1.
  for (let lf = chunk.indexOf(LF, 1); lf !== -1 && lf < len - 3; lf = chunk.indexOf(LF, lf + 1)) {
    const dot = lf + 1;
    if (chunk[dot] !== DOT) continue;
    if (terminatorAt(chunk, dot)) {
      const content = chunk.subarray(0, dot);
      emitAhead();
      this._countDataBytes(content.length);
      this._endDataMode(content, chunk.subarray(dot + 3), done);
      return;
    }
    if (chunk[dot + 1] === DOT) {
      const before = chunk.subarray(0, dot);
      this._lastBytes = false;
      emitAhead();
      this._countDataBytes(before.length);
      if (out.writable) out.write(before);
      const rest = chunk.subarray(dot + 1);
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
  }
  // Hold back the last four bytes: they may begin a terminator or an escape completed by the
  // next chunk.
  this._lastBytes = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
  if (this._lastBytes.length >= chunk.length) return done();
  const emit = chunk.subarray(0, chunk.length - this._lastBytes.length);
  emitAhead();
  this._countDataBytes(emit.length);
  if (!out.writable) return done();
  if (out.write(emit) || out.destroyed) return done();
  // A stream the application destroys never drains, it only closes.
  const resume = (): void => {
    out.removeListener('drain', resume);
    out.removeListener('close', resume);
    done();
  };
  out.once('drain', resume);
  out.once('close', resume);
};

interface SmtpStreamModule {
  SMTPStream: { prototype: SmtpStreamInternals };
}

/** smtp-server's own SMTPStream module (not exported by the package; reached by path). */
export function smtpStreamModule(): SmtpStreamModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(dirname(require.resolve('smtp-server')), 'smtp-stream.js')) as SmtpStreamModule;
}

let original: FeedDataStream | undefined;

/** The library's own scanner (for the equivalence test). */
export function originalFeedDataStream(): FeedDataStream {
  return original ?? (smtpStreamModule().SMTPStream.prototype._feedDataStream as FeedDataStream);
}

export function installDataScanPatch(): void {
  if (original) return;
  const proto = smtpStreamModule().SMTPStream.prototype;
  original = proto._feedDataStream as FeedDataStream;
  proto._feedDataStream = feedDataStream;
}
