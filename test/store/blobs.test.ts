import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { BlobNotFound, InvalidStoreInput } from '../../src/store';
import { openTempStore, type TempStore } from '../support/store-fixtures';

function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

async function opensslSha256(path: string): Promise<string> {
  const { stdout } = await promisify(execFile)('openssl', ['dgst', '-sha256', '-r', path]);
  return stdout.split(' ')[0];
}

// Blob files: every blob a file (inline storage off); inline-blobs.test.ts covers the other kind.
describe('blob store (files)', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await openTempStore({ inlineBlobBytes: 0 });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const blobFile = (hash: string): string => join(t.dir, 'blobs', hash.slice(0, 2), hash);

  it.each([0, 1, 4096])('stores %i bytes, content-addressed', async (n) => {
    const data = randomBytes(n);
    const writer = t.store.blobs.createWriter();
    writer.end(data);
    const pending = await writer.pending;
    expect(pending.size).toBe(n);
    expect(pending.hash).toBe(createHash('sha256').update(data).digest('hex'));
    expect(await t.store.blobs.exists(pending.hash)).toBe(false);
    expect((await pending.read()).equals(data)).toBe(true);
    const ref = await pending.commit();
    expect(ref).toEqual({ hash: pending.hash, size: n });
    expect(await t.store.blobs.exists(ref.hash)).toBe(true);
    expect((await readFile(blobFile(ref.hash))).equals(data)).toBe(true);
    expect(await opensslSha256(blobFile(ref.hash))).toBe(ref.hash);
    expect((await t.store.blobs.read(ref.hash)).equals(data)).toBe(true);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
  });

  it('streams 20 MB through the writer and reads ranges back', async () => {
    const chunk = 256 * 1024;
    const chunks = 80; // 20 MiB
    const seed = randomBytes(chunk);
    const expected = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < chunks; i++) {
          const c = Buffer.from(seed);
          c.writeUInt32BE(i, 0);
          expected.update(c);
          yield c;
        }
      })(),
    );
    const writer = t.store.blobs.createWriter();
    await pipeline(source, writer);
    const pending = await writer.pending;
    const ref = await pending.commit();
    expect(ref.size).toBe(chunk * chunks);
    expect(ref.hash).toBe(expected.digest('hex'));
    expect(await opensslSha256(blobFile(ref.hash))).toBe(ref.hash);
    expect((await stat(blobFile(ref.hash))).size).toBe(chunk * chunks);

    // Range of bytes straddling a chunk boundary: [chunk-10, chunk+20).
    const part = await t.store.blobs.read(ref.hash, { start: chunk - 10, end: chunk + 20 });
    const want = Buffer.concat([seed.subarray(chunk - 10), seed.subarray(0, 20)]);
    want.writeUInt32BE(1, 10);
    expect(part.equals(want)).toBe(true);

    // Streamed: hash of the whole blob read back.
    const h = createHash('sha256');
    await pipeline(t.store.blobs.createReadStream(ref.hash), h);
    expect(h.digest('hex')).toBe(ref.hash);

    const tail = await collect(t.store.blobs.createReadStream(ref.hash, { start: chunk * chunks - 5 }));
    expect(tail.equals(seed.subarray(chunk - 5))).toBe(true);
  });

  it('small socket-sized chunks: the file and the pending reads (kept in memory) hold the same bytes', async () => {
    // 1 MB in 16 KB chunks, as a TLS socket delivers them; the writer gathers them into larger writes.
    const data = randomBytes(1024 * 1024 + 123);
    const writer = t.store.blobs.createWriter({ readWhilePending: true });
    await pipeline(
      Readable.from(
        (function* () {
          for (let p = 0; p < data.length; p += 16 * 1024) yield data.subarray(p, p + 16 * 1024);
        })(),
      ),
      writer,
    );
    const pending = await writer.pending;
    expect(pending.size).toBe(data.length);
    // The temp file is complete before commit, whatever a pending read is served from.
    const temp = (await readdir(join(t.dir, 'tmp'))).map((n) => join(t.dir, 'tmp', n));
    expect(temp).toHaveLength(1);
    expect((await readFile(temp[0]!)).equals(data)).toBe(true);
    expect((await pending.read({ start: 100, end: 70_000 })).equals(data.subarray(100, 70_000))).toBe(true);
    expect((await collect(pending.createReadStream({ start: data.length - 10 }))).equals(data.subarray(data.length - 10))).toBe(true);
    const ref = await pending.commit();
    expect(await opensslSha256(blobFile(ref.hash))).toBe(createHash('sha256').update(data).digest('hex'));
    expect((await pending.read()).equals(data)).toBe(true);
    await pending.discard();
  });

  it('keeps a pending blob in memory only for a writer that will read it back (readWhilePending)', async () => {
    const data = randomBytes(512 * 1024);
    for (const readWhilePending of [true, false]) {
      const writer = t.store.blobs.createWriter({ readWhilePending });
      await pipeline(Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), writer);
      const pending = await writer.pending;
      // Overwrite the temp file: a read served from memory still sees the data, one from the file does not.
      const [temp] = (await readdir(join(t.dir, 'tmp'))).map((n) => join(t.dir, 'tmp', n));
      await writeFile(temp!, Buffer.alloc(data.length));
      const read = await pending.read({ start: 1000, end: 2000 });
      expect(read.equals(data.subarray(1000, 2000))).toBe(readWhilePending);
      expect(read.equals(Buffer.alloc(1000))).toBe(!readWhilePending);
      await pending.discard();
    }
  });

  it('reads ranges with start inclusive and end exclusive', async () => {
    const data = Buffer.from('0123456789');
    const ref = await t.store.blobs.put(data);
    const cases: [number | undefined, number | undefined, string][] = [
      [undefined, undefined, '0123456789'],
      [0, 1, '0'],
      [3, 7, '3456'],
      [5, undefined, '56789'],
      [undefined, 4, '0123'],
      [4, 4, ''],
      [8, 100, '89'],
      [10, undefined, ''],
      [20, 30, ''],
    ];
    for (const [start, end, text] of cases) {
      const range = { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
      expect((await t.store.blobs.read(ref.hash, range)).toString()).toBe(text);
      expect((await collect(t.store.blobs.createReadStream(ref.hash, range))).toString()).toBe(text);
    }
    await expect(t.store.blobs.read(ref.hash, { start: 5, end: 2 })).rejects.toBeInstanceOf(InvalidStoreInput);
    await expect(t.store.blobs.read(ref.hash, { start: -1 })).rejects.toBeInstanceOf(InvalidStoreInput);
  });

  it('stores identical content once and drops the second temp file', async () => {
    const data = randomBytes(1000);
    const a = await t.store.blobs.put(data);
    const b = await t.store.blobs.put(data);
    expect(b).toEqual(a);
    expect(await readdir(join(t.dir, 'blobs', a.hash.slice(0, 2)))).toEqual([a.hash]);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
  });

  it('commit is idempotent and discard removes the temp file', async () => {
    const w1 = t.store.blobs.createWriter();
    w1.end(Buffer.from('kept'));
    const p1 = await w1.pending;
    const [r1, r2] = await Promise.all([p1.commit(), p1.commit()]);
    expect(r2).toEqual(r1);
    expect((await p1.read()).toString()).toBe('kept');

    const w2 = t.store.blobs.createWriter();
    w2.end(Buffer.from('dropped'));
    const p2 = await w2.pending;
    expect(await readdir(join(t.dir, 'tmp'))).toHaveLength(1);
    await p2.discard();
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
    expect(await t.store.blobs.exists(p2.hash)).toBe(false);
    await expect(p2.commit()).rejects.toBeInstanceOf(InvalidStoreInput);
  });

  it('a writer destroyed mid-stream rejects pending and leaves no temp file', async () => {
    const writer = t.store.blobs.createWriter();
    const streamError = new Promise<Error>((resolve) => writer.on('error', resolve));
    writer.write(randomBytes(1000));
    await new Promise((r) => setImmediate(r));
    writer.destroy(new Error('client went away'));
    await expect(writer.pending).rejects.toThrow('client went away');
    expect((await streamError).message).toBe('client went away');
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
  });

  it('reports missing and malformed blobs with typed errors', async () => {
    const missing = 'a'.repeat(64);
    await expect(t.store.blobs.read(missing)).rejects.toBeInstanceOf(BlobNotFound);
    await expect(collect(t.store.blobs.createReadStream(missing))).rejects.toBeInstanceOf(BlobNotFound);
    expect(await t.store.blobs.exists(missing)).toBe(false);
    await expect(t.store.blobs.read('../../etc/passwd')).rejects.toBeInstanceOf(InvalidStoreInput);
  });

  it('a writer that fails reports it through `pending` even to a caller that does not listen for errors', async () => {
    const writer = t.store.blobs.createWriter();
    writer.write(Buffer.from('the start of a message'));
    // What a failing file write (a full disk) does to the stream; nobody listens for 'error' here.
    writer.destroy(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    await expect(writer.pending).rejects.toThrow(/ENOSPC/);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
  });
});
