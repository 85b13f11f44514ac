/**
 * The pieces that let a received blob go to disk and be read back without whole-blob copies:
 * ChunkList (ranges and streams over the chunks as received) and writevAll (every byte written
 * in order even when the kernel takes only part of a batch).
 */
import type { promises as fs } from 'node:fs';
import fc from 'fast-check';
import { ChunkList } from '../../src/store/embedded/chunk-list';
import { writevAll } from '../../src/store/embedded/files';

const chunking = fc
  .array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { maxLength: 8 })
  .map((parts) => parts.map((p) => Buffer.from(p)));

async function drain(s: NodeJS.ReadableStream): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

test('ChunkList: any range, read or streamed, is exactly that range of the joined bytes', async () => {
  await fc.assert(
    fc.asyncProperty(chunking, fc.nat(300), fc.option(fc.nat(300), { nil: undefined }), async (chunks, start, endOrNone) => {
      const whole = Buffer.concat(chunks);
      const end = endOrNone === undefined ? Infinity : start + endOrNone;
      const list = new ChunkList(chunks);
      const expected = whole.subarray(start, Math.min(end, whole.length));
      expect(list.size).toBe(whole.length);
      expect(list.read({ start, end }).equals(expected)).toBe(true);
      expect((await drain(list.stream({ start, end }))).equals(expected)).toBe(true);
    }),
    { numRuns: 500 },
  );
});

test('ChunkList: a range inside one chunk is a view of it, not a copy', () => {
  const a = Buffer.from('hello ');
  const b = Buffer.from('world');
  const r = new ChunkList([a, b]).read({ start: 7, end: 10 });
  expect(r.toString()).toBe('orl');
  expect(r.buffer).toBe(b.buffer);
});

test('writevAll: short writes (the kernel taking any part of a batch) still write every byte, in order', async () => {
  await fc.assert(
    fc.asyncProperty(chunking, fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }), async (chunks, limits) => {
      const written: Buffer[] = [];
      let call = 0;
      const handle = {
        writev: async (buffers: Buffer[]) => {
          // Takes at most `limit` bytes of the batch, as a short write does.
          let room = limits[call++ % limits.length];
          let bytesWritten = 0;
          for (const b of buffers) {
            const n = Math.min(room, b.length);
            written.push(b.subarray(0, n));
            bytesWritten += n;
            room -= n;
            if (n < b.length || room === 0) break;
          }
          return { bytesWritten, buffers };
        },
      } as unknown as fs.FileHandle;
      await writevAll(handle, chunks);
      expect(Buffer.concat(written).equals(Buffer.concat(chunks))).toBe(true);
    }),
    { numRuns: 300 },
  );
});
