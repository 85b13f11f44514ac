import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { InvalidStoreInput, type BlobRef } from '../../src/store';
import { segmentsOf, type CompositePart } from '../../src/store/embedded/composite-blobs';
import { readDatabase } from '../support/database';
import { createAccount, newMessage, openTempStore, sha256, type TempStore } from '../support/store-fixtures';

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function blobFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of await readdir(join(dir, 'blobs'))) out.push(...(await readdir(join(dir, 'blobs', sub))));
  return out.sort();
}

function partRows(dir: string): Array<{ hash: string; seq: number; size: number; ref_hash: string | null }> {
  return readDatabase(dir, (db) => db.prepare('SELECT hash, seq, size, ref_hash FROM blob_parts ORDER BY hash, seq').all() as Array<{ hash: string; seq: number; size: number; ref_hash: string | null }>);
}

test('segmentsOf maps a range onto literal slices and ranges of referenced blobs', () => {
  const parts: CompositePart[] = [
    { size: 3, data: Buffer.from('abc') },
    { size: 10, ref: 'r'.repeat(64) },
    { size: 2, data: Buffer.from('yz') },
  ];
  const show = (start: number, end: number): string[] =>
    segmentsOf(parts, { start, end }).map((s) => ('data' in s ? s.data.toString() : `ref ${s.range.start}-${s.range.end}`));
  expect(show(0, Infinity)).toEqual(['abc', 'ref 0-10', 'yz']);
  expect(show(2, 4)).toEqual(['c', 'ref 0-1']);
  expect(show(5, 13)).toEqual(['ref 2-10']);
  expect(show(12, 14)).toEqual(['ref 9-10', 'y']);
  expect(show(14, 100)).toEqual(['z']);
  expect(show(15, 100)).toEqual([]);
  expect(show(4, 4)).toEqual([]);
});

