/**
 * Group commit: concurrent writes share one transaction and one fsync, each in its own
 * savepoint; nothing resolves, fires an event or becomes visible to this store's readers
 * before the fsync that makes it durable has completed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LeaseLost, MailboxNotFound, StoreUnavailable, type MailboxChangeEvent } from '../../src/store';
import { SqliteDb } from '../../src/store/embedded/database';
import { GroupCommit } from '../../src/store/embedded/group-commit';
import type { WalSyncer } from '../../src/store/embedded/wal-sync';
import { createAccount, newMessage, openTempStore, putSample, tempDataDir, type TempStore } from '../support/store-fixtures';

/** A syncer the test releases by hand, recording what was visible when each fsync started. */
class HeldSyncer implements WalSyncer {
  calls = 0;
  private waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  constructor(private readonly inner?: WalSyncer) {}
  sync(): Promise<void> {
    this.calls += 1;
    return new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  get held(): number {
    return this.waiting.length;
  }
  async release(): Promise<void> {
    const w = this.waiting.shift();
    if (!w) throw new Error('no fsync is waiting');
    await this.inner?.sync();
    w.resolve();
  }
  fail(err: Error): void {
    this.waiting.shift()!.reject(err);
  }
  async close(): Promise<void> {
    await this.inner?.close();
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await turn();
  if (!cond()) throw new Error('condition never held');
}

describe('group commit (unit)', () => {
  let dir: string;
  let db: SqliteDb;
  let syncer: HeldSyncer;
  let gc: GroupCommit;
  beforeEach(async () => {
    dir = await tempDataDir();
    mkdirSync(join(dir, 'db'));
    db = new SqliteDb({ file: join(dir, 'db', 'x.sqlite') });
    db.raw.exec('CREATE TABLE t (k TEXT PRIMARY KEY) STRICT');
    syncer = new HeldSyncer();
    gc = new GroupCommit(db, syncer);
  });
  afterEach(() => {
    db.close();
  });

  const insert = (k: string) => ({ run: () => db.run('INSERT INTO t (k) VALUES (?)', k).changes });
  const keys = (): string[] => db.all<{ k: string }>('SELECT k FROM t ORDER BY k').map((r) => r.k);

  it('one transaction and one fsync for the requests of a turn; a failing one rolls back only itself', async () => {
    const a = gc.submit(insert('a'));
    const b = gc.submit({ run: () => {
      db.run('INSERT INTO t (k) VALUES (?)', 'b');
      throw new LeaseLost('job-b');
    } });
    const dup = gc.submit(insert('a'));
    const c = gc.submit(insert('c'));
    await until(() => syncer.held === 1);
    expect(gc.stats).toMatchObject({ batches: 1, syncs: 1 });
    await syncer.release();
    await expect(a).resolves.toBe(1);
    await expect(b).rejects.toBeInstanceOf(LeaseLost);
    // By message: better-sqlite3's error class may come from another test file's realm when
    // jest reuses a worker, and then is no `Error` here.
    await expect(dup).rejects.toMatchObject({ message: expect.stringMatching(/UNIQUE/) });
    await expect(c).resolves.toBe(1);
    expect(keys()).toEqual(['a', 'c']);
    expect(syncer.calls).toBe(1);
  });

  it('never resolves before the fsync; requests arriving meanwhile wait and share the next batch', async () => {
    const settled: string[] = [];
    const first = gc.submit({ ...insert('1'), done: () => settled.push('done 1') }).then(() => settled.push('resolved 1'));
    await until(() => syncer.held === 1);
    // Committed, not yet durable: nothing has settled, and readers are told to wait.
    expect(settled).toEqual([]);
    const barrier = gc.settled();
    expect(barrier).toBeDefined();
    const later = [gc.submit(insert('2')), gc.submit(insert('3'))];
    await turn();
    await turn();
    expect(gc.stats.batches).toBe(1);
    await syncer.release();
    await first;
    await barrier;
    expect(settled).toEqual(['done 1', 'resolved 1']);
    await until(() => syncer.held === 1);
    expect(gc.stats).toMatchObject({ batches: 2, syncs: 2 });
    await syncer.release();
    await Promise.all(later);
    expect(keys()).toEqual(['1', '2', '3']);
    expect(gc.settled()).toBeUndefined();
  });

  it('a batch that changed nothing needs no fsync', async () => {
    await expect(gc.submit({ run: () => db.all('SELECT * FROM t').length })).resolves.toBe(0);
    expect(syncer.calls).toBe(0);
  });

  it('a failed fsync fails the whole batch with StoreUnavailable (the callers retry with their keys)', async () => {
    const p = [gc.submit(insert('x')), gc.submit(insert('y'))];
    await until(() => syncer.held === 1);
    syncer.fail(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    for (const r of p) await expect(r).rejects.toBeInstanceOf(StoreUnavailable);
    // The next write goes on.
    const next = gc.submit(insert('z'));
    await until(() => syncer.held === 1);
    await syncer.release();
    await expect(next).resolves.toBe(1);
  });

  it('requests whose work a lost transaction took with it run again in the next batch', async () => {
    const a = gc.submit(insert('a'));
    const lost = gc.submit({ run: () => {
      // What SQLite does on some errors (a full disk): the whole transaction is gone.
      db.raw.exec('ROLLBACK');
      throw new Error('database or disk is full');
    } });
    const c = gc.submit(insert('c'));
    await expect(lost).rejects.toThrow(/disk is full/);
    await until(() => syncer.held === 1);
    await syncer.release();
    await expect(a).resolves.toBe(1);
    await expect(c).resolves.toBe(1);
    expect(keys()).toEqual(['a', 'c']);
  });

  it('a batch gives way to a thread waiting at the gate once it has run yieldAfterMs, and only then', async () => {
    let waiting = false;
    const gate = { enter: () => undefined, leave: () => undefined, othersWaiting: () => waiting };
    const yielding = new GroupCommit(db, syncer, undefined, gate, 5);
    // Each request takes ~3 ms: with nobody waiting the four share one transaction...
    const slow = (k: string) => ({
      run: () => {
        const until = performance.now() + 3;
        while (performance.now() < until);
        return db.run('INSERT INTO t (k) VALUES (?)', k).changes;
      },
    });
    const first = ['a', 'b', 'c', 'd'].map((k) => yielding.submit(slow(k)));
    await until(() => syncer.held === 1);
    expect(yielding.stats).toMatchObject({ batches: 1, requests: 4, yields: 0 });
    await syncer.release();
    await Promise.all(first);
    // ...with a thread waiting, a transaction ends once it has run 5 ms (after two requests,
    // or one if this thread was descheduled): the rest run in the next batches, in order, each
    // batch resolving only after its own fsync.
    waiting = true;
    const second = ['e', 'f', 'g', 'h'].map((k) => yielding.submit(slow(k)));
    let settled = 0;
    void Promise.all(second).then(() => (settled = 1));
    const seen: string[][] = [];
    for (let n = 0; n < 8 && settled === 0; n++) {
      await until(() => syncer.held === 1 || settled === 1);
      if (settled) break;
      seen.push(keys().slice(4));
      await syncer.release();
      await turn();
    }
    await expect(Promise.all(second)).resolves.toEqual([1, 1, 1, 1]);
    expect(yielding.stats.yields).toBeGreaterThanOrEqual(1);
    expect(yielding.stats.batches).toBeGreaterThanOrEqual(3);
    // Each fsync saw a growing prefix of e, f, g, h: nothing skipped or reordered.
    for (const s of seen) expect(s).toEqual(['e', 'f', 'g', 'h'].slice(0, s.length));
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(keys()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('close() lets accepted requests finish and refuses new ones', async () => {
    const a = gc.submit(insert('a'));
    const closing = gc.close();
    await expect(gc.submit(insert('b'))).rejects.toBeInstanceOf(StoreUnavailable);
    await until(() => syncer.held === 1);
    await syncer.release();
    await closing;
    await expect(a).resolves.toBe(1);
  });
});

describe('group commit (store)', () => {
  let t: TempStore;
  let held: HeldSyncer | undefined;
  afterEach(async () => {
    // Whatever a test left held is let go, so the store can close.
    while (held && held.held > 0) await held.release();
    await t.cleanup();
  });

  async function open(): Promise<void> {
    t = await openTempStore({
      wrapSyncer: (inner) => {
        held = new HeldSyncer(inner);
        return held;
      },
    });
  }

  /** Runs `work` with fsyncs passing through at once. */
  async function freely<T>(work: () => Promise<T>): Promise<T> {
    let done = false;
    const p = work().finally(() => (done = true));
    while (!done) {
      if (held!.held > 0) await held!.release();
      await turn();
    }
    return p;
  }

  it('a commit resolves, and fires its events, only after its fsync; this store reads it only then', async () => {
    await open();
    const { account, blob } = await freely(async () => ({ account: await createAccount(t.store), blob: await putSample(t.store) }));
    const inbox = (await freely(() => t.store.mailboxes.get(account.id, 'INBOX')))!;
    const seen: string[] = [];
    t.store.events.on('mailbox-change', (e: MailboxChangeEvent) => seen.push(`event ${e.mailboxId}`));
    const commit = t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, blob) }]).then(() => seen.push('resolved'));
    await until(() => held!.held === 1);
    // In the database, not yet durable: no promise, no event, and this store's readers wait.
    let listed: number | undefined;
    const reader = t.store.messages.list(inbox.id).then((l) => (listed = l.length));
    const usage = t.store.accounts.usage(account.id);
    for (let i = 0; i < 5; i++) await turn();
    expect(seen).toEqual([]);
    expect(listed).toBeUndefined();
    await held!.release();
    await commit;
    await reader;
    expect(seen).toEqual([`event ${inbox.id}`, 'resolved']);
    expect(listed).toBe(1);
    expect(await usage).toBe(blob.size);
  });

  it('concurrent commits share a batch; the one that fails rejects alone and leaves no trace', async () => {
    await open();
    const { account, blobs } = await freely(async () => {
      const a = await createAccount(t.store);
      return { account: a, blobs: [await putSample(t.store, 'one'), await putSample(t.store, 'two'), await putSample(t.store, 'three')] };
    });
    const before = held!.calls;
    const results = Promise.allSettled([
      t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, blobs[0]) }, { op: 'enqueueJob', job: { kind: 'k', payload: {}, uniqueKey: 'j1' } }]),
      t.store.commit([
        { op: 'appendMessage', message: newMessage(account.id, blobs[1]) },
        { op: 'appendMessage', message: newMessage(account.id, blobs[1], { mailboxPath: 'Nowhere' }) },
      ]),
      t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, blobs[2], { mailboxPath: 'Sent' }) }]),
    ]);
    await until(() => held!.held === 1);
    await held!.release();
    const [a, b, c] = await results;
    expect(held!.calls - before).toBe(1);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' && b.reason).toBeInstanceOf(MailboxNotFound);
    expect(c.status).toBe('fulfilled');
    const check = await freely(async () => {
      const inbox = (await t.store.mailboxes.get(account.id, 'INBOX'))!;
      const sent = (await t.store.mailboxes.get(account.id, 'Sent'))!;
      return {
        inbox: (await t.store.messages.list(inbox.id)).map((m) => m.blobHash),
        sent: (await t.store.messages.list(sent.id)).map((m) => m.blobHash),
        uidNext: inbox.uidNext,
        usage: await t.store.accounts.usage(account.id),
        jobs: await t.store.jobs.pendingCount(),
        integrity: (await t.store.integrityCheck()).problems,
      };
    });
    expect(check).toEqual({ inbox: [blobs[0].hash], sent: [blobs[2].hash], uidNext: 2, usage: blobs[0].size + blobs[2].size, jobs: 1, integrity: [] });
    // The rolled-back request's staged blob was not stored; it is still staged for a retry.
    await freely(() => t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, blobs[1]) }]));
  });
});
