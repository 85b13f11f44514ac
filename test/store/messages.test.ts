import { NotFoundError } from '../../src/errors';
import { AccountNotFound, MailboxNotFound, MailboxOperationRefused, type Mailbox, type MailStore } from '../../src/store';
import { createAccount, newMessage, openTempStore, putSample, type TempStore } from '../support/store-fixtures';

async function box(store: MailStore, accountId: string, path: string): Promise<Mailbox> {
  const m = await store.mailboxes.get(accountId, path);
  if (!m) throw new Error(`no mailbox ${path}`);
  return m;
}

describe('messages', () => {
  let t: TempStore;
  let accountId: string;
  beforeEach(async () => {
    t = await openTempStore();
    accountId = (await createAccount(t.store)).id;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function appendN(n: number, path = 'INBOX'): Promise<void> {
    for (let i = 0; i < n; i++) {
      await t.store.messages.append(newMessage(accountId, await putSample(t.store, `m${i}`), { mailboxPath: path }));
    }
  }

  it('the record an append returns is the one stored (every field, optional ones set or not)', async () => {
    const blob = await putSample(t.store, 'fields');
    const plain = await t.store.messages.append(newMessage(accountId, blob));
    const full = await t.store.messages.append(
      newMessage(accountId, blob, {
        mailboxPath: 'Delil',
        kind: 'receipt',
        flags: ['\\Seen', '$Label'],
        internalDate: new Date('2026-01-02T03:04:05.678Z'),
        providerMessageId: 'K01FIELDS',
        recipientIndex: 2,
        evidenceId: 'ev-1@kep.test',
      }),
    );
    for (const m of [plain, full]) expect(await t.store.messages.get(m.id)).toEqual(m);
    expect(full).toMatchObject({ kind: 'receipt', providerMessageId: 'K01FIELDS', recipientIndex: 2, evidenceId: 'ev-1@kep.test', internalDate: new Date('2026-01-02T03:04:05.678Z') });
  });

  it('an append names what is missing: the account, or a mailbox that is not a standard one', async () => {
    const blob = await putSample(t.store, 'missing');
    await expect(t.store.messages.append(newMessage('no-such-account', blob))).rejects.toBeInstanceOf(AccountNotFound);
    await expect(t.store.messages.append(newMessage(accountId, blob, { mailboxPath: 'Nowhere' }))).rejects.toBeInstanceOf(MailboxNotFound);
    // A mailbox the account has takes the message (the lookup that names failures is the same one).
    const sent = await t.store.messages.append(newMessage(accountId, blob, { mailboxPath: 'Sent' }));
    expect(sent.mailboxId).toBe((await box(t.store, accountId, 'Sent')).id);
    expect(sent.uid).toBe(1);
  });

  it('appends 1,000 messages into one mailbox and lists them by uid', async () => {
    const blob = await putSample(t.store, 'shared');
    const ops = Array.from({ length: 1000 }, () => ({ op: 'appendMessage' as const, message: newMessage(accountId, blob) }));
    // Half in one commit, half one by one.
    await t.store.commit(ops.slice(0, 500));
    for (const op of ops.slice(500)) await t.store.messages.append(op.message);
    const inbox = await box(t.store, accountId, 'INBOX');
    const list = await t.store.messages.list(inbox.id);
    expect(list.map((m) => m.uid)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(new Set(list.map((m) => m.id)).size).toBe(1000);
    expect(inbox.uidNext).toBe(1001);
    expect(inbox.modifyIndex).toBe(1000);
    expect(await t.store.accounts.usage(accountId)).toBe(1000 * blob.size);
    expect((await t.store.messages.list(inbox.id, [1000, 3, 7, 5000])).map((m) => m.uid)).toEqual([3, 7, 1000]);
  });

  it('changes flags with modseq, journal entries and CONDSTORE unchangedSince', async () => {
    await appendN(3);
    const inbox = await box(t.store, accountId, 'INBOX');
    const events: unknown[] = [];
    t.store.events.on('mailbox-change', (e) => events.push(e));

    const r1 = await t.store.messages.updateFlags(inbox.id, [1, 2], 'add', ['\\seen', '$Important']);
    expect(r1.modified).toEqual([]);
    expect(r1.updated.map((m) => [m.uid, m.flags, m.modseq])).toEqual([
      [1, ['\\Seen', '$Important'], 4],
      [2, ['\\Seen', '$Important'], 4],
    ]);
    expect(events).toEqual([{ accountId, mailboxId: inbox.id }]);

    // Adding what is there already changes nothing and allocates no modseq.
    const r2 = await t.store.messages.updateFlags(inbox.id, [1], 'add', ['\\Seen']);
    expect(r2).toEqual({ updated: [], modified: [] });
    expect((await box(t.store, accountId, 'INBOX')).modifyIndex).toBe(4);

    // Message 3 has modseq 3, messages 1-2 have 4: unchangedSince 3 only lets 3 change.
    const r3 = await t.store.messages.updateFlags(inbox.id, [1, 2, 3], 'set', ['\\Flagged'], 3);
    expect(r3.modified).toEqual([1, 2]);
    expect(r3.updated.map((m) => [m.uid, m.flags, m.modseq])).toEqual([[3, ['\\Flagged'], 5]]);

    const r4 = await t.store.messages.updateFlags(inbox.id, [1], 'remove', ['$important']);
    expect(r4.updated[0].flags).toEqual(['\\Seen']);

    const stored = await t.store.messages.list(inbox.id);
    expect(stored.map((m) => m.flags)).toEqual([['\\Seen'], ['\\Seen', '$Important'], ['\\Flagged']]);

    const journal = await t.store.messages.journal(inbox.id, 3);
    expect(journal.map((e) => [e.command, e.uid, e.modseq, e.flags])).toEqual([
      ['FETCH', 1, 4, ['\\Seen', '$Important']],
      ['FETCH', 2, 4, ['\\Seen', '$Important']],
      ['FETCH', 3, 5, ['\\Flagged']],
      ['FETCH', 1, 6, ['\\Seen']],
    ]);
    expect((await t.store.messages.journal(inbox.id, 0)).slice(0, 3).map((e) => [e.command, e.uid])).toEqual([
      ['EXISTS', 1],
      ['EXISTS', 2],
      ['EXISTS', 3],
    ]);
    expect(new Set(journal.map((e) => e.id)).size).toBe(journal.length);
  });

  it('expunges only \\Deleted messages (optionally among uids) and frees quota at once', async () => {
    await appendN(4);
    const inbox = await box(t.store, accountId, 'INBOX');
    const sizes = (await t.store.messages.list(inbox.id)).map((m) => m.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(await t.store.messages.expunge(inbox.id)).toEqual([]);
    await t.store.messages.updateFlags(inbox.id, [1, 2, 4], 'add', ['\\Deleted']);
    expect(await t.store.messages.expunge(inbox.id, [2, 3])).toEqual([2]);
    expect(await t.store.accounts.usage(accountId)).toBe(total - sizes[1]);
    expect(await t.store.messages.expunge(inbox.id)).toEqual([1, 4]);
    expect(await t.store.accounts.usage(accountId)).toBe(sizes[2]);
    expect((await t.store.messages.list(inbox.id)).map((m) => m.uid)).toEqual([3]);
    const after = await box(t.store, accountId, 'INBOX');
    expect(after.uidNext).toBe(5);
    const expunges = (await t.store.messages.journal(inbox.id, 0)).filter((e) => e.command === 'EXPUNGE');
    expect(expunges.map((e) => [e.uid, e.modseq])).toEqual([
      [2, after.modifyIndex - 1],
      [1, after.modifyIndex],
      [4, after.modifyIndex],
    ]);
  });

  it('copy keeps what makes a dispatch a dispatch; move keeps the message id', async () => {
    const blob = await putSample(t.store);
    await t.store.commit([
      {
        op: 'appendMessage',
        message: newMessage(accountId, blob, { kind: 'dispatch', providerMessageId: 'K1', recipientIndex: 2, flags: ['\\Seen'], internalDate: new Date('2024-01-01T00:00:00Z') }),
      },
      { op: 'appendMessage', message: newMessage(accountId, blob, { kind: 'receipt', evidenceId: 'ev-1@kep.test' }) },
    ]);
    const inbox = await box(t.store, accountId, 'INBOX');
    const folder = await t.store.mailboxes.create(accountId, 'Kept');
    await t.store.messages.setMeta((await t.store.messages.list(inbox.id, [1]))[0].id, { envelope: ['x', null, 1, true] });

    const copied = await t.store.messages.copy(inbox.id, [1, 2, 99], folder.id);
    expect(copied).toEqual({ sourceUids: [1, 2], destinationUids: [1, 2] });
    const [src1, src2] = await t.store.messages.list(inbox.id);
    const [c1, c2] = await t.store.messages.list(folder.id);
    expect(c1).toMatchObject({
      kind: 'dispatch',
      providerMessageId: 'K1',
      recipientIndex: 2,
      flags: ['\\Seen'],
      internalDate: new Date('2024-01-01T00:00:00Z'),
      blobHash: blob.hash,
      meta: { envelope: ['x', null, 1, true] },
    });
    expect(c1.id).not.toBe(src1.id);
    expect(c2).toMatchObject({ kind: 'receipt', evidenceId: 'ev-1@kep.test' });
    expect(await t.store.accounts.usage(accountId)).toBe(4 * blob.size);

    const moved = await t.store.messages.move(inbox.id, [2], folder.id);
    expect(moved).toEqual({ sourceUids: [2], destinationUids: [3] });
    expect((await t.store.messages.list(inbox.id)).map((m) => m.uid)).toEqual([1]);
    const m3 = (await t.store.messages.list(folder.id, [3]))[0];
    expect(m3.id).toBe(src2.id);
    expect(m3).toMatchObject({ mailboxId: folder.id, kind: 'receipt', evidenceId: 'ev-1@kep.test' });
    expect(await t.store.messages.get(src2.id)).toEqual(m3);
    expect(await t.store.accounts.usage(accountId)).toBe(4 * blob.size);

    const srcJournal = await t.store.messages.journal(inbox.id, 0);
    expect(srcJournal.at(-1)).toMatchObject({ command: 'EXPUNGE', uid: 2, messageId: src2.id });
    const dstJournal = await t.store.messages.journal(folder.id, 0);
    expect(dstJournal.at(-1)).toMatchObject({ command: 'EXISTS', uid: 3, messageId: src2.id });

    const other = await createAccount(t.store);
    const otherInbox = await box(t.store, other.id, 'INBOX');
    await expect(t.store.messages.copy(inbox.id, [1], otherInbox.id)).rejects.toBeInstanceOf(MailboxOperationRefused);
    await expect(t.store.messages.move(inbox.id, [1], otherInbox.id)).rejects.toBeInstanceOf(MailboxOperationRefused);
    expect(await t.store.accounts.usage(other.id)).toBe(0);
  });

  it('setMeta stores opaque parse data without a modseq change', async () => {
    await appendN(1);
    const inbox = await box(t.store, accountId, 'INBOX');
    const [m] = await t.store.messages.list(inbox.id);
    await t.store.messages.setMeta(m.id, { bodystructure: { type: 'text', parts: [] }, size: 5 });
    expect((await t.store.messages.get(m.id))?.meta).toEqual({ bodystructure: { type: 'text', parts: [] }, size: 5 });
    expect((await box(t.store, accountId, 'INBOX')).modifyIndex).toBe(inbox.modifyIndex);
    await expect(t.store.messages.setMeta('missing', {})).rejects.toBeInstanceOf(NotFoundError);
  });
});
