/**
 * Lets the threads of one process take turns at a database's write lock without SQLite's busy
 * handler. A connection that finds the lock taken is put to sleep by SQLite for 1, 2, 5, 10,
 * 20 ms... whatever the holder needs (about a millisecond): measured under load, the main
 * thread's event loop lost 0.6 ms per batch on average and up to 20 ms at once. Here a thread
 * waits on a shared word (Atomics.wait) and is woken the moment the holder is done.
 *
 * Only an optimisation on top of SQLite's own locking: other processes (the CLI) still meet
 * the busy timeout, and a gate held too long (a thread that died holding it) is taken over
 * after STALE_MS, SQLite's lock then deciding as before.
 */
import { threadId } from 'node:worker_threads';

/** A holder keeps the gate for one synchronous transaction: far less than this. */
const STALE_MS = 2000;
const FREE = 0;

/** Word 0: the holder (FREE or a thread's identity); word 1: how many threads wait. */
const GATE_BYTES = 8;

export interface WriteGate {
  /** Blocks until this thread holds the gate. */
  enter(): void;
  leave(): void;
  /** Whether another thread is blocked in enter() right now (the holder may then cut short). */
  othersWaiting(): boolean;
}

class AtomicWriteGate implements WriteGate {
  private readonly word: Int32Array;
  /** Non-zero identity of this thread in the word. */
  private readonly me = threadId + 1;
  /** False for a buffer with the holder word only (4 bytes): no waiter count then. */
  private readonly counts: boolean;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.word = new Int32Array(buffer);
    this.counts = this.word.length >= 2;
  }

  enter(): void {
    if (this.take()) return;
    if (this.counts) Atomics.add(this.word, 1, 1);
    try {
      this.wait();
    } finally {
      if (this.counts) Atomics.sub(this.word, 1, 1);
    }
  }

  othersWaiting(): boolean {
    return this.counts && Atomics.load(this.word, 1) > 0;
  }

  private take(): boolean {
    const holder = Atomics.compareExchange(this.word, 0, FREE, this.me);
    return holder === FREE || holder === this.me;
  }

  private wait(): void {
    let deadline = 0;
    for (;;) {
      const holder = Atomics.compareExchange(this.word, 0, FREE, this.me);
      if (holder === FREE || holder === this.me) return;
      const now = Date.now();
      if (deadline === 0) deadline = now + STALE_MS;
      else if (now >= deadline) {
        // The holder never let go: take the gate over from exactly that holder.
        if (Atomics.compareExchange(this.word, 0, holder, this.me) === holder) return;
        deadline = 0;
        continue;
      }
      Atomics.wait(this.word, 0, holder, deadline - now);
    }
  }

  leave(): void {
    if (Atomics.compareExchange(this.word, 0, this.me, FREE) === this.me) Atomics.notify(this.word, 0, 1);
  }
}

/** Gates by database file, shared by every thread that adopted them. */
const gates = new Map<string, AtomicWriteGate>();

export function writeGateFor(dbFile: string): WriteGate {
  let gate = gates.get(dbFile);
  if (!gate) {
    gate = new AtomicWriteGate(new SharedArrayBuffer(GATE_BYTES));
    gates.set(dbFile, gate);
  }
  return gate;
}

/** The gates of this thread, for a worker thread to adopt (pass through workerData). */
export function exportWriteGates(): Record<string, SharedArrayBuffer> {
  return Object.fromEntries([...gates].map(([file, gate]) => [file, gate.buffer]));
}

/** In a worker thread, before it opens a store: use the same gates as the thread that started it. */
export function adoptWriteGates(shared: Record<string, SharedArrayBuffer> | undefined): void {
  for (const [file, buffer] of Object.entries(shared ?? {})) if (!gates.has(file)) gates.set(file, new AtomicWriteGate(buffer));
}
