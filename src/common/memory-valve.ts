/**
 * Frees the buffers of large streams soon after they are done with. A streamed 100 MB message
 * passes through ~1,600 buffers per pass (socket, file reads, writes), each outside V8's heap
 * and tiny inside it: V8 only collects them when its young generation fills, or once 64 MB of
 * such external memory has built up, per thread. With the SMTP and job threads each holding up
 * to that much garbage, a 100 MB submission raised the daemon's RSS by 70-85 MB although no
 * more than a few hundred KB of it is live at any time.
 *
 * The valve compares the thread's external memory with what it was after the last collection
 * and, once it has grown by more than 8 MB, runs a young-generation collection (a millisecond
 * or two), which releases the buffers of finished chunks. It looks whenever the thread's blob
 * streams have moved another megabyte (`noteStreamedBytes`, called by the store's file reads
 * and blob writes) and, for anything else, every 100 ms. How soon it looks matters more than
 * the threshold: a job thread reads a stored message at several hundred MB/s, and each
 * thread's allocator keeps what it once held. A 100 MB submission made right after start
 * (`npm run bench`'s 100 MB row) raised RSS by +42 to +66 MB when the valve only looked on a
 * 20 ms timer (seven runs, two over the 64 MB target); +20 to +36 MB with a 10 ms timer and
 * 4 MB (eight), but a timer that fast costs an idle daemon ~2% of a core per thread in
 * wake-ups (19 ms of CPU a second at 10 ms, 10 ms at 20 ms: a wake-up costs ~0.2 ms in this
 * VM); +23 to +31 MB looking after every streamed megabyte (six). 1 MB messages at full load
 * get about a third more of its collections (~0.1 per message, ~1 ms each); small messages
 * rarely stream a megabyte through one thread.
 *
 * Node only exposes the collector with --expose-gc; the flag is set at run time here, so the
 * daemon needs no special command line. Without it the valve does nothing.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemoryValveOptions {
  /** Growth of external memory (bytes) that triggers a collection. */
  thresholdBytes: number;
  /** Streamed bytes between two looks. */
  lookEveryBytes: number;
  /** Period of the looks that do not wait for streamed bytes. */
  intervalMs: number;
}

export const DEFAULT_MEMORY_VALVE: MemoryValveOptions = { thresholdBytes: 8 * 1024 * 1024, lookEveryBytes: 1024 * 1024, intervalMs: 100 };

type CollectGarbage = (options: { type: 'minor' | 'major' }) => void;

function collector(): CollectGarbage | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as CollectGarbage;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as CollectGarbage) : undefined;
  } catch {
    return undefined;
  }
}

export interface MemoryValve {
  /** Collections it ran. */
  readonly collections: number;
  stop(): void;
}

/** The calling thread's valve (module state is per thread: each worker loads its own copy). */
let threadValve: { note(bytes: number): void } | undefined;

/**
 * Says that `bytes` of a stream went through this thread (a file read, a blob write); the valve
 * looks once another `lookEveryBytes` have. Costs an addition when there is no valve.
 */
export function noteStreamedBytes(bytes: number): void {
  threadValve?.note(bytes);
}

/** Starts the valve for the calling thread (each worker thread needs its own). */
export function startMemoryValve(options: MemoryValveOptions = DEFAULT_MEMORY_VALVE): MemoryValve {
  const gc = collector();
  let collections = 0;
  let base = getHeapStatistics().external_memory;
  let streamed = 0;
  const look = (): void => {
    const now = getHeapStatistics().external_memory;
    if (now < base) base = now;
    if (!gc || now - base < options.thresholdBytes) return;
    gc({ type: 'minor' });
    collections++;
    base = getHeapStatistics().external_memory;
  };
  const own = {
    note(bytes: number): void {
      streamed += bytes;
      if (streamed < options.lookEveryBytes) return;
      streamed = 0;
      look();
    },
  };
  threadValve = own;
  const timer = setInterval(look, options.intervalMs);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    stop: () => {
      clearInterval(timer);
      if (threadValve === own) threadValve = undefined;
    },
  };
}
