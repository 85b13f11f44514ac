/**
 * Small blobs between `PendingBlob.commit()`/`put()` and the commit that references them: kept
 * in this process's memory, written into the database by that commit's transaction (so a
 * message costs no file, no fsync of its own). Nothing here is durable, and nothing needs to
 * be: until a commit references the blob nobody has been told it is stored.
 *
 * Memory is bounded twice: a staged blob nobody references is dropped after `ttlMs` (or when
 * its last holder discards it), and staging refuses what would exceed `maxBytes` (the caller
 * then stores a file, as for a large blob).
 */
export interface StagedBlob {
  hash: string;
  size: number;
  data: Buffer;
}

interface Entry extends StagedBlob {
  stagedAt: number;
  /** PendingBlobs (and puts) that staged these bytes and have not discarded them. */
  holders: number;
}

export interface StagedBlobsOptions {
  ttlMs: number;
  maxBytes: number;
  /** Monotonic milliseconds (tests pass their own). */
  clock?: () => number;
}

export class StagedBlobs {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private timer?: NodeJS.Timeout;
  private readonly clock: () => number;

  constructor(private readonly options: StagedBlobsOptions) {
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Stages `data` under `hash`; false when it does not fit in the memory bound. */
  stage(hash: string, data: Buffer): boolean {
    const existing = this.entries.get(hash);
    if (existing) {
      existing.holders += 1;
      existing.stagedAt = this.clock();
      return true;
    }
    if (this.bytes + data.length > this.options.maxBytes) return false;
    this.entries.set(hash, { hash, size: data.length, data, stagedAt: this.clock(), holders: 1 });
    this.bytes += data.length;
    this.startTimer();
    return true;
  }

  get(hash: string): StagedBlob | undefined {
    return this.entries.get(hash);
  }

  /** A holder no longer needs the bytes (PendingBlob.discard()); the last one drops them. */
  release(hash: string): void {
    const e = this.entries.get(hash);
    if (e && --e.holders <= 0) this.drop(e);
  }

  /** A durable commit now holds these bytes in the database. */
  stored(hash: string): void {
    const e = this.entries.get(hash);
    if (e) this.drop(e);
  }

  /** Drops what was staged longer than the time-to-live ago; returns how many. */
  evictExpired(): number {
    const cutoff = this.clock() - this.options.ttlMs;
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.stagedAt <= cutoff) {
        this.drop(e);
        n += 1;
      }
    }
    return n;
  }

  get stagedBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.entries.size;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.entries.clear();
    this.bytes = 0;
  }

  private drop(e: Entry): void {
    this.entries.delete(e.hash);
    this.bytes -= e.size;
    if (this.entries.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private startTimer(): void {
    if (this.timer) return;
    const every = Math.max(10, Math.min(30_000, Math.floor(this.options.ttlMs / 2)));
    this.timer = setInterval(() => this.evictExpired(), every);
    // Never keeps the process alive on its own.
    this.timer.unref();
  }
}
