/**
 * A byte range of a stored blob as a stream that opens the blob only when the composer starts
 * reading it, so responses that are never sent (closed connection) leave no open file behind.
 */
import { Readable } from 'node:stream';

export class LazyRangeStream extends Readable {
  /** Tells imap-core's composer the stream already is exactly the bytes to send. */
  readonly isLimited = true;
  private source?: Readable;

  constructor(private readonly open: () => Readable) {
    super();
  }

  override _read(): void {
    if (this.source) {
      this.source.resume();
      return;
    }
    const source = this.open();
    this.source = source;
    source.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) source.pause();
    });
    source.once('end', () => this.push(null));
    source.once('error', (err) => this.destroy(err));
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.source?.destroy();
    callback(err);
  }
}
