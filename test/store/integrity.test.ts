import { spawnSync } from 'node:child_process';
import { readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createAccount, newMessage, openTempStore, putSample, sampleEvidence, sampleMessage, type TempStore } from '../support/store-fixtures';

/** A pid that certainly belongs to no running process: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('integrity check', () => {
  let t: TempStore;
  let clock: number;
  beforeEach(async () => {
    clock = Date.parse('2025-05-01T10:00:00Z');
    // Blob files here (inline storage off); inline-blobs.test.ts checks inline blobs.
    t = await openTempStore({ now: () => new Date(clock), blobGraceMs: 60_000, inlineBlobBytes: 0 });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function populated(): Promise<{ accountId: string; blobHash: string }> {
    const account = await createAccount(t.store);
    const blob = await putSample(t.store);
    await t.store.commit([
      { op: 'appendMessage', message: newMessage(account.id, blob) },
      { op: 'putEvidence', evidence: sampleEvidence({ accountId: account.id }) },
      {
        op: 'putSubmission',
        submission: { id: 'K1', accountId: account.id, sender: account.address, recipients: ['r@kep.test'], blob, subject: 's', iletiTip: 'standart', submittedAt: new Date(clock) },
      },
    ]);
    return { accountId: account.id, blobHash: blob.hash };
  }

  it('passes on a consistent store', async () => {
    await populated();
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('finds a missing blob, a wrong usage counter and a uidNext behind the uids', async () => {
    const { blobHash } = await populated();
    await rm(join(t.dir, 'blobs', blobHash.slice(0, 2), blobHash));
    const raw = new Database(join(t.dir, 'db', 'kepd.sqlite'));
    try {
      raw.prepare('UPDATE accounts SET used_bytes = used_bytes + 7').run();
      raw.prepare('UPDATE mailboxes SET uid_next = 1').run();
    } finally {
      raw.close();
    }
    const report = await t.store.integrityCheck();
    expect(report.ok).toBe(false);
    const text = report.problems.join('\n');
    expect(text).toMatch(new RegExp(`blob ${blobHash}: referenced but missing`));
    expect(text).toMatch(/usage counter \d+ != \d+ bytes stored/);
    expect(text).toMatch(/uidNext 1 .* behind uid 1/);
  });

  it('finds evidence XML changed behind the append-only guard', async () => {
    await populated();
    // Someone with the database file drops the trigger and rewrites a byte of the XML.
    const raw = new Database(join(t.dir, 'db', 'kepd.sqlite'));
    try {
      raw.exec('DROP TRIGGER evidence_no_update');
      raw.prepare(`UPDATE evidence SET xml = CAST(replace(CAST(xml AS TEXT), 'Pad', 'PAD') AS BLOB)`).run();
    } finally {
      raw.close();
    }
    expect((await t.store.integrityCheck()).problems.join('\n')).toMatch(/archived XML does not match its recorded SHA-256/);
  });

  it('reports leftover temp files of dead writers and removes them on open, leaving live ones', async () => {
    await populated();
    const tmp = join(t.dir, 'tmp');
    const stale = `${deadPid()}.0123456789abcdef.blob.tmp`;
    const live = `${process.pid}.fedcba9876543210.blob.tmp`;
    await writeFile(join(tmp, stale), 'never acknowledged');
    await writeFile(join(tmp, live), 'still being written');
    const report = await t.store.integrityCheck();
    expect(report.problems).toEqual([`temp file ${stale}: left over by a process that is gone`]);
    await t.reopen();
    expect(await readdir(tmp)).toEqual([live]);
  });

  it('reports unregistered blob files, and unreferenced ones once past the grace period; the sweep removes those', async () => {
    const { accountId } = await populated();
    const stray = 'c'.repeat(64);
    await mkdir(join(t.dir, 'blobs', 'cc'), { recursive: true });
    await writeFile(join(t.dir, 'blobs', 'cc', stray), 'x');
    expect((await t.store.integrityCheck()).problems).toEqual([`blob file ${stray}: not registered in the index`]);
    await rm(join(t.dir, 'blobs', 'cc', stray));

    // Expunged: the blob is unreferenced but counts as in flight until the grace period ends.
    const orphanBytes = sampleMessage('orphan');
    const orphan = await t.store.blobs.put(orphanBytes);
    const [r] = await t.store.commit([{ op: 'appendMessage', message: newMessage(accountId, orphan, { flags: ['\\Deleted'] }) }]);
    if (r.op !== 'appendMessage') throw new Error('op');
    await t.store.messages.expunge(r.message.mailboxId);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
    expect(await t.store.sweepBlobs()).toEqual({ removed: 0, bytes: 0 });

    clock += 60_001;
    expect((await t.store.integrityCheck()).problems).toEqual([`blob file ${orphan.hash}: unreferenced (awaiting sweep)`]);
    expect(await t.store.sweepBlobs()).toEqual({ removed: 1, bytes: orphan.size });
    expect(await t.store.blobs.exists(orphan.hash)).toBe(false);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });

    // Storing the same bytes again brings the blob back, registered.
    expect(await t.store.blobs.put(orphanBytes)).toEqual(orphan);
    expect(await t.store.blobs.exists(orphan.hash)).toBe(true);
    await t.store.commit([{ op: 'appendMessage', message: newMessage(accountId, orphan) }]);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('the sweep removes a row registered for a file that was never linked (a crash in between), its directory never made', async () => {
    const hash = 'e'.repeat(64);
    const db = new Database(join(t.dir, 'db', 'kepd.sqlite'));
    db.prepare('INSERT INTO blobs (hash, size, touched_at) VALUES (?, ?, ?)').run(hash, 10, clock);
    db.close();
    clock += 60_001;
    expect(await t.store.sweepBlobs()).toEqual({ removed: 1, bytes: 10 });
    expect(await t.store.blobs.exists(hash)).toBe(false);
    expect(await t.store.integrityCheck()).toEqual({ ok: true, problems: [] });
  });

  it('the sweep never removes a blob still referenced by a message or a submission', async () => {
    const account = await createAccount(t.store);
    const byMessage = await putSample(t.store, 'message');
    const bySubmission = await putSample(t.store, 'submission');
    await t.store.commit([
      { op: 'appendMessage', message: newMessage(account.id, byMessage) },
      {
        op: 'putSubmission',
        submission: { id: 'K2', accountId: account.id, sender: account.address, recipients: ['r@kep.test'], blob: bySubmission, subject: 's', iletiTip: 'standart', submittedAt: new Date(clock) },
      },
    ]);
    clock += 10 * 60_000;
    expect(await t.store.sweepBlobs({ olderThanMs: 0 })).toEqual({ removed: 0, bytes: 0 });
    expect(await t.store.blobs.exists(byMessage.hash)).toBe(true);
    expect(await t.store.blobs.exists(bySubmission.hash)).toBe(true);
  });
});
