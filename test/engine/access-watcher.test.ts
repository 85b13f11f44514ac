/**
 * The access watcher ends open sessions whose access ended: at once for a change in the
 * account history (an operator removed, possibly by another process), and on its sweep for a
 * read-only period that ran out with the clock.
 */
import { closeAccount } from '../../src/accounts/lifecycle';
import { createAccount } from '../../src/accounts/service';
import { AccessWatcher, type SessionDirectory, type SessionPrincipal } from '../../src/engine/access-watcher';
import type { Runtime } from '../../src/engine/runtime';
import { silentLogger } from '../../src/log';
import { openTempStore, type TempStore } from '../support/store-fixtures';

const DAY = 86_400_000;
let t: TempStore;
let clock: Date;

/** Sessions as the IMAP server would list them; ending one removes it. */
class FakeSessions implements SessionDirectory {
  ended: Array<{ principal: SessionPrincipal; reason: string }> = [];
  constructor(public open: SessionPrincipal[]) {}
  sessionPrincipals(): SessionPrincipal[] {
    return [...this.open];
  }
  endSessions(match: (p: SessionPrincipal) => boolean, reason: string): number {
    const gone = this.open.filter(match);
    this.open = this.open.filter((p) => !match(p));
    for (const principal of gone) this.ended.push({ principal, reason });
    return gone.length;
  }
}

function runtime(): Runtime {
  // only what the watcher uses
  return { store: t.store, config: { accounts: { closed_access_days: 90 } }, logger: silentLogger, now: () => clock } as unknown as Runtime;
}

beforeEach(async () => {
  t = await openTempStore();
  clock = new Date('2026-05-01T00:00:00Z');
});
afterEach(async () => {
  await t.cleanup();
});

test('a change in the history re-checks that account at once: a removed operator is cut, the others stay', async () => {
  const entity = await createAccount(t.store, 'kep.test', 1000, { address: 'ornek@kep.test', type: 'entity', password: 'entity-pass-1' });
  for (const login of ['op.one', 'op.two']) {
    await t.store.operators.add({ accountId: entity.id, login, passwordHash: 'x', certificateDer: Buffer.from(login) }, { actor: 'test' });
  }
  const sessions = new FakeSessions([
    { accountId: entity.id, operator: 'op.one' },
    { accountId: entity.id, operator: 'op.one' },
    { accountId: entity.id, operator: 'op.two' },
    { accountId: entity.id },
  ]);
  const watcher = new AccessWatcher(runtime(), [sessions], { pollMs: 3_600_000, sweepMs: 3_600_000 });
  await watcher.start();
  try {
    await watcher.check();
    expect(sessions.ended).toEqual([]);
    await t.store.operators.remove(entity.id, 'op.one', { actor: 'another process' });
    await watcher.check();
    expect(sessions.ended.map((e) => e.principal)).toEqual([
      { accountId: entity.id, operator: 'op.one' },
      { accountId: entity.id, operator: 'op.one' },
    ]);
    expect(sessions.ended[0]!.reason).toMatch(/operator op\.one is no longer authorised/);
    expect(sessions.open).toHaveLength(2);
  } finally {
    await watcher.stop();
  }
});

test("the sweep ends a closed account's sessions when its read-only period runs out", async () => {
  const a = await createAccount(t.store, 'kep.test', 1000, { address: 'ali.veli@kep.test', password: 'person-pass-1' });
  await closeAccount(t.store, a.address, { actor: 'test', now: () => clock });
  const sessions = new FakeSessions([{ accountId: a.id }]);
  const watcher = new AccessWatcher(runtime(), [sessions], { pollMs: 3_600_000, sweepMs: 0 });
  await watcher.start();
  try {
    clock = new Date(clock.getTime() + 89 * DAY);
    await watcher.check();
    expect(sessions.ended).toEqual([]);
    clock = new Date(clock.getTime() + 2 * DAY);
    await watcher.check();
    expect(sessions.ended).toEqual([{ principal: { accountId: a.id }, reason: expect.stringMatching(/access period has ended/) }]);
  } finally {
    await watcher.stop();
  }
});
