/**
 * The store side of accounts as KEP defines them: operators, the account history, directory
 * queries, and the forward migration that adds them to a database made by the first schema.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../src/errors';
import { SqliteDb } from '../../src/store/embedded/database';
import { migrate } from '../../src/store/embedded/migrations';
import { AccountNotFound, InvalidStoreInput, openEmbeddedStore } from '../../src/store';
import { createAccount, openTempStore, tempDataDir, type TempStore } from '../support/store-fixtures';

describe('operators and the account history', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await openTempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('adds, lists and removes operators atomically with their history entries; logins stay taken', async () => {
    const e = await createAccount(t.store, { address: 'ornek@kep.test', type: 'entity' });
    const at = new Date('2026-01-02T03:04:05Z');
    const op = await t.store.operators.add(
      { accountId: e.id, login: ' Mehmet ', passwordHash: 'h', certificateDer: Buffer.from([1, 2, 3]), nationalId: '22222222222', name: 'Mehmet Demir' },
      { actor: 'staff', at },
    );
    expect(op).toMatchObject({ accountId: e.id, login: 'mehmet', nationalId: '22222222222', name: 'Mehmet Demir', addedAt: at });
    expect(op.removedAt).toBeUndefined();
    expect(await t.store.operators.getByLogin('MEHMET')).toEqual(op);
    await expect(t.store.operators.add({ accountId: e.id, login: 'mehmet', passwordHash: 'h', certificateDer: Buffer.from([1]) }, { actor: 'x' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(t.store.operators.add({ accountId: e.id, login: 'ornek@kep.test', passwordHash: 'h', certificateDer: Buffer.from([1]) }, { actor: 'x' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(t.store.operators.add({ accountId: 'nope', login: 'x1', passwordHash: 'h', certificateDer: Buffer.from([1]) }, { actor: 'x' })).rejects.toBeInstanceOf(
      AccountNotFound,
    );
    await expect(t.store.operators.add({ accountId: e.id, login: 'x2', passwordHash: 'h', certificateDer: Buffer.alloc(0) }, { actor: 'x' })).rejects.toBeInstanceOf(
      InvalidStoreInput,
    );

    const removed = await t.store.operators.remove(e.id, 'MEHMET', { actor: 'staff', at: new Date(at.getTime() + 1000) });
    expect(removed.removedAt).toEqual(new Date(at.getTime() + 1000));
    await expect(t.store.operators.remove(e.id, 'mehmet', { actor: 'staff' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(t.store.operators.add({ accountId: e.id, login: 'mehmet', passwordHash: 'h', certificateDer: Buffer.from([9]) }, { actor: 'x' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await t.store.operators.list(e.id)).toEqual([]);
    expect(await t.store.operators.list(e.id, { includeRemoved: true })).toEqual([removed]);

    const history = await t.store.accounts.history(e.id);
    expect(history.map((h) => [h.kind, h.actor, h.details])).toEqual([
      ['created', 'system', { state: 'active', type: 'entity', receiveOnly: false, quotaBytes: 10_000_000 }],
      ['operator-added', 'staff', { login: 'mehmet' }],
      ['operator-removed', 'staff', { login: 'mehmet' }],
    ]);
  });

  it('keeps a document with a history entry, byte for byte, with its hash', async () => {
    const a = await createAccount(t.store, { state: 'pending' });
    const doc = Buffer.from('signed agreement bytes\r\n');
    const updated = await t.store.accounts.update(a.id, { state: 'active' }, { kind: 'activated', actor: 'staff', details: { format: 'smime' }, document: doc });
    expect(updated.state).toBe('active');
    const entry = (await t.store.accounts.history(a.id)).find((h) => h.kind === 'activated')!;
    expect(entry.documentSha256).toBe(createHash('sha256').update(doc).digest('hex'));
    expect((await t.store.accounts.eventDocument(entry.seq))?.equals(doc)).toBe(true);
    expect(await t.store.accounts.eventDocument(1)).toBeUndefined();
  });

  it('directory queries see listed active accounts only', async () => {
    const listed = await t.store.accounts.create({ address: 'a.b@kep.test', type: 'person', passwordHash: 'x', receiveOnly: false, quotaBytes: 1, state: 'active', listed: true, displayName: 'Ali Bülbül' });
    await t.store.accounts.create({ address: 'c.d@kep.test', type: 'person', passwordHash: 'x', receiveOnly: false, quotaBytes: 1, state: 'active', displayName: 'Ali Can' });
    const ent = await t.store.accounts.create({ address: 'e@kep.test', type: 'entity', passwordHash: 'x', receiveOnly: false, quotaBytes: 1, state: 'active', listed: true, mersis: '1111222233334444', displayName: 'Ali A.Ş.' });
    expect((await t.store.accounts.listedAccounts({ name: 'ALİ' }, 10)).map((a) => a.address)).toEqual(['a.b@kep.test', 'e@kep.test']);
    expect((await t.store.accounts.listedAccounts({ name: 'ali' }, 1)).length).toBe(1);
    expect(await t.store.accounts.listedAccounts({ mersis: '1111222233334444' }, 10)).toEqual([ent]);
    expect(await t.store.accounts.listedAccounts({ address: 'C.D@kep.test' }, 10)).toEqual([]);
    await t.store.accounts.update(listed.id, { state: 'closed', closedAt: new Date() });
    expect(await t.store.accounts.listedAccounts({ address: 'a.b@kep.test' }, 10)).toEqual([]);
    // LIKE wildcards in a name are plain characters
    expect(await t.store.accounts.listedAccounts({ name: '%' }, 10)).toEqual([]);
  });
});

describe('schema migration 2', () => {
  it('upgrades a database of the first schema: entities become listed, every account gets its created entry', async () => {
    const dir = await tempDataDir();
    try {
      mkdirSync(join(dir, 'db'), { recursive: true });
      const db = new SqliteDb({ file: join(dir, 'db', 'kepd.sqlite') });
      expect(migrate(db, () => new Date(), 1)).toBe(1);
      db.run(
        `INSERT INTO accounts (id, address, type, password_hash, receive_only, quota_bytes, state, created_at) VALUES
         ('A1', 'ornek@kep.test', 'entity', 'h', 0, 100, 'active', 1000),
         ('A2', 'ali.veli@kep.test', 'person', 'h', 0, 100, 'closed', 2000)`,
      );
      db.close();

      const store = await openEmbeddedStore({ dataDir: dir });
      try {
        expect(await store.accounts.getById('A1')).toMatchObject({ listed: true, state: 'active' });
        const person = (await store.accounts.getById('A2'))!;
        expect(person.listed).toBe(false);
        expect(person.closedAt).toBeUndefined();
        expect((await store.accounts.history('A1')).map((h) => [h.kind, h.actor, h.at.getTime(), h.details])).toEqual([
          ['created', 'schema-migration', 1000, { state: 'active' }],
        ]);
        expect((await store.accounts.eventsSince(0)).map((e) => e.accountId)).toEqual(['A1', 'A2']);
        expect(await store.operators.list('A1')).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
