/**
 * Evidence is archived in the database, in the transaction of the commit that issues it: a
 * commit that fails leaves no evidence anywhere, a replay keeps one. Data dirs of schema 3
 * (one archive file per evidence, staged through temp links) are upgraded: every file an index
 * row names is imported and kept in place; the temp links a crash of the old version left tell
 * which archive files were never issued (removed) and which were (kept and imported).
 */
import { spawnSync } from 'node:child_process';
import { link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { BlobNotFound, openEmbeddedStore, type NewEvidence } from '../../src/store';
import { evidenceRelativePath, stagingLabel } from '../../src/store/embedded/archive-files';
import { SqliteDb } from '../../src/store/embedded/database';
import { migrate, SCHEMA_VERSION } from '../../src/store/embedded/migrations';
import { createAccount, openTempStore, sampleEvidence, sha256, tempDataDir, type TempStore } from '../support/store-fixtures';

/** A pid that certainly belongs to no running process: a child that has exited and been reaped. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('evidence archived with its commit', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await openTempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('a commit that fails leaves no evidence: no row, no file in the archive or tmp/', async () => {
    const account = await createAccount(t.store);
    const evidence = sampleEvidence({ accountId: account.id });
    const missing = { hash: 'a'.repeat(64), size: 10 };
    await expect(
      t.store.commit([
        { op: 'putEvidence', evidence },
        { op: 'appendMessage', message: { accountId: account.id, mailboxPath: 'INBOX', blob: missing, kind: 'appended' } },
      ]),
    ).rejects.toBeInstanceOf(BlobNotFound);
    expect(await filesUnder(join(t.dir, 'archive'))).toEqual([]);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
    expect(await t.store.evidence.get(evidence.record.id)).toBeUndefined();

    // The same evidence commits cleanly afterwards.
    const [r] = await t.store.commit([{ op: 'putEvidence', evidence }]);
    expect(r).toMatchObject({ created: true });
    expect((await t.store.evidence.get(evidence.record.id))?.xml.equals(evidence.xml)).toBe(true);
    expect(await filesUnder(join(t.dir, 'archive'))).toEqual([]);
  });

  it('two commits of one evidence key at once archive it once', async () => {
    const evidence = sampleEvidence({ uniqueKey: 'delivery:K1:1' });
    const other = sampleEvidence({ uniqueKey: 'delivery:K1:1' });
    const results = await Promise.all([t.store.commit([{ op: 'putEvidence', evidence }]), t.store.commit([{ op: 'putEvidence', evidence: other }])]);
    expect(results.map(([r]) => (r as { created: boolean }).created).sort()).toEqual([false, true]);
    expect(await t.store.evidence.list()).toHaveLength(1);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
    expect((await t.store.integrityCheck()).problems).toEqual([]);
  });
});

/** Writes evidence the way schema 3 did: an index row naming a file under archive/. */
function legacyRow(db: SqliteDb, ev: NewEvidence, rel: string): void {
  db.run(
    `INSERT INTO evidence (id, unique_key, type, event, message_id, recipient_index, reason_code, account_id, event_time, created_at, xml_hash, xml_size, file)
     VALUES (?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, ?, ?, ?)`,
    ev.record.id,
    ev.uniqueKey ?? null,
    ev.record.type,
    ev.record.event,
    ev.record.eventTime.getTime(),
    Date.now(),
    sha256(ev.xml),
    ev.xml.length,
    rel,
  );
}

describe('upgrade from file-archived evidence (schema 3)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDataDir();
    for (const d of ['db', 'archive', 'tmp', 'blobs']) await mkdir(join(dir, d), { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const archived = async (): Promise<string[]> => (await filesUnder(join(dir, 'archive'))).map((p) => relative(join(dir, 'archive'), p)).sort();

  async function schema3(fill: (db: SqliteDb) => Promise<void>): Promise<void> {
    const db = new SqliteDb({ file: join(dir, 'db', 'kepd.sqlite') });
    try {
      expect(migrate(db, () => new Date(), 3)).toBe(3);
      await fill(db);
    } finally {
      db.close();
    }
  }

  async function archiveFile(rel: string, data: Buffer | string): Promise<void> {
    await mkdir(dirname(join(dir, 'archive', rel)), { recursive: true });
    await writeFile(join(dir, 'archive', rel), data);
  }

  it('imports every archive file into the database, keeps the files, and numbers new evidence after them', async () => {
    const old = [0, 1, 2].map((i) => sampleEvidence({ uniqueKey: `acceptance:K${i}`, eventTime: new Date(Date.UTC(2025, i, 10)) }));
    await schema3(async (db) => {
      for (const ev of old) {
        const rel = evidenceRelativePath(ev.record.id, ev.record.eventTime);
        legacyRow(db, ev, rel);
        await archiveFile(rel, ev.xml);
      }
    });
    const before = await archived();
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      for (const ev of old) {
        const found = await store.evidence.get(ev.record.id);
        expect(found?.xml.equals(ev.xml)).toBe(true);
        expect(found?.record).toMatchObject({ id: ev.record.id, xmlHash: sha256(ev.xml) });
        expect(found).not.toHaveProperty('data');
        expect(await store.evidence.getByKey(ev.uniqueKey!)).toMatchObject({ id: ev.record.id });
      }
      // The files are kept, untouched: the database copy is now what is read.
      expect(await archived()).toEqual(before);
      for (const rel of before) await rm(join(dir, 'archive', rel));
      expect((await store.evidence.get(old[1].record.id))?.xml.equals(old[1].xml)).toBe(true);
      // The append-only guard is back, and new evidence comes after the imported ones.
      const fresh = sampleEvidence();
      await store.commit([{ op: 'putEvidence', evidence: fresh }]);
      expect((await store.evidence.list()).map((e) => e.id)).toEqual([fresh.record.id, ...old.map((e) => e.record.id).reverse()]);
      expect((await store.integrityCheck()).problems).toEqual([]);
    } finally {
      await store.close();
    }
    const raw = new Database(join(dir, 'db', 'kepd.sqlite'));
    try {
      expect(() => raw.prepare('DELETE FROM evidence').run()).toThrow(/append-only/);
      expect(raw.prepare('SELECT max(version) AS v FROM schema_version').get()).toEqual({ v: SCHEMA_VERSION });
    } finally {
      raw.close();
    }
  });

  it('a missing or altered archive file is not imported: its row keeps naming it and the check reports it', async () => {
    const missing = sampleEvidence();
    const altered = sampleEvidence();
    await schema3(async (db) => {
      legacyRow(db, missing, 'x/missing.xml');
      legacyRow(db, altered, 'x/altered.xml');
      await archiveFile('x/altered.xml', altered.xml.toString().replace('Pad', 'PAD'));
    });
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const problems = (await store.integrityCheck()).problems.join('\n');
      expect(problems).toMatch(new RegExp(`evidence ${missing.record.id}: archive file x/missing.xml missing`));
      expect(problems).toMatch(new RegExp(`evidence ${altered.record.id}: archive file x/altered.xml does not match`));
      await expect(store.evidence.get(missing.record.id)).rejects.toThrow(/missing/);
      // Should the right file turn up again, it is read from where it always was.
      await archiveFile('x/altered.xml', altered.xml);
      expect((await store.evidence.get(altered.record.id))?.xml.equals(altered.xml)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('after a crash of the old version, an archive file no row names is removed on open; one a row names is kept and imported', async () => {
    const kept = sampleEvidence({ eventTime: new Date('2025-04-30T23:00:00Z') });
    const keptRel = evidenceRelativePath(kept.record.id, kept.record.eventTime);
    const unissued = sampleEvidence({ eventTime: new Date('2025-05-01T08:00:00Z') });
    const unissuedRel = evidenceRelativePath(unissued.record.id, unissued.record.eventTime);
    const neverLinked = sampleEvidence({ eventTime: new Date('2025-05-01T09:00:00Z') });
    const neverLinkedRel = evidenceRelativePath(neverLinked.record.id, neverLinked.record.eventTime);
    await schema3(async (db) => {
      legacyRow(db, kept, keptRel);
      await archiveFile(keptRel, kept.xml);
    });
    // What a process killed between staging and the end of its commit leaves: archive links
    // and their temp links named after them. One commit got its row in, the other did not.
    const pid = deadPid();
    const tmp = join(dir, 'tmp');
    await link(join(dir, 'archive', keptRel), join(tmp, `${pid}.0123456789abcdef.evidence.${stagingLabel(keptRel)}.tmp`));
    const unissuedTemp = join(tmp, `${pid}.fedcba9876543210.evidence.${stagingLabel(unissuedRel)}.tmp`);
    await writeFile(unissuedTemp, unissued.xml);
    await mkdir(join(dir, 'archive', '2025', '05'), { recursive: true });
    await link(unissuedTemp, join(dir, 'archive', unissuedRel));
    // A temp whose archive link was never made, and an unrelated file of the same name (kept).
    await writeFile(join(tmp, `${pid}.00112233445566aa.evidence.${stagingLabel(neverLinkedRel)}.tmp`), neverLinked.xml);
    await writeFile(join(dir, 'archive', neverLinkedRel), 'not the staged file');

    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      expect(await archived()).toEqual([keptRel, neverLinkedRel].sort());
      expect(await readdir(tmp)).toEqual([]);
      expect((await store.evidence.get(kept.record.id))?.xml.equals(kept.xml)).toBe(true);
      expect(await store.evidence.get(unissued.record.id)).toBeUndefined();
      expect((await store.integrityCheck()).problems).toEqual([]);
      expect(await readFile(join(dir, 'archive', neverLinkedRel), 'utf8')).toBe('not the staged file');
    } finally {
      await store.close();
    }
  });
});
