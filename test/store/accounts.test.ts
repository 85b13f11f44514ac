import { ConflictError, NotFoundError } from '../../src/errors';
import { DEFAULT_MAILBOXES, InvalidStoreInput, MailboxNotFound, MailboxOperationRefused } from '../../src/store';
import { createAccount, newMessage, openTempStore, putSample, type TempStore } from '../support/store-fixtures';

describe('accounts and mailboxes', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await openTempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('creates an account with its default mailboxes, lower-casing the address', async () => {
    const a = await t.store.accounts.create({
      address: 'Ayse.Yilmaz@KEP.test',
      type: 'person',
      nationalId: '12345678901',
      displayName: 'Ayşe Yılmaz',
      passwordHash: 'scrypt$x',
      receiveOnly: true,
      quotaBytes: 5000,
      state: 'pending',
    });
    expect(a).toMatchObject({ address: 'ayse.yilmaz@kep.test', type: 'person', nationalId: '12345678901', receiveOnly: true, quotaBytes: 5000, state: 'pending' });
    expect(await t.store.accounts.getById(a.id)).toEqual(a);
    expect(await t.store.accounts.getByAddress('AYSE.yilmaz@kep.test')).toEqual(a);
    const boxes = await t.store.mailboxes.list(a.id);
    // INBOX first, then by path.
    expect(boxes.map((b) => b.path)).toEqual(['INBOX', 'Delil', 'Drafts', 'Sent', 'Trash']);
    for (const m of DEFAULT_MAILBOXES) expect(boxes.find((b) => b.path === m.path)?.specialUse).toBe(m.specialUse);
    for (const b of boxes) expect(b).toMatchObject({ accountId: a.id, subscribed: true, uidNext: 1, modifyIndex: 0 });
    expect(new Set(boxes.map((b) => b.uidValidity)).size).toBe(boxes.length);
    expect(await t.store.accounts.usage(a.id)).toBe(0);
    expect(await t.store.accounts.list()).toEqual([a]);
  });

  it('never issues an address twice, even after the account is closed', async () => {
    const a = await createAccount(t.store, { address: 'taken@kep.test' });
    await expect(createAccount(t.store, { address: 'TAKEN@kep.test' })).rejects.toBeInstanceOf(ConflictError);
    const closed = await t.store.accounts.update(a.id, { state: 'closed' });
    expect(closed.state).toBe('closed');
    await expect(createAccount(t.store, { address: 'taken@kep.test' })).rejects.toBeInstanceOf(ConflictError);
    expect(await t.store.accounts.list()).toHaveLength(1);
    await expect(createAccount(t.store, { address: 'no-at-sign' })).rejects.toBeInstanceOf(InvalidStoreInput);
  });

  it('updates lifecycle state, quota and password; unknown ids are NotFound', async () => {
    const a = await createAccount(t.store, { nationalId: '1' });
    const b = await t.store.accounts.update(a.id, { state: 'active', quotaBytes: 123, passwordHash: 'new', displayName: 'N' });
    expect(b).toEqual({ ...a, state: 'active', quotaBytes: 123, passwordHash: 'new', displayName: 'N' });
    await expect(t.store.accounts.update('nope', { state: 'closed' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.store.accounts.usage('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.store.accounts.update(a.id, { quotaBytes: -1 })).rejects.toBeInstanceOf(InvalidStoreInput);
  });

  it('creates, subscribes, renames (with children) and deletes folders', async () => {
    const a = await createAccount(t.store);
    const p = await t.store.mailboxes.create(a.id, 'Projects');
    await t.store.mailboxes.create(a.id, 'Projects/2025');
    await expect(t.store.mailboxes.create(a.id, 'Projects')).rejects.toBeInstanceOf(ConflictError);
    await expect(t.store.mailboxes.create(a.id, 'inbox')).rejects.toBeInstanceOf(ConflictError);
    await expect(t.store.mailboxes.create(a.id, 'a//b')).rejects.toBeInstanceOf(InvalidStoreInput);
    await expect(t.store.mailboxes.create('no-account', 'X')).rejects.toBeInstanceOf(NotFoundError);

    await t.store.mailboxes.setSubscribed(a.id, 'Projects', false);
    expect((await t.store.mailboxes.get(a.id, 'Projects'))?.subscribed).toBe(false);
    await expect(t.store.mailboxes.setSubscribed(a.id, 'Nope', true)).rejects.toBeInstanceOf(MailboxNotFound);

    const blob = await putSample(t.store);
    await t.store.commit([{ op: 'appendMessage', message: newMessage(a.id, blob, { mailboxPath: 'Projects/2025' }) }]);
    await t.store.mailboxes.rename(a.id, 'Projects', 'Archive');
    expect(await t.store.mailboxes.get(a.id, 'Projects')).toBeUndefined();
    const renamed = (await t.store.mailboxes.get(a.id, 'Archive'))!;
    expect(renamed.id).toBe(p.id);
    expect(renamed.uidValidity).toBe(p.uidValidity);
    const child = (await t.store.mailboxes.get(a.id, 'Archive/2025'))!;
    expect(await t.store.messages.list(child.id)).toHaveLength(1);

    await expect(t.store.mailboxes.rename(a.id, 'Archive', 'Sent')).rejects.toBeInstanceOf(ConflictError);
    await expect(t.store.mailboxes.rename(a.id, 'Archive', 'Archive/inner')).rejects.toBeInstanceOf(MailboxOperationRefused);
    await expect(t.store.mailboxes.rename(a.id, 'Missing', 'X')).rejects.toBeInstanceOf(MailboxNotFound);

    await t.store.mailboxes.delete(a.id, 'Archive/2025');
    expect(await t.store.mailboxes.get(a.id, 'Archive/2025')).toBeUndefined();
    expect(await t.store.accounts.usage(a.id)).toBe(0);
    await expect(t.store.mailboxes.delete(a.id, 'Archive/2025')).rejects.toBeInstanceOf(MailboxNotFound);

    // A re-created path gets a new UIDVALIDITY, so clients drop their caches.
    const again = await t.store.mailboxes.create(a.id, 'Archive/2025');
    expect(again.uidValidity).toBeGreaterThan(child.uidValidity);
  });

  it('INBOX cannot be deleted or renamed away, whatever its spelling', async () => {
    const a = await createAccount(t.store);
    await expect(t.store.mailboxes.delete(a.id, 'INBOX')).rejects.toBeInstanceOf(MailboxOperationRefused);
    await expect(t.store.mailboxes.delete(a.id, 'inbox')).rejects.toBeInstanceOf(MailboxOperationRefused);
    await expect(t.store.mailboxes.rename(a.id, 'Inbox', 'Old')).rejects.toBeInstanceOf(MailboxOperationRefused);
    expect((await t.store.mailboxes.get(a.id, 'iNbOx'))?.path).toBe('INBOX');
  });
});
