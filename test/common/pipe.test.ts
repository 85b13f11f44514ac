/**
 * pipeInto (common/pipe.ts): the promise pipeline's contract — resolves once the sink has
 * finished with every byte; on any stream's error or premature close, every stream is
 * destroyed and the promise rejects with that error.
 */
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeInto } from '../../src/common/pipe';

function collector(opts: { failAt?: number; slowFinal?: boolean } = {}): Writable & { bytes: Buffer[]; finalDone: boolean } {
  const bytes: Buffer[] = [];
  let n = 0;
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      n++;
      if (opts.failAt === n) return cb(new Error('sink failed'));
      bytes.push(chunk);
      setImmediate(cb);
    },
    final(cb) {
      setTimeout(() => {
        (w as unknown as { finalDone: boolean }).finalDone = true;
        cb();
      }, opts.slowFinal ? 20 : 0);
    },
  });
  return Object.assign(w, { bytes, finalDone: false });
}

const upper = (): Transform =>
  new Transform({
    transform(chunk: Buffer, _e, cb) {
      cb(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
    },
  });

describe('pipeInto', () => {
  it('resolves after the sink has finished, with every byte through the transform', async () => {
    const sink = collector({ slowFinal: true });
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`chunk ${i};`));
    await pipeInto(Readable.from(chunks), upper(), sink);
    expect(sink.finalDone).toBe(true);
    expect(Buffer.concat(sink.bytes).toString()).toBe(chunks.map((c) => c.toString().toUpperCase()).join(''));
  });

  it('rejects with the source error and destroys the other streams', async () => {
    const source = new PassThrough();
    const mid = upper();
    const sink = collector();
    const p = pipeInto(source, mid, sink);
    source.write('abc');
    source.destroy(new Error('client went away'));
    await expect(p).rejects.toThrow('client went away');
    expect(mid.destroyed).toBe(true);
    expect(sink.destroyed).toBe(true);
  });

  it('rejects with a transform error', async () => {
    const source = Readable.from([Buffer.from('a'), Buffer.from('b')]);
    const bad = new Transform({
      transform(_c, _e, cb) {
        cb(new Error('bad chunk'));
      },
    });
    const sink = collector();
    await expect(pipeInto(source, bad, sink)).rejects.toThrow('bad chunk');
    expect(source.destroyed).toBe(true);
    expect(sink.destroyed).toBe(true);
  });

  it('rejects with the sink error (a full disk, say) and stops reading the source', async () => {
    const source = new PassThrough();
    const sink = collector({ failAt: 2 });
    const p = pipeInto(source, sink);
    for (let i = 0; i < 5; i++) source.write(`line ${i}\n`);
    await expect(p).rejects.toThrow('sink failed');
    expect(source.destroyed).toBe(true);
    expect(sink.bytes.length).toBeLessThan(5);
  });

  it('rejects when a stream closes before it ended (premature close)', async () => {
    const source = new PassThrough();
    const sink = collector();
    const p = pipeInto(source, sink);
    source.write('x');
    source.destroy();
    await expect(p).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
