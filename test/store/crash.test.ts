/**
 * Crash test: a separate process appends messages with evidence and jobs in a loop and is
 * killed with SIGKILL at a random moment, several times on the same data dir. After each kill
 * a fresh open must pass the integrity check and hold every commit the child reported done.
 */
import { randomInt } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { openEmbeddedStore } from '../../src/store';
import { buildStoreChild, forkStoreChild, type BuiltChild, type ChildMessage } from '../support/store-build';
import { tempDataDir } from '../support/store-fixtures';

const RUNS = 6;

describe('crash safety', () => {
  let built: BuiltChild;
  let dir: string;
  beforeAll(async () => {
    built = await buildStoreChild();
    dir = await tempDataDir();
  });
  afterAll(async () => {
    await built?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`survives ${RUNS} SIGKILLs at random moments without losing an acknowledged commit`, async () => {
    const acknowledged: ChildMessage[] = [];
    const expunged = new Set<string>();
    const expunging = new Set<string>();
    let killedMidWork = 0;

    for (let run = 0; run < RUNS; run++) {
      const child = forkStoreChild(built, ['crash', dir, `r${run}`]);
      await child.next('ready');
      // Let it work for a random while, then kill it wherever it is.
      const delayMs = randomInt(30, 400);
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      const exit = await child.exited;
      expect(exit.signal).toBe('SIGKILL');
      const done = child.messages.filter((m) => m.type === 'done');
      if (done.length > 0) killedMidWork += 1;
      acknowledged.push(...done);
      for (const m of child.messages) {
        if (m.type === 'expunged') expunged.add(m.messageId as string);
        if (m.type === 'expunging') expunging.add(m.messageId as string);
      }

      const store = await openEmbeddedStore({ dataDir: dir });
      try {
        const report = await store.integrityCheck();
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);

        for (const m of acknowledged) {
          const messageId = m.messageId as string;
          const message = await store.messages.get(messageId);
          if (expunged.has(messageId)) {
            expect(message).toBeUndefined();
          } else if (message === undefined && expunging.has(messageId)) {
            // Killed after the expunge committed but before it was reported: gone, legitimately.
            expect(await store.evidence.get(m.evidenceId as string)).toBeDefined();
          } else {
            expect(message).toMatchObject({ uid: m.uid, size: m.size, blobHash: m.blobHash, kind: 'dispatch' });
            expect((await store.blobs.read(m.blobHash as string, { start: 0, end: 0 })).length).toBe(0);
            expect(await store.blobs.exists(m.blobHash as string)).toBe(true);
          }
          const evidence = await store.evidence.get(m.evidenceId as string);
          expect(evidence?.record.xmlHash).toBe(m.xmlHash);
          // The job is there: enqueueing its key again is a no-op.
          const [job] = await store.commit([{ op: 'enqueueJob', job: { kind: 'crash-test', payload: {}, uniqueKey: m.jobKey as string } }]);
          expect(job).toMatchObject({ created: false });
        }

        const account = (await store.accounts.getByAddress('crash@kep.test'))!;
        const inbox = (await store.mailboxes.get(account.id, 'INBOX'))!;
        const list = await store.messages.list(inbox.id);
        expect(new Set(list.map((x) => x.uid)).size).toBe(list.length);
        expect(await store.accounts.usage(account.id)).toBe(list.reduce((s, x) => s + x.size, 0));
      } finally {
        await store.close();
      }
    }
    // The test is only meaningful if the child got work done before being killed.
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(killedMidWork).toBeGreaterThan(0);
  });
});
