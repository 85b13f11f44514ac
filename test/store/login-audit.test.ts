/** The login audit trail: appended in order, filtered, bounded in size, and append-only in the database itself. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { InvalidStoreInput } from '../../src/store';
import { openTempStore, type TempStore } from '../support/store-fixtures';

let t: TempStore;
beforeEach(async () => {
  t = await openTempStore();
});
afterEach(async () => {
  await t.cleanup();
});

test('entries are listed newest first, filtered by name, client and time', async () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  await t.store.loginAudit.append({ at: at(1), protocol: 'smtp', client: '192.0.2.1', username: 'ali.veli@kep.test', outcome: 'failure' });
  await t.store.loginAudit.append({ at: at(2), protocol: 'imap', client: '192.0.2.2', username: 'ali.veli@kep.test', accountId: 'acc-1', outcome: 'success' });
  await t.store.loginAudit.append({ at: at(3), protocol: 'imap', client: '192.0.2.1', username: 'x@kep.test', outcome: 'lockout', detail: 'account locked until 2026-01-01T00:15:03.000Z' });
  const all = await t.store.loginAudit.list();
  expect(all.map((e) => e.outcome)).toEqual(['lockout', 'success', 'failure']);
  expect(all[1]).toEqual({ seq: all[1]!.seq, at: at(2), protocol: 'imap', client: '192.0.2.2', username: 'ali.veli@kep.test', accountId: 'acc-1', outcome: 'success' });
  expect((await t.store.loginAudit.list({ username: 'ali.veli@kep.test' })).map((e) => e.protocol)).toEqual(['imap', 'smtp']);
  expect((await t.store.loginAudit.list({ client: '192.0.2.1', since: at(2) })).map((e) => e.username)).toEqual(['x@kep.test']);
  expect(await t.store.loginAudit.list({ limit: 1 })).toHaveLength(1);
});

test('what a client sends is stored bounded; an unknown outcome is refused', async () => {
  await t.store.loginAudit.append({ at: new Date(), protocol: 'smtp', client: '::1', username: 'n'.repeat(10_000), outcome: 'failure' });
  expect((await t.store.loginAudit.list())[0]!.username).toHaveLength(512);
  await expect(t.store.loginAudit.append({ at: new Date(), protocol: 'smtp', client: '::1', username: 'a', outcome: 'maybe' as never })).rejects.toBeInstanceOf(InvalidStoreInput);
});

test('the trail is append-only: the database refuses UPDATE and DELETE', async () => {
  await t.store.loginAudit.append({ at: new Date(), protocol: 'smtp', client: '::1', username: 'a@kep.test', outcome: 'failure' });
  const raw = new Database(join(t.dir, 'db', 'kepd.sqlite'));
  try {
    expect(() => raw.prepare("UPDATE login_audit SET outcome = 'success'").run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM login_audit').run()).toThrow(/append-only/);
  } finally {
    raw.close();
  }
  expect((await t.store.loginAudit.list())[0]!.outcome).toBe('failure');
});
