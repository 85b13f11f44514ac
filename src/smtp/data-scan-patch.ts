/**
 * A faster DATA scanner for smtp-server's SMTPStream (the pinned 3.21.x). Its
 * `_feedDataStream` looks for "<LF>." (escape dot or end of data) by testing every byte in a
 * JavaScript loop: about 7 ms of the event loop per megabyte, the largest single cost of
 * receiving a 1 MB message. This replacement finds line starts with Buffer#indexOf (native)
 * and otherwise behaves exactly as the original: the same chunking of the emitted data, the
 * same four bytes held back between chunks, the same terminator and escape rules (the
 * library's guard against a terminator split over chunks included), the same backpressure.
 * test/smtp/data-scan.test.ts holds it to the original on random input and random chunking.
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

export const feedDataStream: FeedDataStream = function feedDataStream(input, done) {
  const out = this._dataStream as PassThrough & { destroyed: boolean };
  let chunk = input;
  if (this._lastBytes && this._lastBytes.length) {
    chunk = Buffer.concat([this._lastBytes, chunk], this._lastBytes.length + chunk.length);
    this._lastBytes = false;
  }
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
      this._countDataBytes(content.length);
      this._endDataMode(content, chunk.subarray(dot + 3), done);
      return;
    }
    if (chunk[dot + 1] === DOT) {
      const before = chunk.subarray(0, dot);
      this._lastBytes = false;
      this._countDataBytes(before.length);
      if (out.writable) out.write(before);
      const rest = chunk.subarray(dot + 1);
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
  }
  // Hold back the last four bytes: they may begin a terminator or an escape completed by the next chunk.
  this._lastBytes = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
  if (this._lastBytes.length >= chunk.length) return done();
  const emit = chunk.subarray(0, chunk.length - this._lastBytes.length);
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
