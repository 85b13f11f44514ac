/**
 * Failed-login limits with temporary lockout, and the audit trail of every login attempt. One
 * guard serves SMTP AUTH and IMAP LOGIN/AUTHENTICATE, so failures over either protocol count
 * together. Failures are counted per login name (known or not: locking only real accounts would
 * tell an attacker which names exist) and per client address (IPv6 per /64). While a name or
 * address is locked, logins are refused without looking at the password, so guessing goes on
 * learning nothing. Counters live in memory (bounded); the audit trail is in the store.
 */
import { TemporaryFailure } from '../errors';
import type { Logger } from '../log';
import { clientKey } from '../policy/client-address';
import type { LoginAuditLog, LoginOutcome } from '../store/types';

export interface LoginGuardLimits {
  /** Failures of one login name within `windowMs` that lock it; 0 = never. */
  maxFailuresPerAccount: number;
  /** Failures from one client address within `windowMs` that lock it; 0 = never. */
  maxFailuresPerAddress: number;
  windowMs: number;
  lockoutMs: number;
}

export interface LoginAttempt {
  protocol: 'smtp' | 'imap';
  /** The client's address as the listener saw it. */
  client: string;
  username: string;
}

export type LockScope = 'account' | 'address';

/** A login refused because its name or the client's address is locked out (SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]). */
export class LoginLocked extends TemporaryFailure {
  override readonly name = 'LoginLocked';
  constructor(
    readonly scope: LockScope,
    readonly retryAfterMs: number,
  ) {
    const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
    super(
      { code: 454, enhanced: '4.7.0' },
      `Too many failed logins ${scope === 'account' ? 'for this account' : 'from your address'}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
    );
  }
}

/** Names and addresses tracked at once; beyond it the least recently touched are forgotten. */
const DEFAULT_CAPACITY = 100_000;
const MAX_NAME = 320;

interface Entry {
  /** Times of recent failures (at most `max` kept). */
  failures: number[];
  lockedUntil: number;
  /** A refused attempt of the current lockout was already written to the audit trail. */
  refusalAudited: boolean;
}

/** Failure counts and lockouts for one kind of key. */
class FailureTracker {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly lockoutMs: number,
    private readonly capacity: number,
  ) {}

  /** Milliseconds left of a lockout of `key` (0: not locked). */
  lockedFor(key: string, now: number): number {
    const e = this.entries.get(key);
    return e && e.lockedUntil > now ? e.lockedUntil - now : 0;
  }

  /** True the first time a refusal of the current lockout is reported (audited once per lockout). */
  firstRefusal(key: string): boolean {
    const e = this.entries.get(key);
    if (!e || e.refusalAudited) return false;
    e.refusalAudited = true;
    return true;
  }

  /** Records a failure; returns the lockout end when this failure starts one. */
  fail(key: string, now: number): number | undefined {
    if (this.max <= 0) return undefined;
    const e = this.entries.get(key) ?? { failures: [], lockedUntil: 0, refusalAudited: false };
    this.entries.delete(key); // re-inserted below: Map order = least recently touched first
    e.failures = e.failures.filter((t) => t > now - this.windowMs);
    e.failures.push(now);
    let started: number | undefined;
    if (e.failures.length >= this.max) {
      e.lockedUntil = now + this.lockoutMs;
      e.failures = [];
      e.refusalAudited = false;
      started = e.lockedUntil;
    }
    this.entries.set(key, e);
    this.evict(now);
    return started;
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    if (this.entries.size <= this.capacity) return;
    for (const [key, e] of this.entries) {
      if (e.lockedUntil <= now && e.failures.every((t) => t <= now - this.windowMs)) this.entries.delete(key);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(key);
    }
  }
}

/** Runs one task per key at a time, so parallel guesses for one name cannot all pass the lockout check. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      done();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** The login name as counted and recorded: trimmed, lower case, printable, bounded. */
export function normaliseLoginName(username: string): string {
  return username
    .trim()
    .toLowerCase()
    .replace(/[\x00-\x1f\x7f]/g, '?')
    .slice(0, MAX_NAME);
}

export interface LoginGuardOptions {
  limits: LoginGuardLimits;
  audit: LoginAuditLog;
  logger: Logger;
  now?: () => Date;
  capacity?: number;
}

export class LoginGuard {
  private readonly byName: FailureTracker;
  private readonly byAddress: FailureTracker;
  private readonly queue = new KeyedQueue();
  private readonly now: () => Date;

  constructor(private readonly options: LoginGuardOptions) {
    const { limits } = options;
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.byName = new FailureTracker(limits.maxFailuresPerAccount, limits.windowMs, limits.lockoutMs, capacity);
    this.byAddress = new FailureTracker(limits.maxFailuresPerAddress, limits.windowMs, limits.lockoutMs, capacity);
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Checks a login with `check` (the credentials check proper) unless the name or the client's
   * address is locked out, counts a failure, and records the attempt. Resolves to what `check`
   * returned; throws LoginLocked while locked out.
   */
  attempt<T extends { accountId: string }>(attempt: LoginAttempt, check: () => Promise<T | null>): Promise<T | null> {
    const name = normaliseLoginName(attempt.username);
    return this.queue.run(name, () => this.decide(attempt, name, check));
  }

  /** Names and addresses currently tracked (for tests of the memory bound). */
  get tracked(): { names: number; addresses: number } {
    return { names: this.byName.size, addresses: this.byAddress.size };
  }

  private async decide<T extends { accountId: string }>(attempt: LoginAttempt, name: string, check: () => Promise<T | null>): Promise<T | null> {
    const address = clientKey(attempt.client);
    const now = this.now().getTime();
    const addressWait = this.byAddress.lockedFor(address, now);
    const nameWait = this.byName.lockedFor(name, now);
    if (addressWait > 0 || nameWait > 0) {
      const scope: LockScope = addressWait > 0 ? 'address' : 'account';
      const tracker = scope === 'address' ? this.byAddress : this.byName;
      // One entry per lockout: a locked-out client hammering on must not fill the disk.
      if (tracker.firstRefusal(scope === 'address' ? address : name)) await this.record(attempt, name, 'refused', { detail: `${scope} locked` });
      this.options.logger.info({ protocol: attempt.protocol, client: attempt.client, user: name, scope }, 'login refused: locked out');
      throw new LoginLocked(scope, Math.max(addressWait, nameWait));
    }
    const user = await check();
    if (user) {
      this.byName.clear(name);
      await this.record(attempt, name, 'success', { accountId: user.accountId });
      return user;
    }
    await this.record(attempt, name, 'failure');
    const nameLock = this.byName.fail(name, now);
    const addressLock = this.byAddress.fail(address, now);
    if (nameLock !== undefined) await this.lockout(attempt, name, 'account', nameLock);
    if (addressLock !== undefined) await this.lockout(attempt, name, 'address', addressLock);
    return null;
  }

  private async lockout(attempt: LoginAttempt, name: string, scope: LockScope, until: number): Promise<void> {
    const detail = `${scope} locked until ${new Date(until).toISOString()}`;
    this.options.logger.warn({ protocol: attempt.protocol, client: attempt.client, user: name, scope, until: new Date(until).toISOString() }, 'login lockout');
    await this.record(attempt, name, 'lockout', { detail });
  }

  private async record(attempt: LoginAttempt, name: string, outcome: LoginOutcome, extra: { accountId?: string; detail?: string } = {}): Promise<void> {
    const { logger } = this.options;
    if (outcome === 'success') logger.info({ protocol: attempt.protocol, client: attempt.client, user: name }, 'login');
    if (outcome === 'failure') logger.info({ protocol: attempt.protocol, client: attempt.client, user: name }, 'login failed');
    try {
      await this.options.audit.append({
        at: this.now(),
        protocol: attempt.protocol,
        client: attempt.client,
        username: name,
        outcome,
        ...extra,
      });
    } catch (err) {
      // The attempt is still decided; losing one audit row must not lock everybody out.
      logger.error({ err: (err as Error).message, outcome }, 'login audit entry could not be written');
    }
  }
}
