/**
 * The account lifecycle and who may log in (kep-rem.md §8.2): transitions, the read-only period
 * of a closed account on an injected clock, operators' logins, quota and directory listing —
 * each change with its history entry.
 */
import { accountAccess, closedAccessEnds, writeRefusal } from '../../src/accounts/access';
import {
  closeAccount,
  InvalidTransition,
  nextState,
  reopenAccount,
  setListed,
  setQuota,
} from '../../src/accounts/lifecycle';
import { authenticate, createAccount, principalRefusal, type CreateAccountInput } from '../../src/accounts/service';
import { ConflictError, NotFoundError, UsageError } from '../../src/errors';
import { deliveryRefusal } from '../../src/policy/recipients';
import { ReasonCode } from '../../src/evidence/reasons';
import type { MailStore } from '../../src/store';
import { openTempStore, type TempStore } from '../support/store-fixtures';

const DAY = 86_400_000;
const POLICY = { closedAccessDays: 90 };
const T0 = new Date('2026-03-01T10:00:00Z');

let t: TempStore;
let store: MailStore;
let clock = T0;
const now = (): Date => clock;

beforeEach(async () => {
  t = await openTempStore();
  store = t.store;
  clock = T0;
});
afterEach(async () => {
  await t.cleanup();
});

async function person(local: string, extra: Partial<CreateAccountInput> = {}): Promise<string> {
  const a = await createAccount(store, 'kep.test', 1_000_000, { address: `${local}@kep.test`, password: `pw-${local}-123`, now, actor: 'test', ...extra });
  return a.address;
}

describe('access decisions (pure)', () => {
  test('active: full; pending: none; closed: read-only until closedAt + period, then none', () => {
    expect(accountAccess({ state: 'active' }, T0, POLICY)).toEqual({ kind: 'full' });
    expect(accountAccess({ state: 'pending' }, T0, POLICY)).toMatchObject({ kind: 'none', reason: expect.stringMatching(/awaiting activation/) });
    const closed = { state: 'closed' as const, closedAt: T0 };
    const until = new Date(T0.getTime() + 90 * DAY);
    expect(closedAccessEnds(closed, POLICY)).toEqual(until);
    expect(accountAccess(closed, new Date(until.getTime() - 1), POLICY)).toEqual({ kind: 'read-only', until });
    expect(accountAccess(closed, until, POLICY)).toMatchObject({ kind: 'none' });
    expect(accountAccess(closed, new Date(T0.getTime() + 10 * DAY), { closedAccessDays: 7 })).toMatchObject({ kind: 'none' });
    // closed without a closing time (before the lifecycle existed): no grace period to count from
    expect(accountAccess({ state: 'closed' }, T0, POLICY)).toMatchObject({ kind: 'none' });
    expect(writeRefusal({ address: 'a.b@kep.test', state: 'active' }, T0, POLICY)).toBeUndefined();
    expect(writeRefusal({ address: 'a.b@kep.test', ...closed }, T0, POLICY)).toMatch(/<a\.b@kep\.test> is closed: its mailboxes are read-only .*2026-05-30/);
  });

  test('transitions: activate only from pending, close only from active, reopen only from closed', () => {
    const a = (state: 'pending' | 'active' | 'closed') => ({ address: 'a.b@kep.test', state });
    expect(nextState(a('pending'), 'activate')).toBe('active');
    expect(nextState(a('active'), 'close')).toBe('closed');
    expect(nextState(a('closed'), 'reopen')).toBe('active');
    expect(() => nextState(a('active'), 'activate')).toThrow(InvalidTransition);
    expect(() => nextState(a('pending'), 'close')).toThrow(/awaiting activation: only an active account can be closed/);
    expect(() => nextState(a('active'), 'reopen')).toThrow(/only a closed account can be reopened/);
    expect(new InvalidTransition('x')).toBeInstanceOf(UsageError);
  });

  test('delivery to a local account: closed and pending get NonDelivery reasons; over quota is no reason', () => {
    expect(deliveryRefusal('a.b@kep.test', { state: 'active' })).toBeUndefined();
    expect(deliveryRefusal('a.b@kep.test', { state: 'closed' })).toEqual({ code: ReasonCode.UnknownRecipient, details: expect.stringMatching(/closed KEP account/) });
    expect(deliveryRefusal('a.b@kep.test', { state: 'pending' })?.details).toMatch(/not activated/);
    expect(deliveryRefusal('a.b@kep.test', undefined)?.code).toBe(ReasonCode.UnknownRecipient);
  });
});

