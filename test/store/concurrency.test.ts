/**
 * Two store instances on one data dir, as the daemon and the CLI would be: first two
 * connections in this process with interleaved awaits, then two separate processes
 * appending and flagging at the same time.
 */
import { buildStoreChild, forkStoreChild, type BuiltChild } from '../support/store-build';
import { createAccount, newMessage, openTempStore, putSample, type TempStore } from '../support/store-fixtures';

describe('concurrent store instances', () => {
  let t: TempStore;
  let built: BuiltChild;
  beforeAll(async () => {
    built = await buildStoreChild();
  });
  afterAll(async () => {
    await built?.cleanup();
  });
  beforeEach(async () => {
    t = await openTempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('two connections in one process interleave commits without duplicate UIDs', async () => {
    const other = await t.reopen();
    const account = await createAccount(t.store);
    const work = [t.store, other].map(async (store, n) => {
      const uids: number[] = [];
      for (let i = 0; i < 50; i++) {
        const blob = await putSample(store, `c${n}-${i}`);
        const [r] = await store.commit([{ op: 'appendMessage', message: newMessage(account.id, blob) }]);
        if (r.op === 'appendMessage') uids.push(r.message.uid);
      }
      return uids;
    });
    const [a, b] = await Promise.all(work);
    const all = [...a, ...b].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((await other.integrityCheck()).problems).toEqual([]);
  });

  it('two processes appending and flagging at once lose no update and share no UID', async () => {
    const account = await createAccount(t.store);
    // Shared messages both processes add keywords to (a lost update would drop some).
    for (let i = 0; i < 5; i++) await t.store.messages.append(newMessage(account.id, await putSample(t.store), { kind: 'sent' }));
    const count = 60;
    const children = ['pa', 'pb'].map((tag) => forkStoreChild(built, ['append', t.dir, account.id, String(count), tag]));
    await Promise.all(children.map((c) => c.next('ready')));
    for (const c of children) c.send({ type: 'go' });
    const results = await Promise.all(children.map((c) => c.next('finished')));
    const exits = await Promise.all(children.map((c) => c.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);

    const uids = results.flatMap((r) => r.uids as number[]);
    expect(new Set(uids).size).toBe(2 * count);
    const inbox = (await t.store.mailboxes.get(account.id, 'INBOX'))!;
    const list = await t.store.messages.list(inbox.id);
    expect(list.map((m) => m.uid)).toEqual(Array.from({ length: 5 + 2 * count }, (_, i) => i + 1));
    expect(inbox.uidNext).toBe(6 + 2 * count);
    expect(await t.store.accounts.usage(account.id)).toBe(list.reduce((s, m) => s + m.size, 0));

    const keywords = list.filter((m) => m.kind === 'sent').flatMap((m) => m.flags);
    const expected = ['pa', 'pb'].flatMap((tag) => Array.from({ length: count }, (_, i) => `${tag}k${i}`));
    expect(keywords.sort()).toEqual(expected.sort());
    // Every change has its own journal entry with a modseq not above the mailbox's.
    const journal = await t.store.messages.journal(inbox.id, 0);
    expect(journal.filter((e) => e.command === 'FETCH')).toHaveLength(2 * count);
    expect(Math.max(...journal.map((e) => e.modseq))).toBe(inbox.modifyIndex);
    expect((await t.store.integrityCheck()).problems).toEqual([]);
  });
});
