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

/** Word 0: the holder (0 = free, else a thread's identity); word 1: how many threads wait. */
const GATE_BYTES = 8;

/*
 * The protocol itself, as plain functions of globals only (no imports, no module constants):
 * the checkpoint thread, started from source text (checkpointer.ts), embeds their source via
 * `toString()` and so runs this very code, not a copy of it.
 */

/**
 * Takes the gate for `me` (a non-zero thread identity), waiting until `deadline` (ms since the
 * epoch) at most; returns 0 once held, else the identity that still holds it. While it waits
 * it counts itself in word 1 (when the buffer has one) for the holder's othersWaiting().
 */
export function enterGateUntil(word: Int32Array, me: number, deadline: number): number {
  let counted = false;
  try {
    for (;;) {
      const holder = Atomics.compareExchange(word, 0, 0, me);
      if (holder === 0 || holder === me) return 0;
      const left = deadline - Date.now();
      if (left <= 0) return holder;
      if (!counted && word.length >= 2) {
        Atomics.add(word, 1, 1);
        counted = true;
      }
      Atomics.wait(word, 0, holder, left);
    }
  } finally {
    if (counted) Atomics.sub(word, 1, 1);
  }
}

/** Gives the gate up if `me` holds it, waking one waiter. */
export function leaveGate(word: Int32Array, me: number): void {
  if (Atomics.compareExchange(word, 0, me, 0) === me) Atomics.notify(word, 0, 1);
}

/** Whether a thread is counted as waiting (a 4-byte buffer has no count: never). */
export function gateWaiters(word: Int32Array): boolean {
  return word.length >= 2 && Atomics.load(word, 1) > 0;
}

export interface WriteGate {
  /** Blocks until this thread holds the gate. */
  enter(): void;
  leave(): void;
  /** Whether another thread is blocked in enter() right now (the holder may then cut short). */
  othersWaiting(): boolean;
}

/** A gate and the shared memory behind it, for threads that share it by buffer (the checkpoint thread). */
export interface SharedWriteGate extends WriteGate {
  readonly buffer: SharedArrayBuffer;
}

class AtomicWriteGate implements SharedWriteGate {
  private readonly word: Int32Array;
  /** Non-zero identity of this thread in the word. */
  private readonly me = threadId + 1;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.word = new Int32Array(buffer);
  }

  enter(): void {
    for (;;) {
      const holder = enterGateUntil(this.word, this.me, Date.now() + STALE_MS);
      if (holder === 0) return;
      // The holder never let go: take the gate over from exactly that holder.
      if (Atomics.compareExchange(this.word, 0, holder, this.me) === holder) return;
    }
  }

  othersWaiting(): boolean {
    return gateWaiters(this.word);
  }

  leave(): void {
    leaveGate(this.word, this.me);
  }
}

/** Gates by database file, shared by every thread that adopted them. */
const gates = new Map<string, AtomicWriteGate>();

export function writeGateFor(dbFile: string): SharedWriteGate {
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
