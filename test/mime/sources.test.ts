import { randomBytes, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bufferSource, fileSource, subSource, hashRange } from '../../src/mime/sources';
import type { RangeSource } from '../../src/mime/types';
import { tempDir } from '../support/pki';

async function streamed(src: RangeSource, range?: { start?: number; end?: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of src.createReadStream(range)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('RangeSource adapters', () => {
  const data = randomBytes(200_000);
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('kepd-mime-'));
    writeFileSync(join(dir, 'data.bin'), data);
  });
  afterAll(() => cleanup());

  test.each([
    ['buffer', () => bufferSource(data)],
    ['file', () => fileSource(join(dir, 'data.bin'))],
  ])('%s: read and stream ranges (end exclusive, clamped)', async (_name, make) => {
    const src = make();
    expect(src.size).toBe(data.length);
    for (const r of [undefined, { start: 10 }, { end: 5 }, { start: 65535, end: 65537 }, { start: 100, end: 100 }, { start: 150_000, end: 999_999 }, { start: -5, end: 3 }]) {
      const s = Math.max(0, r?.start ?? 0);
      const expected = data.subarray(s, Math.min(data.length, Math.max(s, r?.end ?? data.length)));
      expect((await src.read(r)).equals(expected)).toBe(true);
      expect((await streamed(src, r)).equals(expected)).toBe(true);
    }
    const sub = subSource(src, 1000, 71000);
    expect(sub.size).toBe(70000);
    expect((await sub.read({ start: 5, end: 10 })).equals(data.subarray(1005, 1010))).toBe(true);
    expect((await streamed(sub, { start: 69990, end: 80000 })).equals(data.subarray(70990, 71000))).toBe(true);
    expect(await hashRange(src, 'sha256', { start: 7, end: 150_007 })).toEqual(createHash('sha256').update(data.subarray(7, 150_007)).digest());
  });
});