describe('lifecycle on the store', () => {
  test('close and reopen keep the address, id and mailboxes; each step is in the history with who and when', async () => {
    const address = await person('ali.veli');
    const created = (await store.accounts.getByAddress(address))!;
    clock = new Date(T0.getTime() + DAY);
    const closed = await closeAccount(store, address, { actor: 'staff:ayse', now });
    expect(closed).toMatchObject({ state: 'closed', closedAt: clock });
    await expect(closeAccount(store, address, { actor: 'x', now })).rejects.toThrow(InvalidTransition);
    // an address once issued is never given to anyone else, closed or not
    await expect(createAccount(store, 'kep.test', 1, { address, password: 'another-holder-1' })).rejects.toThrow(ConflictError);

    clock = new Date(T0.getTime() + 200 * DAY);
    const reopened = await reopenAccount(store, address, { actor: 'staff:can', now });
    expect(reopened.id).toBe(created.id);
    expect(reopened.state).toBe('active');
    expect(reopened.closedAt).toBeUndefined();
    expect((await store.mailboxes.list(created.id)).map((m) => m.path).sort()).toEqual(['Delil', 'Drafts', 'INBOX', 'Sent', 'Trash']);

    const history = await store.accounts.history(created.id);
    expect(history.map((h) => [h.kind, h.actor, h.at.toISOString()])).toEqual([
      ['created', 'test', T0.toISOString()],
      ['closed', 'staff:ayse', new Date(T0.getTime() + DAY).toISOString()],
      ['reopened', 'staff:can', clock.toISOString()],
    ]);
    expect(history[2]!.details).toEqual({ closedAt: new Date(T0.getTime() + DAY).toISOString() });
    await expect(closeAccount(store, 'nobody.here@kep.test', { actor: 'x' })).rejects.toThrow(NotFoundError);
  });

  test('quota: absolute or extra space, positive only, logged', async () => {
    const address = await person('kota.kisi');
    expect((await setQuota(store, address, { bytes: 5000 }, { actor: 'staff', now })).quotaBytes).toBe(5000);
    expect((await setQuota(store, address, { addBytes: 1000 }, { actor: 'staff', now })).quotaBytes).toBe(6000);
    await expect(setQuota(store, address, { bytes: 0 }, { actor: 'staff' })).rejects.toThrow(/positive/);
    await expect(setQuota(store, address, { addBytes: -5 }, { actor: 'staff' })).rejects.toThrow(UsageError);
    const id = (await store.accounts.getByAddress(address))!.id;
    expect((await store.accounts.history(id)).filter((h) => h.kind === 'quota-changed').map((h) => h.details)).toEqual([
      { from: 1_000_000, to: 5000 },
      { from: 5000, to: 6000 },
    ]);
  });

  test('directory listing: persons opt in and out; legal entities are always listed', async () => {
    const p = await person('ayse.kaya');
    expect((await store.accounts.getByAddress(p))!.listed).toBe(false);
    expect((await setListed(store, p, true, { actor: 'holder-request', now })).listed).toBe(true);
    expect((await setListed(store, p, false, { actor: 'holder-request', now })).listed).toBe(false);
    const e = await createAccount(store, 'kep.test', 1000, { address: '1234567890123456.hukuk@kep.test', type: 'entity', password: 'entity-pass-1' });
    expect(e).toMatchObject({ listed: true, mersis: '1234567890123456' });
    await expect(setListed(store, e.address, false, { actor: 'x' })).rejects.toThrow(/always listed/);
    await expect(createAccount(store, 'kep.test', 1000, { address: 'ornek@kep.test', type: 'entity', password: 'entity-pass-1', listed: false })).rejects.toThrow(
      /always listed/,
    );
    await expect(createAccount(store, 'kep.test', 1000, { address: 'mehmet.ali@kep.test', password: 'person-pass-1', mersis: '1234567890123456' })).rejects.toThrow(
      /legal entity/,
    );
    const kinds = (await store.accounts.history((await store.accounts.getByAddress(p))!.id)).map((h) => h.kind);
    expect(kinds).toEqual(['created', 'directory-listed', 'directory-unlisted']);
  });

  test('the history is append-only, and watchers read it in order across accounts', async () => {
    const a = await person('bir.kisi');
    const b = await person('iki.kisi');
    const start = (await store.accounts.eventsSince(0)).length;
    expect(start).toBe(2);
    const seq = await store.accounts.lastEventSeq();
    await closeAccount(store, b, { actor: 'x', now });
    await closeAccount(store, a, { actor: 'x', now });
    const later = await store.accounts.eventsSince(seq);
    expect(later.map((e) => e.kind)).toEqual(['closed', 'closed']);
    expect(later[0]!.accountId).toBe((await store.accounts.getByAddress(b))!.id);
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(`${t.dir}/db/kepd.sqlite`);
    try {
      expect(() => raw.prepare("UPDATE account_events SET actor = 'someone else'").run()).toThrow(/append-only/);
      expect(() => raw.prepare('DELETE FROM account_events').run()).toThrow(/append-only/);
    } finally {
      raw.close();
    }
  });
});

describe('who may log in', () => {
  test('pending: never; active: yes; closed: during the period only, then not even with the right password', async () => {
    const pending = await person('bekleyen.kisi', { pending: true });
    expect(await authenticate(store, pending, 'pw-bekleyen.kisi-123', now, POLICY)).toBeNull();

    const address = await person('kapali.kisi');
    expect(await authenticate(store, address, 'pw-kapali.kisi-123', now, POLICY)).toMatchObject({ address, authenticatedAt: T0 });
    await closeAccount(store, address, { actor: 'x', now });
    clock = new Date(T0.getTime() + 90 * DAY - 1);
    expect(await authenticate(store, address, 'pw-kapali.kisi-123', now, POLICY)).not.toBeNull();
    const id = (await store.accounts.getByAddress(address))!.id;
    expect(await principalRefusal(store, { accountId: id }, clock, POLICY)).toBeUndefined();
    clock = new Date(T0.getTime() + 90 * DAY);
    expect(await authenticate(store, address, 'pw-kapali.kisi-123', now, POLICY)).toBeNull();
    expect(await principalRefusal(store, { accountId: id }, clock, POLICY)).toMatch(/access period has ended/);
    // the period is configuration
    expect(await authenticate(store, address, 'pw-kapali.kisi-123', now, { closedAccessDays: 365 })).not.toBeNull();
  });
});
