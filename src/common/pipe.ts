/**
 * `pipeline` from node:stream/promises for the hot paths (a submission's bytes on their way to
 * the store, a blob copy), without its cost: Node 20's pipeline makes an AbortController per
 * call and aborts it when done, which builds a DOMException with a stack trace every time
 * (about 1% of the daemon's CPU with 10 KB messages, where each submission pipes once).
 *
 * Same contract: resolves once the last stream has finished (all bytes handled by its
 * `_write`/`_final`); on the first error or premature close of any stream, destroys every one
 * of them and rejects with that error.
 */
import { finished, type Readable, type Writable } from 'node:stream';

export function pipeInto(source: Readable, ...rest: [...Array<Readable & Writable>, Writable]): Promise<void> {
  const streams: Array<Readable | Writable> = [source, ...rest];
  const last = streams.length - 1;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error | null): void => {
      if (settled) return;
      settled = true;
      if (err) {
        // Without an error of their own: the watchers below stay attached (as pipeline's do),
        // so a late error from any stream is still handled, never an uncaught 'error' event.
        for (const s of streams) if (!s.destroyed) s.destroy();
        reject(err);
      } else {
        resolve();
      }
    };
    streams.forEach((s, i) => {
      // Each stream is watched on the side the pipe uses: the source's reading, the sink's
      // writing, both for the ones in between.
      finished(s, { readable: i < last, writable: i > 0 }, (err) => (err ? settle(err) : i === last ? settle() : undefined));
    });
    for (let i = 0; i < last; i++) (streams[i] as Readable).pipe(streams[i + 1] as Writable);
  });
}
