/**
 * Small blobs live in the database: staged in memory by PendingBlob.commit()/put(), written in
 * the transaction of the first commit that references them, read like files (ranges, streams),
 * swept and checked like files; content is stored once whatever its kind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { BlobNotFound, InvalidStoreInput, type MailStore } from '../../src/store';
import { readDatabase } from '../support/database';
import { createAccount, newMessage, openTempStore, sampleMessage, sha256, type TempStore } from '../support/store-fixtures';

function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('inline blobs', () => {
  let t: TempStore;
  let clock: number;
  afterEach(async () => {
    await t.cleanup();
  });

  async function open(options: { inlineBlobBytes?: number; stagedBlobTtlMs?: number; maxStagedBytes?: number } = {}): Promise<void> {
    clock = Date.parse('2025-05-01T10:00:00Z');
    t = await openTempStore({ now: () => new Date(clock), blobGraceMs: 60_000, inlineBlobBytes: 1024, ...options });
  }

  const blobFile = (hash: string): string => join(t.dir, 'blobs', hash.slice(0, 2), hash);

  /** What the database holds for `hash`, read through a separate connection. */
  function stored(hash: string): { size: number; inline: boolean } | undefined {
    const row = readDatabase(t.dir, (raw) => raw.prepare('SELECT b.size, d.data FROM blobs b LEFT JOIN blob_data d ON d.hash = b.hash WHERE b.hash = ?').get(hash)) as
      | { size: number; data: Buffer | null }
      | undefined;
    return row && { size: row.size, inline: row.data !== null };
  }

  async function append(store: MailStore, accountId: string, blob: { hash: string; size: number }, flags?: string[]): Promise<string> {
    const [r] = await store.commit([{ op: 'appendMessage', message: newMessage(accountId, blob, flags ? { flags } : {}) }]);
    if (r.op !== 'appendMessage') throw new Error('op');
    return r.message.mailboxId;
  }

  it('a small blob is staged in memory, then stored in the database by the commit that references it', async () => {
    await open();
    const account = await createAccount(t.store);
    const data = sampleMessage('inline', 300);
    const writer = t.store.blobs.createWriter();
    writer.end(data);
    const pending = await writer.pending;
    // Never a temp file for a small body.
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
    expect((await pending.read({ start: 2, end: 9 })).equals(data.subarray(2, 9))).toBe(true);
    const ref = await pending.commit();
    expect(ref).toEqual({ hash: sha256(data), size: data.length });
    // Staged: readable and usable in this process, nothing written anywhere yet.
    expect(await t.store.blobs.exists(ref.hash)).toBe(true);
    expect((await t.store.blobs.read(ref.hash)).equals(data)).toBe(true);
    expect(stored(ref.hash)).toBeUndefined();

    await append(t.store, account.id, ref);
    expect(stored(ref.hash)).toEqual({ size: data.length, inline: true });
    expect(existsSync(blobFile(ref.hash))).toBe(false);
    expect(await readdir(join(t.dir, 'blobs'))).toEqual([]);
    // Another connection (another process) reads it from the database.
    const other = await t.reopen();
    expect((await other.blobs.read(ref.hash)).equals(data)).toBe(true);
    expect(await other.blobs.exists(ref.hash)).toBe(true);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('reads ranges of inline blobs (staged and stored) with start inclusive and end exclusive', async () => {
    await open();
    const account = await createAccount(t.store);
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
    const check = async (store: MailStore): Promise<void> => {
      for (const [start, end, text] of cases) {
        const range = { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
        expect((await store.blobs.read(ref.hash, range)).toString()).toBe(text);
        expect((await collect(store.blobs.createReadStream(ref.hash, range))).toString()).toBe(text);
      }
      await expect(store.blobs.read(ref.hash, { start: 5, end: 2 })).rejects.toBeInstanceOf(InvalidStoreInput);
    };
    await check(t.store);
    await append(t.store, account.id, ref);
    await check(await t.reopen());
    // The empty blob is a blob too.
    const empty = await t.store.blobs.put(Buffer.alloc(0));
    await append(t.store, account.id, empty);
    expect(stored(empty.hash)).toEqual({ size: 0, inline: true });
    expect((await (await t.reopen()).blobs.read(empty.hash)).length).toBe(0);
  });

  it('the threshold decides the kind: up to it in memory, beyond it a streamed file', async () => {
    await open({ inlineBlobBytes: 1000 });
    const account = await createAccount(t.store);
    const small = randomBytes(1000);
    const large = randomBytes(1001);
    const w1 = t.store.blobs.createWriter();
    w1.write(small.subarray(0, 600));
    w1.end(small.subarray(600));
    const w2 = t.store.blobs.createWriter();
    w2.write(large.subarray(0, 600));
    w2.end(large.subarray(600));
    const [p1, p2] = await Promise.all([w1.pending, w2.pending]);
    // Only the large one went to a temp file, with the bytes received before it outgrew memory.
    expect(await readdir(join(t.dir, 'tmp'))).toHaveLength(1);
    expect((await p2.read()).equals(large)).toBe(true);
    const [r1, r2] = await Promise.all([p1.commit(), p2.commit()]);
    expect(existsSync(blobFile(r2.hash))).toBe(true);
    expect(stored(r2.hash)).toEqual({ size: 1001, inline: false });
    await append(t.store, account.id, r1);
    await append(t.store, account.id, r2);
    expect(stored(r1.hash)).toEqual({ size: 1000, inline: true });
    expect(existsSync(blobFile(r1.hash))).toBe(false);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
  });

  it('a staged blob nothing references is dropped after its time-to-live; a commit then finds no blob', async () => {
    await open({ stagedBlobTtlMs: 40 });
    const account = await createAccount(t.store);
    const ref = await t.store.blobs.put(sampleMessage('forgotten'));
    expect(await t.store.blobs.exists(ref.hash)).toBe(true);
    await sleep(200);
    expect(await t.store.blobs.exists(ref.hash)).toBe(false);
    await expect(append(t.store, account.id, ref)).rejects.toBeInstanceOf(BlobNotFound);
    // A referenced one is in the database and no longer depends on the staging.
    const kept = await t.store.blobs.put(sampleMessage('kept'));
    await append(t.store, account.id, kept);
    await sleep(200);
    expect(await t.store.blobs.exists(kept.hash)).toBe(true);
    await append(t.store, account.id, kept);
  });

  it('discard() drops the bytes: before commit the blob is gone, after it the staged copy goes', async () => {
    await open();
    const account = await createAccount(t.store);
    const w1 = t.store.blobs.createWriter();
    w1.end(sampleMessage('never'));
    const p1 = await w1.pending;
    await p1.discard();
    await expect(p1.commit()).rejects.toBeInstanceOf(InvalidStoreInput);
    expect(await t.store.blobs.exists(p1.hash)).toBe(false);

    const w2 = t.store.blobs.createWriter();
    w2.end(sampleMessage('dropped'));
    const p2 = await w2.pending;
    const ref = await p2.commit();
    await p2.discard();
    expect(await t.store.blobs.exists(ref.hash)).toBe(false);
    await expect(append(t.store, account.id, ref)).rejects.toBeInstanceOf(BlobNotFound);
  });

  it('stores content once across kinds: a file is not duplicated inline, inline bytes never become a file', async () => {
    await open({ inlineBlobBytes: 0 });
    const account = await createAccount(t.store);
    const asFile = sampleMessage('file first', 200);
    const fileRef = await t.store.blobs.put(asFile);
    await append(t.store, account.id, fileRef);
    expect(stored(fileRef.hash)).toEqual({ size: asFile.length, inline: false });

    const inlineStore = await t.reopen({ inlineBlobBytes: 1024 });
    const again = await inlineStore.blobs.put(asFile);
    await append(inlineStore, account.id, again);
    expect(stored(fileRef.hash)).toEqual({ size: asFile.length, inline: false });

    const asInline = sampleMessage('inline first', 200);
    const inlineRef = await inlineStore.blobs.put(asInline);
    await append(inlineStore, account.id, inlineRef);
    expect(stored(inlineRef.hash)).toEqual({ size: asInline.length, inline: true });
    const fileStore = await t.reopen({ inlineBlobBytes: 0 });
    expect(await fileStore.blobs.put(asInline)).toEqual(inlineRef);
    expect(existsSync(blobFile(inlineRef.hash))).toBe(false);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
    await append(fileStore, account.id, inlineRef);
    expect(await fileStore.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('beyond the staging memory bound a small blob is stored as a file at once', async () => {
    await open({ maxStagedBytes: 500 });
    const account = await createAccount(t.store);
    const first = await t.store.blobs.put(randomBytes(400));
    const second = await t.store.blobs.put(randomBytes(400));
    expect(stored(first.hash)).toBeUndefined();
    expect(stored(second.hash)).toEqual({ size: 400, inline: false });
    expect(existsSync(blobFile(second.hash))).toBe(true);
    await append(t.store, account.id, first);
    await append(t.store, account.id, second);
    expect(stored(first.hash)).toEqual({ size: 400, inline: true });
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('the integrity check finds inline bytes that were changed, and unreferenced ones; the sweep removes those', async () => {
    await open();
    const account = await createAccount(t.store);
    const ref = await t.store.blobs.put(sampleMessage('tampered'));
    await append(t.store, account.id, ref);
    const orphanBytes = sampleMessage('orphan');
    const orphan = await t.store.blobs.put(orphanBytes);
    const box = await append(t.store, account.id, orphan, ['\\Deleted']);
    await t.store.messages.expunge(box);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
    expect(await t.store.sweepBlobs()).toEqual({ removed: 0, bytes: 0 });

    clock += 60_001;
    expect((await t.store.integrityCheck()).problems).toEqual([`blob ${orphan.hash} (inline): unreferenced (awaiting sweep)`]);
    expect(await t.store.sweepBlobs()).toEqual({ removed: 1, bytes: orphan.size });
    expect(stored(orphan.hash)).toBeUndefined();
    expect(await t.store.blobs.exists(orphan.hash)).toBe(false);
    // Storing the same bytes again brings it back.
    expect(await t.store.blobs.put(orphanBytes)).toEqual(orphan);
    await append(t.store, account.id, orphan);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });

    const raw = new Database(join(t.dir, 'db', 'kepd.sqlite'));
    try {
      const data = (raw.prepare('SELECT data FROM blob_data WHERE hash = ?').get(ref.hash) as { data: Buffer }).data;
      data[data.length - 3] ^= 0x01;
      raw.prepare('UPDATE blob_data SET data = ? WHERE hash = ?').run(data, ref.hash);
      raw.prepare('UPDATE blob_data SET data = ? WHERE hash = ?').run(orphanBytes.subarray(1), orphan.hash);
    } finally {
      raw.close();
    }
    const problems = (await t.store.integrityCheck()).problems;
    expect(problems).toContain(`blob ${ref.hash} (inline): stored bytes do not match their SHA-256`);
    expect(problems).toContain(`blob ${orphan.hash}: ${orphan.size - 1} bytes stored inline, ${orphan.size} recorded`);
  });

  it('a unique blob is keyed by the time it was stored and its content hash, so keys grow with time; reads, sweep and check as any', async () => {
    await open({ inlineBlobBytes: 4096 });
    const account = await createAccount(t.store);
    const data = sampleMessage('receipt', 300);
    const first = await t.store.blobs.put(data, { unique: true });
    expect(first).toEqual({ hash: clock.toString(16).padStart(12, '0') + sha256(data), size: data.length });
    clock += 1;
    // The same bytes again: another blob (no deduplication), and a key sorting after the first.
    const second = await t.store.blobs.put(data, { unique: true });
    expect(second.hash).not.toBe(first.hash);
    expect(second.hash > first.hash).toBe(true);
    clock += 1;
    const composed = await t.store.blobs.compose([Buffer.from('intro '), first], { unique: true });
    expect(composed.hash).toBe(clock.toString(16).padStart(12, '0') + sha256(Buffer.concat([Buffer.from('intro '), data])));
    // Without the option, content addressing as before.
    expect(await t.store.blobs.put(data)).toEqual({ hash: sha256(data), size: data.length });
    // A writer: unique while the blob stays inline; past the threshold a file, named by content.
    const streamed = async (bytes: Buffer): Promise<string> => {
      const w = t.store.blobs.createWriter({ unique: true, readWhilePending: true });
      w.end(bytes);
      return (await (await w.pending).commit()).hash;
    };
    expect(await streamed(data)).toBe(clock.toString(16).padStart(12, '0') + sha256(data));
    const large = sampleMessage('large', 8000);
    expect(await streamed(large)).toBe(sha256(large));

    await append(t.store, account.id, first);
    await append(t.store, account.id, composed);
    await t.store.messages.expunge(await append(t.store, account.id, second, ['\\Deleted']));
    expect(stored(first.hash)).toEqual({ size: data.length, inline: true });
    const other = await t.reopen();
    expect((await other.blobs.read(first.hash, { start: 3, end: 40 })).equals(data.subarray(3, 40))).toBe(true);
    expect((await collect(other.blobs.createReadStream(composed.hash))).toString()).toBe(`intro ${data.toString()}`);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });

    // No longer referenced: swept like any other blob once past the grace period.
    clock += 60_001;
    // (The large one's file, never referenced either, goes too.)
    expect(await t.store.sweepBlobs()).toEqual({ removed: 2, bytes: data.length + large.length });
    expect(await t.store.blobs.exists(second.hash)).toBe(false);
    expect(await t.store.blobs.exists(first.hash)).toBe(true);

    // The check compares the bytes with the content hash the key ends in.
    const raw = new Database(join(t.dir, 'db', 'kepd.sqlite'));
    try {
      const bytes = (raw.prepare('SELECT data FROM blob_data WHERE hash = ?').get(first.hash) as { data: Buffer }).data;
      bytes[10] ^= 0x01;
      raw.prepare('UPDATE blob_data SET data = ? WHERE hash = ?').run(bytes, first.hash);
    } finally {
      raw.close();
    }
    expect((await t.store.integrityCheck()).problems).toEqual([`blob ${first.hash} (inline): stored bytes do not match their SHA-256`]);
  });

  it('a unique blob stored as a file when staging is full is named by its key, read and checked like any file', async () => {
    await open({ maxStagedBytes: 500 });
    const account = await createAccount(t.store);
    await t.store.blobs.put(randomBytes(400), { unique: true });
    const data = randomBytes(400);
    const asFile = await t.store.blobs.put(data, { unique: true });
    expect(asFile.hash).toBe(clock.toString(16).padStart(12, '0') + sha256(data));
    expect(stored(asFile.hash)).toEqual({ size: 400, inline: false });
    expect(existsSync(blobFile(asFile.hash))).toBe(true);
    await append(t.store, account.id, asFile);
    expect((await t.store.blobs.read(asFile.hash)).equals(data)).toBe(true);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('refuses a blob key that is neither a content hash nor a unique blob key', async () => {
    await open();
    const account = await createAccount(t.store);
    const data = sampleMessage('k', 100);
    for (const hash of [sha256(data).slice(1), 'ab' + sha256(data), '0'.repeat(12) + sha256(data).toUpperCase()]) {
      await expect(t.store.blobs.read(hash)).rejects.toBeInstanceOf(InvalidStoreInput);
      await expect(t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, { hash, size: data.length }) }])).rejects.toBeInstanceOf(InvalidStoreInput);
    }
  });
});
