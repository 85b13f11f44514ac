/**
 * WAL checkpoints off the event loop (store/embedded/checkpointer.ts): with `background`, a
 * thread of the store's own checkpoints, so the WAL stops growing although no commit
 * checkpoints; with `elsewhere` (a job thread's connection, whose owner checkpoints) nothing
 * here does, and the WAL grows with every commit — which is what makes the first test able to
 * fail. Either way the data is all there after a reopen.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MailStore } from '../../src/store';
import { afterPassivePass, DEFAULT_CHECKPOINT_OPTIONS } from '../../src/store/embedded/checkpointer';
import { writeGateFor } from '../../src/store/embedded/write-gate';
import { createAccount, newMessage, openTempStore, putSample, type TempStore } from '../support/store-fixtures';

const COMMITS = 240;
const BODY = 16 * 1024;

/** Bytes of the WAL's current generation (frames since it last started over). */
function walBytes(dir: string): number {
  const db = new Database(join(dir, 'db', 'kepd.sqlite'));
  try {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    return r.log * pageSize;
  } finally {
    db.close();
  }
}

async function writeMessages(store: MailStore): Promise<string> {
  const account = await createAccount(store);
  for (let i = 0; i < COMMITS; i++) {
    const blob = await putSample(store, `m${i}`, BODY);
    await store.commit([{ op: 'appendMessage', message: newMessage(account.id, blob) }]);
    // Give the checkpoint thread its turns, as a daemon's idle moments would.
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 20));
  }
  return account.id;
}

describe('WAL checkpoints', () => {
  let t: TempStore | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  it('a background thread keeps the WAL small while commits never checkpoint', async () => {
    t = await openTempStore({ checkpoints: 'background', checkpointOptions: { thresholdBytes: 256 * 1024, intervalMs: 10 } });
    const accountId = await writeMessages(t.store);
    // Every message's bytes went through the WAL (inline blobs): without checkpoints it would hold them all.
    expect(walBytes(t.dir)).toBeLessThan((COMMITS * BODY) / 2);
    const reader = await t.reopen({ checkpoints: 'elsewhere' });
    const inbox = await reader.mailboxes.get(accountId, 'INBOX');
    expect(inbox).toBeDefined();
    expect(await reader.messages.list(inbox!.id)).toHaveLength(COMMITS);
  });

  it('the FULL step waits for the write gate of the writer threads, and runs once it is free', async () => {
    t = await openTempStore({ checkpoints: 'elsewhere' });
    await writeMessages(t.store);
    const gate = writeGateFor(join(t.dir, 'db', 'kepd.sqlite'));
    gate.enter();
    let held = true;
    try {
      // A checkpointing store on the same database: its thread copies the WAL (PASSIVE), then
      // queues at the gate for the FULL step instead of taking SQLite's write lock under us.
      await t.reopen({ checkpoints: 'background', checkpointOptions: { thresholdBytes: 0, intervalMs: 10, fullWithinPages: 1e9 } });
      for (let i = 0; i < 300 && !gate.othersWaiting(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(gate.othersWaiting()).toBe(true);
      gate.leave();
      held = false;
      for (let i = 0; i < 300 && gate.othersWaiting(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(gate.othersWaiting()).toBe(false);
    } finally {
      if (held) gate.leave();
    }
  });

  it('without a checkpointing thread the WAL holds every commit', async () => {
    t = await openTempStore({ checkpoints: 'elsewhere' });
    await writeMessages(t.store);
    expect(walBytes(t.dir)).toBeGreaterThan(COMMITS * BODY);
  });

  it('PASSIVE runs again while writers committed many pages during the last pass, so FULL (writers held off) copies only what a short pass left', () => {
    const o = { fullWithinPages: 256, maxPasses: 4, catchUpPages: 64 };
    // First pass: everything so far copied, but a quarter second of commits is a lot to copy with writers held.
    expect(afterPassivePass({ log: 6000, checkpointed: 6000 }, undefined, 1, o)).toBe('passive');
    // Second: 700 pages came while the first copied: once more; third: 60 new pages: FULL now.
    expect(afterPassivePass({ log: 6700, checkpointed: 6700 }, 6000, 2, o)).toBe('passive');
    expect(afterPassivePass({ log: 6760, checkpointed: 6760 }, 6700, 3, o)).toBe('full');
    // A WAL that was small to begin with goes straight to FULL.
    expect(afterPassivePass({ log: 40, checkpointed: 40 }, undefined, 1, o)).toBe('full');
    // Writers that never let up: FULL after maxPasses all the same (else the WAL never starts over).
    expect(afterPassivePass({ log: 9000, checkpointed: 9000 }, 8000, 4, o)).toBe('full');
    // A writer started the WAL over between passes: little to copy.
    expect(afterPassivePass({ log: 30, checkpointed: 30 }, 6000, 2, o)).toBe('full');
    // A reader holds pages back: no FULL (it would wait for the reader with the writers held), no more passes.
    expect(afterPassivePass({ log: 6000, checkpointed: 5000 }, undefined, 1, o)).toBe('stop');
    expect(afterPassivePass({ log: 6700, checkpointed: 6000 }, 6000, 2, o)).toBe('stop');
    expect(DEFAULT_CHECKPOINT_OPTIONS.maxPasses).toBeGreaterThan(1);
  });
});
