/**
 * Concurrent-connection limits per client address and per account. One limiter per protocol,
 * shared by that protocol's listeners (587 and 465; 143 and 993). It only counts and decides;
 * the protocol layer replies (SMTP 421/454 4.7.0, IMAP BYE/NO [UNAVAILABLE]) and releases the
 * admission when the connection ends. In memory: counts describe this process's open sockets.
 */
import { clientKey } from './client-address';

export interface ConnectionLimits {
  /** Concurrent connections per client address (IPv6: per /64); 0 = no limit. */
  perAddress: number;
  /** Concurrent authenticated connections per account; 0 = no limit. */
  perAccount: number;
}

/** An admitted connection; `release` is idempotent. */
export interface Admission {
  release(): void;
}

export type AdmissionResult = { admitted: true; admission: Admission } | { admitted: false; limit: number };

class Counter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  admit(key: string): AdmissionResult {
    const current = this.counts.get(key) ?? 0;
    if (this.max > 0 && current >= this.max) return { admitted: false, limit: this.max };
    this.counts.set(key, current + 1);
    let released = false;
    return {
      admitted: true,
      admission: {
        release: () => {
          if (released) return;
          released = true;
          const left = (this.counts.get(key) ?? 1) - 1;
          // Keys of closed connections are dropped so the map only holds open ones.
          if (left <= 0) this.counts.delete(key);
          else this.counts.set(key, left);
        },
      },
    };
  }

  current(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/**
 * Sockets that are not sessions yet (a TLS handshake in progress, the greeting not sent) are
 * counted too, with room to spare so that a client just over the session limit still gets the
 * clear refusal: beyond this multiple of the per-address limit, sockets are dropped at once.
 */
const SOCKET_HEADROOM = 2;

export class ConnectionLimiter {
  private readonly addresses: Counter;
  private readonly accounts: Counter;
  private readonly sockets: Counter;

  constructor(readonly limits: ConnectionLimits) {
    this.addresses = new Counter(limits.perAddress);
    this.accounts = new Counter(limits.perAccount);
    this.sockets = new Counter(limits.perAddress * SOCKET_HEADROOM);
  }

  /** A TCP connection just accepted, before any TLS handshake or greeting. */
  admitSocket(address: string | undefined): AdmissionResult {
    return this.sockets.admit(clientKey(address));
  }

  /** A new connection from `address` (before the greeting). */
  admitAddress(address: string | undefined): AdmissionResult {
    return this.addresses.admit(clientKey(address));
  }

  /** A connection that just authenticated as `accountId`. */
  admitAccount(accountId: string): AdmissionResult {
    return this.accounts.admit(accountId);
  }

  /** Open connections counted for an address / account (for status and tests). */
  openFromAddress(address: string): number {
    return this.addresses.current(clientKey(address));
  }

  openForAccount(accountId: string): number {
    return this.accounts.current(accountId);
  }
}
