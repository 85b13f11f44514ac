/**
 * No evidence file outlives a commit that did not index it: a failed commit removes the files
 * it staged, and the temp links a crash leaves behind tell the next open which archive files
 * were never issued (removed) and which were (kept).
 */
import { spawnSync } from 'node:child_process';
import { link, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BlobNotFound } from '../../src/store';
import { evidenceRelativePath, stagingLabel } from '../../src/store/embedded/archive-files';
import { createAccount, openTempStore, sampleEvidence, type TempStore } from '../support/store-fixtures';

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

describe('evidence files and their commit', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await openTempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const archived = async (): Promise<string[]> => (await filesUnder(join(t.dir, 'archive'))).map((p) => relative(join(t.dir, 'archive'), p));

  it('a commit that fails after its evidence was written leaves no file in the archive or tmp/', async () => {
    const account = await createAccount(t.store);
    const evidence = sampleEvidence({ accountId: account.id });
    const missing = { hash: 'a'.repeat(64), size: 10 };
    await expect(
      t.store.commit([
        { op: 'putEvidence', evidence },
        { op: 'appendMessage', message: { accountId: account.id, mailboxPath: 'INBOX', blob: missing, kind: 'appended' } },
      ]),
    ).rejects.toBeInstanceOf(BlobNotFound);
    expect(await archived()).toEqual([]);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
    expect(await t.store.evidence.get(evidence.record.id)).toBeUndefined();

    // The same evidence commits cleanly afterwards, under its first name.
    const [r] = await t.store.commit([{ op: 'putEvidence', evidence }]);
    expect(r).toMatchObject({ created: true });
    expect(await archived()).toEqual([evidenceRelativePath(evidence.record.id, evidence.record.eventTime)]);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
  });

  it('a replay that finds its evidence indexed by a concurrent commit keeps one file', async () => {
    const evidence = sampleEvidence({ uniqueKey: 'delivery:K1:1' });
    const other = sampleEvidence({ uniqueKey: 'delivery:K1:1' });
    const results = await Promise.all([t.store.commit([{ op: 'putEvidence', evidence }]), t.store.commit([{ op: 'putEvidence', evidence: other }])]);
    expect(results.map(([r]) => (r as { created: boolean }).created).sort()).toEqual([false, true]);
    expect(await archived()).toHaveLength(1);
    expect(await readdir(join(t.dir, 'tmp'))).toEqual([]);
    expect((await t.store.integrityCheck()).problems).toEqual([]);
  });

  it('after a crash, an archive file no row names is removed on open; one a row names is kept', async () => {
    const kept = sampleEvidence({ eventTime: new Date('2025-04-30T23:00:00Z') });
    await t.store.commit([{ op: 'putEvidence', evidence: kept }]);
    const keptRel = evidenceRelativePath(kept.record.id, kept.record.eventTime);
    const unissued = sampleEvidence({ eventTime: new Date('2025-05-01T08:00:00Z') });
    const unissuedRel = evidenceRelativePath(unissued.record.id, unissued.record.eventTime);

    // What a process killed between staging and the end of its commit leaves: archive links
    // and their temp links named after them. One commit got its row in, the other did not.
    const pid = deadPid();
    const tmp = join(t.dir, 'tmp');
    const keptTemp = join(tmp, `${pid}.0123456789abcdef.evidence.${stagingLabel(keptRel)}.tmp`);
    await link(join(t.dir, 'archive', keptRel), keptTemp);
    const unissuedTemp = join(tmp, `${pid}.fedcba9876543210.evidence.${stagingLabel(unissuedRel)}.tmp`);
    await writeFile(unissuedTemp, unissued.xml);
    await mkdir(join(t.dir, 'archive', '2025', '05'), { recursive: true });
    await link(unissuedTemp, join(t.dir, 'archive', unissuedRel));
    // A temp whose archive link was never made, and an unrelated file of the same name (kept).
    const neverLinked = sampleEvidence({ eventTime: new Date('2025-05-01T09:00:00Z') });
    const neverLinkedRel = evidenceRelativePath(neverLinked.record.id, neverLinked.record.eventTime);
    await writeFile(join(tmp, `${pid}.00112233445566aa.evidence.${stagingLabel(neverLinkedRel)}.tmp`), neverLinked.xml);
    await writeFile(join(t.dir, 'archive', neverLinkedRel), 'not the staged file');

    expect((await t.store.integrityCheck()).problems.filter((p) => p.startsWith('temp file'))).toHaveLength(3);
    const reopened = await t.reopen();
    expect((await archived()).sort()).toEqual([keptRel, neverLinkedRel].sort());
    expect(await readdir(tmp)).toEqual([]);
    expect((await reopened.evidence.get(kept.record.id))?.xml.equals(kept.xml)).toBe(true);
    expect(await reopened.evidence.get(unissued.record.id)).toBeUndefined();
    expect((await reopened.integrityCheck()).problems).toEqual([]);
  });
});
