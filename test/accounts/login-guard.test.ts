/**
 * The login guard alone: lockout per login name and per client address, on a moving clock;
 * no password check while locked; parallel guesses cannot slip past the limit; every attempt
 * audited; memory bounded.
 */
import { LoginGuard, LoginLocked, normaliseLoginName, type LoginGuardLimits } from '../../src/accounts/login-guard';
import { silentLogger } from '../../src/log';
import type { LoginAuditLog, NewLoginAuditEntry } from '../../src/store/types';

class MemoryAudit implements LoginAuditLog {
  readonly entries: NewLoginAuditEntry[] = [];
  async append(e: NewLoginAuditEntry): Promise<void> {
    this.entries.push(e);
  }
  async list(): Promise<never[]> {
    return [];
  }
}

const LIMITS: LoginGuardLimits = { maxFailuresPerAccount: 3, maxFailuresPerAddress: 5, windowMs: 60_000, lockoutMs: 300_000 };
const USER = { accountId: 'acc-1' };

function setup(limits: Partial<LoginGuardLimits> = {}, capacity?: number) {
  let t = Date.parse('2026-01-01T00:00:00Z');
  const audit = new MemoryAudit();
  const guard = new LoginGuard({ limits: { ...LIMITS, ...limits }, audit, logger: silentLogger, now: () => new Date(t), capacity });
  let checks = 0;
  const check = (ok: boolean) => async () => {
    checks++;
    return ok ? USER : null;
  };
  return {
    guard,
    audit,
    check,
    checks: () => checks,
    advance: (ms: number) => (t += ms),
    attempt: (username: string, ok: boolean, client = '192.0.2.1') => guard.attempt({ protocol: 'smtp', client, username }, check(ok)),
  };
}

test('a name is locked after its failures; while locked even the right password is refused unchecked; the lock expires', async () => {
  const s = setup();
  for (let i = 0; i < 3; i++) expect(await s.attempt('Ali.Veli@kep.test ', false)).toBeNull();
  const before = s.checks();
  const locked = s.attempt('ali.veli@kep.test', true);
  await expect(locked).rejects.toBeInstanceOf(LoginLocked);
  await expect(locked).rejects.toMatchObject({ scope: 'account', reply: { code: 454, enhanced: '4.7.0' } });
  expect(s.checks()).toBe(before);
  // Another name from the same address is not affected by the name's lock.
  expect(await s.attempt('ayse.kaya@kep.test', true)).toEqual(USER);
  s.advance(300_001);
  expect(await s.attempt('ali.veli@kep.test', true)).toEqual(USER);
  expect(s.audit.entries.map((e) => e.outcome)).toEqual(['failure', 'failure', 'failure', 'lockout', 'refused', 'success', 'success']);
  expect(s.audit.entries.every((e) => e.username === 'ali.veli@kep.test' || e.username === 'ayse.kaya@kep.test')).toBe(true);
});

test('failures outside the window do not add up; a success clears the name', async () => {
  const s = setup();
  await s.attempt('a@kep.test', false);
  await s.attempt('a@kep.test', false);
  s.advance(61_000);
  await s.attempt('a@kep.test', false);
  expect(await s.attempt('a@kep.test', true)).toEqual(USER);
  await s.attempt('a@kep.test', false);
  await s.attempt('a@kep.test', false);
  expect(await s.attempt('a@kep.test', true)).toEqual(USER);
});

test('an address is locked after failures over many names (password spraying); other addresses are not', async () => {
  const s = setup();
  for (let i = 0; i < 5; i++) await s.attempt(`user${i}@kep.test`, false, '2001:db8:1:2::10');
  // Same /64, other interface id: the same client.
  await expect(s.attempt('fresh@kep.test', true, '2001:db8:1:2::99')).rejects.toMatchObject({ scope: 'address' });
  expect(await s.attempt('fresh@kep.test', true, '2001:db8:1:3::1')).toEqual(USER);
  await expect(s.attempt('fresh@kep.test', true, '::ffff:192.0.2.1')).resolves.toEqual(USER);
});

test('unknown names lock exactly like real ones (the lockout tells nothing about who exists)', async () => {
  const s = setup();
  for (let i = 0; i < 3; i++) await s.attempt('nobody@kep.test', false);
  await expect(s.attempt('nobody@kep.test', false)).rejects.toMatchObject({ scope: 'account', message: expect.stringMatching(/^Too many failed logins for this account; try again in 5 minutes$/) });
});

test('parallel guesses for one name are checked one after the other: no more than the limit reach the password check', async () => {
  const s = setup({ maxFailuresPerAddress: 0 });
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => s.attempt('ali.veli@kep.test', false, `198.51.100.${Math.floor(Math.random() * 200)}`)));
  expect(s.checks()).toBe(3);
  expect(results.filter((r) => r.status === 'rejected')).toHaveLength(17);
});

test('a refused attempt is audited once per lockout, however often the client retries', async () => {
  const s = setup();
  for (let i = 0; i < 3; i++) await s.attempt('x@kep.test', false);
  for (let i = 0; i < 10; i++) await expect(s.attempt('x@kep.test', false)).rejects.toBeInstanceOf(LoginLocked);
  expect(s.audit.entries.filter((e) => e.outcome === 'refused')).toHaveLength(1);
});

test('0 disables a limit', async () => {
  const s = setup({ maxFailuresPerAccount: 0, maxFailuresPerAddress: 0 });
  for (let i = 0; i < 50; i++) expect(await s.attempt('a@kep.test', false)).toBeNull();
  expect(await s.attempt('a@kep.test', true)).toEqual(USER);
});

test('memory is bounded: a flood of distinct names keeps at most `capacity` tracked', async () => {
  const s = setup({ maxFailuresPerAddress: 0 }, 100);
  for (let i = 0; i < 1000; i++) await s.attempt(`n${i}@kep.test`, false);
  expect(s.guard.tracked.names).toBeLessThanOrEqual(100);
});

test('login names are recorded normalised and bounded, never with control characters', () => {
  expect(normaliseLoginName('  Ali.Veli@KEP.test\r\n')).toBe('ali.veli@kep.test');
  expect(normaliseLoginName('a\u0000b\nc')).toBe('a?b?c');
  expect(normaliseLoginName('x'.repeat(5000))).toHaveLength(320);
});
