/**
 * The daemon sweeps: a message file nothing references (what a crash or a failed commit leaves)
 * disappears without a restart, while the files of stored messages stay. The store is opened
 * with a grace period of seconds instead of an hour (the grace is what keeps files of commits
 * in progress safe from the sweep).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir } from '../../src/cli/init';
import { openEmbeddedStore, type MailStore } from '../../src/store';
import { addUser, DOMAIN, removeDir, settle, startProvider, submit, type TestProvider } from '../support/e2e';
import { mailbox, queuedId } from '../support/e2e-inspect';
import { signWithOpenssl } from '../support/smime';

let p: TestProvider | undefined;
let dir: string;

afterAll(async () => {
  await p?.stop();
  removeDir(dir);
});

test('unreferenced message files are swept by the running daemon; referenced ones stay', async () => {
  dir = mkdtempSync(join(tmpdir(), 'kepd-sweep-'));
  await initDataDir(dir, DOMAIN, 'Sweep Test KEPHS');
  const store: MailStore = await openEmbeddedStore({ dataDir: dir, blobGraceMs: 3000, stagedBlobTtlMs: 1000 });
  p = await startProvider({ dir, env: { KEPD_STORE_SWEEP_INTERVAL_MS: '100' }, runtime: { store } });
  const ali = await addUser(p, 'ali.veli');
  const ayse = await addUser(p, 'ayse.kaya');
  const r = await submit(p, ali, signWithOpenssl({ from: ali.address, to: [ayse.address], subject: 'Süpürme' }, ali.certPath, ali.keyPath), { to: [ayse.address] });
  expect(r.response).toMatch(/^250 /);
  await settle(p);

  // A file committed as a blob that nothing ever came to reference (large: small blobs are
  // staged in memory, not written, until a commit references them).
  const orphan = await store.blobs.put(Buffer.concat([Buffer.from('From: nobody@kep.test\r\n\r\n'), Buffer.alloc(512 * 1024, 'x')]));
  // A small one: staged, never referenced, so it is dropped after the staging time-to-live.
  const small = await store.blobs.put(Buffer.from('From: nobody@kep.test\r\n\r\nleft by an interrupted commit\r\n'));
  for (const b of [orphan, small]) expect(await store.blobs.exists(b.hash)).toBe(true);
  for (let i = 0; i < 600 && ((await store.blobs.exists(orphan.hash)) || (await store.blobs.exists(small.hash))); i++) await new Promise((res) => setTimeout(res, 50));
  expect(await store.blobs.exists(orphan.hash)).toBe(false);
  expect(await store.blobs.exists(small.hash)).toBe(false);

  const inbox = await mailbox(p, ayse.address, 'INBOX');
  expect(inbox.map((m) => m.record.providerMessageId)).toEqual([queuedId(r.response)]);
  for (const m of [...inbox, ...(await mailbox(p, ali.address, 'Sent')), ...(await mailbox(p, ali.address, 'Delil'))]) {
    expect(await store.blobs.exists(m.record.blobHash)).toBe(true);
  }
  expect((await store.integrityCheck()).problems).toEqual([]);
});
