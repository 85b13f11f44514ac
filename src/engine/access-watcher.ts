/**
 * Ends open sessions whose access has ended (kep-rem.md §8.2): a removed operator, an account
 * past its read-only period. Account changes can come from another process (`kepd operator
 * remove` while the daemon runs), so the account history is polled: every new entry re-checks
 * the sessions of its account at once, and a slower sweep re-checks everyone (periods that end
 * with the clock, not with a change).
 */
import { principalRefusal } from '../accounts/service';
import type { Runtime } from './runtime';

export interface SessionPrincipal {
  accountId: string;
  operator?: string;
}

/** The protocol side: who is logged in, and ending sessions. */
export interface SessionDirectory {
  sessionPrincipals(): SessionPrincipal[];
  endSessions(match: (principal: SessionPrincipal) => boolean, reason: string): number;
}

export interface AccessWatcherOptions {
  /** How often the account history is read for new changes. */
  pollMs?: number;
  /** How often every open session is re-checked. */
  sweepMs?: number;
}

const DEFAULT_POLL_MS = 250;
const DEFAULT_SWEEP_MS = 60_000;

const keyOf = (p: SessionPrincipal): string => `${p.accountId}\u0000${p.operator ?? ''}`;

export class AccessWatcher {
  private lastSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastSweep = 0;
  private stopped = true;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly rt: Runtime,
    private readonly sessions: SessionDirectory[],
    private readonly options: AccessWatcherOptions = {},
  ) {}

  async start(): Promise<void> {
    this.lastSeq = await this.rt.store.accounts.lastEventSeq();
    this.lastSweep = Date.now();
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Re-checks the sessions of accounts changed since the last look (and all, when a sweep is due). */
  async check(): Promise<void> {
    const events = await this.rt.store.accounts.eventsSince(this.lastSeq);
    const changed = new Set(events.map((e) => e.accountId));
    if (events.length) this.lastSeq = events[events.length - 1]!.seq;
    const sweep = Date.now() - this.lastSweep >= (this.options.sweepMs ?? DEFAULT_SWEEP_MS);
    if (sweep) this.lastSweep = Date.now();
    if (!sweep && !changed.size) return;
    await this.recheck((p) => sweep || changed.has(p.accountId));
  }

  private async recheck(include: (p: SessionPrincipal) => boolean): Promise<void> {
    const principals = new Map<string, SessionPrincipal>();
    for (const dir of this.sessions) for (const p of dir.sessionPrincipals()) if (include(p)) principals.set(keyOf(p), p);
    const policy = { closedAccessDays: this.rt.config.accounts.closed_access_days };
    for (const [key, principal] of principals) {
      const refusal = await principalRefusal(this.rt.store, principal, this.rt.now(), policy);
      if (!refusal) continue;
      let ended = 0;
      for (const dir of this.sessions) ended += dir.endSessions((p) => keyOf(p) === key, `Access ended: ${refusal}`);
      this.rt.logger.info({ accountId: principal.accountId, operator: principal.operator, sessions: ended }, 'sessions ended: access no longer allowed');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.check()
        .catch((err: unknown) => this.rt.logger.warn({ err: (err as Error).message }, 'checking session access failed'))
        .finally(() => this.schedule());
    }, this.options.pollMs ?? DEFAULT_POLL_MS);
    this.timer.unref();
  }
}