describe('composite blobs', () => {
  let t: TempStore;
  let now: Date;
  beforeEach(async () => {
    now = new Date('2026-11-28T10:00:00Z');
    t = await openTempStore({ inlineBlobBytes: 4096, now: () => now });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function fileBlob(n: number): Promise<{ ref: BlobRef; data: Buffer }> {
    const data = randomBytes(n);
    return { ref: await t.store.blobs.put(data), data };
  }

  it('keeps a large blob by reference: same hash and bytes as the concatenation, no second copy on disk', async () => {
    const original = await fileBlob(300_000);
    const before = Buffer.from('head: of the dispatch\r\n\r\n');
    const after = randomBytes(5000);
    const whole = Buffer.concat([before, original.data, after]);
    const filesBefore = await blobFiles(t.dir);

    const ref = await t.store.blobs.compose([before, original.ref, after]);
    expect(ref).toEqual({ hash: sha256(whole), size: whole.length });
    expect(await blobFiles(t.dir)).toEqual(filesBefore);
    expect(partRows(t.dir).map((r) => [r.seq, r.size, r.ref_hash])).toEqual([
      [0, before.length, null],
      [1, original.data.length, original.ref.hash],
      [2, after.length, null],
    ]);
    expect(await t.store.blobs.exists(ref.hash)).toBe(true);
    expect((await t.store.blobs.read(ref.hash)).equals(whole)).toBe(true);
    expect((await collect(t.store.blobs.createReadStream(ref.hash))).equals(whole)).toBe(true);
    // Ranges within and across the parts, as IMAP partial fetches ask for them.
    const cuts = [0, 1, before.length - 1, before.length, before.length + 1, 150_000, before.length + original.data.length, whole.length - 1, whole.length];
    for (const start of cuts) {
      for (const end of cuts.filter((e) => e >= start)) {
        expect((await t.store.blobs.read(ref.hash, { start, end })).equals(whole.subarray(start, end))).toBe(true);
        expect((await collect(t.store.blobs.createReadStream(ref.hash, { start, end }))).equals(whole.subarray(start, end))).toBe(true);
      }
    }

    // Durable when compose resolves, and committed like any blob.
    const account = await createAccount(t.store);
    await t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, ref) }]);
    const other = await t.reopen();
    expect((await other.blobs.read(ref.hash)).equals(whole)).toBe(true);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('the same parts twice give the same blob, stored once', async () => {
    const original = await fileBlob(10_000);
    const a = await t.store.blobs.compose([Buffer.from('x'), original.ref]);
    const b = await t.store.blobs.compose([Buffer.from('x'), original.ref]);
    expect(b).toEqual(a);
    expect(partRows(t.dir).filter((r) => r.hash === a.hash)).toHaveLength(2);
  });

  it('the same bytes put as a blob of their own are not written again as a file', async () => {
    const original = await fileBlob(30_000);
    const before = Buffer.from('around ');
    const ref = await t.store.blobs.compose([before, original.ref]);
    const files = await blobFiles(t.dir);
    const whole = Buffer.concat([before, original.data]);
    expect(await t.store.blobs.put(whole)).toEqual(ref);
    expect(await blobFiles(t.dir)).toEqual(files);
    expect((await t.store.blobs.read(ref.hash)).equals(whole)).toBe(true);
  });

  it('copies what is small: a result that fits inline, and inline blobs within a large one', async () => {
    const small = Buffer.from('small original\r\n');
    const smallRef = await t.store.blobs.put(small);
    const account = await createAccount(t.store);
    await t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, smallRef) }]);

    const inline = await t.store.blobs.compose([Buffer.from('a'), smallRef, Buffer.from('z')]);
    expect((await t.store.blobs.read(inline.hash)).toString()).toBe('asmall original\r\nz');
    const big = randomBytes(20_000);
    const mixed = await t.store.blobs.compose([big, smallRef]);
    expect(mixed.hash).toBe(sha256(Buffer.concat([big, small])));
    expect((await t.store.blobs.read(mixed.hash)).equals(Buffer.concat([big, small]))).toBe(true);
    expect(partRows(t.dir)).toEqual([]);
  });

  it('refuses a reference whose size is not the blob\'s', async () => {
    const original = await fileBlob(10_000);
    await expect(t.store.blobs.compose([Buffer.from('x'), { hash: original.ref.hash, size: 9_999 }])).rejects.toBeInstanceOf(InvalidStoreInput);
    await expect(t.store.blobs.compose([{ hash: 'nothex', size: 1 }])).rejects.toBeInstanceOf(InvalidStoreInput);
  });

  it('a referenced blob outlives the sweep while a composite names it; an unreferenced composite goes, then it', async () => {
    const original = await fileBlob(50_000);
    const ref = await t.store.blobs.compose([Buffer.from('around '), original.ref, Buffer.from(' it')]);
    now = new Date(now.getTime() + 2 * 60 * 60 * 1000);
    expect((await t.store.integrityCheck()).problems).toEqual(
      expect.arrayContaining([`blob ${ref.hash} (composite): unreferenced (awaiting sweep)`]),
    );

    // The composite goes first; the original it named stays until a later sweep finds it alone.
    expect(await t.store.sweepBlobs({ olderThanMs: 60_000 })).toEqual({ removed: 1, bytes: ref.size });
    expect(partRows(t.dir)).toEqual([]);
    expect(await t.store.blobs.exists(ref.hash)).toBe(false);
    expect((await t.store.blobs.read(original.ref.hash)).equals(original.data)).toBe(true);
    expect(await t.store.sweepBlobs({ olderThanMs: 60_000 })).toEqual({ removed: 1, bytes: original.ref.size });
    expect(await blobFiles(t.dir)).toEqual([]);
  });

  it('a composite a message holds keeps its original when the original\'s own references are gone', async () => {
    const original = await fileBlob(50_000);
    const ref = await t.store.blobs.compose([Buffer.from('around '), original.ref]);
    const account = await createAccount(t.store);
    await t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, ref) }]);
    now = new Date(now.getTime() + 2 * 60 * 60 * 1000);
    expect(await t.store.sweepBlobs({ olderThanMs: 60_000 })).toEqual({ removed: 0, bytes: 0 });
    expect((await t.store.blobs.read(ref.hash)).equals(Buffer.concat([Buffer.from('around '), original.data]))).toBe(true);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('the integrity check reports parts that do not add up to the recorded size', async () => {
    const original = await fileBlob(20_000);
    const ref = await t.store.blobs.compose([Buffer.from('head'), original.ref]);
    const account = await createAccount(t.store);
    await t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, ref) }]);
    const db = new Database(join(t.dir, 'db', 'kepd.sqlite'));
    db.prepare('UPDATE blob_parts SET data = ? WHERE hash = ? AND seq = 0').run(Buffer.from('hea'), ref.hash);
    db.prepare('UPDATE blob_parts SET size = 3 WHERE hash = ? AND seq = 0').run(ref.hash);
    db.close();
    const report = await t.store.integrityCheck();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        `blob ${ref.hash}: its parts hold ${ref.size - 1} bytes, ${ref.size} recorded`,
        `blob ${ref.hash} (composite): its parts hold ${ref.size - 1} bytes, ${ref.size} recorded`,
      ]),
    );
  });
});
