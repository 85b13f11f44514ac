import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { ConflictError } from '../../src/errors';
import { StoredDataCorrupt } from '../../src/store';
import { evidenceFileName } from '../../src/store/embedded/archive-files';
import { createAccount, newMessage, openTempStore, putSample, sampleEvidence, sha256, type TempStore } from '../support/store-fixtures';

describe('evidence archive', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await openTempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const dbFile = (): string => join(t.dir, 'db', 'kepd.sqlite');

  it('archives the XML exactly as given, with its data, in the database (no file per evidence)', async () => {
    const evidence = { ...sampleEvidence({ id: 'ev-01JDABC/../x@kep.test', eventTime: new Date('2024-03-31T23:59:59Z') }), data: { type: 'x', n: [1, 'ş', null] } };
    const [r] = await t.store.commit([{ op: 'putEvidence', evidence }]);
    expect(r).toMatchObject({ created: true, record: { xmlHash: sha256(evidence.xml) } });
    const found = await t.store.evidence.get(evidence.record.id);
    expect(found?.xml.equals(evidence.xml)).toBe(true);
    expect(found?.data).toEqual(evidence.data);
    expect(await readdir(join(t.dir, 'archive'))).toEqual([]);
    // What comes back is the exact, well-formed XML given (checked by a stock parser).
    const file = join(t.dir, 'tmp', 'check.xml');
    await writeFile(file, found!.xml);
    await promisify(execFile)('xmllint', ['--noout', '--nonet', file]);
    await rm(file);
    // Without data, none comes back.
    const plain = sampleEvidence();
    await t.store.commit([{ op: 'putEvidence', evidence: plain }]);
    expect(await t.store.evidence.get(plain.record.id)).not.toHaveProperty('data');
  });

  it('names distinct ids distinctly', () => {
    const ids = ['ev-1@a', 'ev-1_40a', 'ev-1.a', '.hidden', 'ev-1/a', 'ev-ş@a', 'x'.repeat(400), 'x'.repeat(401)];
    const names = ids.map(evidenceFileName);
    expect(new Set(names).size).toBe(ids.length);
    for (const n of names) {
      expect(n).toMatch(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/);
      expect(n.length).toBeLessThanOrEqual(180);
    }
  });

  it('refuses UPDATE and DELETE of evidence rows in the database itself', async () => {
    const evidence = sampleEvidence();
    await t.store.commit([{ op: 'putEvidence', evidence }]);
    // A separate connection, as any tool or bug outside the store would use.
    const raw = new Database(dbFile());
    try {
      expect(() => raw.prepare(`UPDATE evidence SET xml_hash = 'x'`).run()).toThrow(/evidence is append-only/);
      expect(() => raw.prepare(`UPDATE evidence SET xml = x'00'`).run()).toThrow(/evidence is append-only/);
      expect(() => raw.prepare('DELETE FROM evidence').run()).toThrow(/evidence is append-only/);
      expect(raw.prepare('SELECT count(*) AS n FROM evidence').get()).toEqual({ n: 1 });
    } finally {
      raw.close();
    }
    expect((await t.store.evidence.get(evidence.record.id))?.xml.equals(evidence.xml)).toBe(true);
  });

  it('expunging messages and deleting folders frees quota but never touches evidence', async () => {
    const account = await createAccount(t.store);
    const blob = await putSample(t.store, 'receipt', 2000);
    const evidence = sampleEvidence({ accountId: account.id, messageId: 'K9' });
    await t.store.commit([
      { op: 'putEvidence', evidence },
      { op: 'appendMessage', message: newMessage(account.id, blob, { mailboxPath: 'Delil', kind: 'receipt', evidenceId: evidence.record.id, flags: ['\\Deleted'] }) },
      { op: 'appendMessage', message: newMessage(account.id, blob, { mailboxPath: 'Trash', kind: 'receipt', evidenceId: evidence.record.id }) },
    ]);
    expect(await t.store.accounts.usage(account.id)).toBe(2 * blob.size);
    const delil = (await t.store.mailboxes.get(account.id, 'Delil'))!;
    expect(await t.store.messages.expunge(delil.id)).toEqual([1]);
    expect(await t.store.accounts.usage(account.id)).toBe(blob.size);
    await t.store.mailboxes.delete(account.id, 'Trash');
    expect(await t.store.accounts.usage(account.id)).toBe(0);

    const kept = await t.store.evidence.get(evidence.record.id);
    expect(kept?.xml.equals(evidence.xml)).toBe(true);
    expect(await t.store.evidence.list({ accountId: account.id })).toHaveLength(1);
    expect(await t.store.evidence.list({ messageId: 'K9' })).toHaveLength(1);
    expect((await t.store.integrityCheck()).problems).toEqual([]);
  });

  it('lists newest first with filters and limit', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const e = sampleEvidence({ messageId: i % 2 === 0 ? 'even' : 'odd', accountId: 'acc' });
      ids.push(e.record.id);
      await t.store.commit([{ op: 'putEvidence', evidence: e }]);
    }
    expect((await t.store.evidence.list()).map((e) => e.id)).toEqual([...ids].reverse());
    expect((await t.store.evidence.list({ messageId: 'even' })).map((e) => e.id)).toEqual([ids[4], ids[2], ids[0]]);
    expect((await t.store.evidence.list({ messageId: 'odd', accountId: 'acc', limit: 1 })).map((e) => e.id)).toEqual([ids[3]]);
    expect(await t.store.evidence.list({ accountId: 'nobody' })).toEqual([]);
  });

  it('same id: identical bytes are a replay, other bytes a conflict; a crashed attempt file is kept', async () => {
    const evidence = sampleEvidence({ eventTime: new Date('2025-06-01T00:00:00Z') });
    // A file an attempt left behind before it crashed (no index row), with other bytes.
    const dir = join(t.dir, 'archive', '2025', '06');
    await mkdir(dir, { recursive: true });
    const leftover = join(dir, evidenceFileName(evidence.record.id) + '.xml');
    await writeFile(leftover, 'partial');
    const [r] = await t.store.commit([{ op: 'putEvidence', evidence }]);
    expect(r).toMatchObject({ created: true });
    expect(await readFile(leftover, 'utf8')).toBe('partial');
    expect((await t.store.evidence.get(evidence.record.id))?.xml.equals(evidence.xml)).toBe(true);

    const [again] = await t.store.commit([{ op: 'putEvidence', evidence }]);
    expect(again).toMatchObject({ created: false });
    await expect(
      t.store.commit([{ op: 'putEvidence', evidence: { ...evidence, xml: Buffer.from('<other/>') } }]),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('get() refuses archived XML that no longer matches its digest', async () => {
    const evidence = sampleEvidence({ eventTime: new Date('2025-01-15T00:00:00Z') });
    await t.store.commit([{ op: 'putEvidence', evidence }]);
    const raw = new Database(dbFile());
    try {
      // Past the append-only guard, as only someone with the database file could.
      raw.exec('DROP TRIGGER evidence_no_update');
      raw.prepare('UPDATE evidence SET xml = ? WHERE id = ?').run(Buffer.from(evidence.xml.toString().replace('Pad', 'PAD')), evidence.record.id);
    } finally {
      raw.close();
    }
    await expect(t.store.evidence.get(evidence.record.id)).rejects.toBeInstanceOf(StoredDataCorrupt);
    const report = await t.store.integrityCheck();
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/archived XML does not match its recorded SHA-256/);
  });
});
