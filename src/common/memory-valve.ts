/**
 * Frees the buffers of large streams soon after they are done with. A streamed 100 MB message
 * passes through ~1,600 buffers per pass (socket, file reads, writes), each outside V8's heap
 * and tiny inside it: V8 only collects them when its young generation fills, or once 64 MB of
 * such external memory has built up, per thread. With the SMTP and job threads each holding up
 * to that much garbage, a 100 MB submission raised the daemon's RSS by 70-85 MB although no
 * more than a few hundred KB of it is live at any time.
 *
 * The valve looks at the thread's external memory a few times a second and, when it has grown
 * by more than a threshold, runs a young-generation collection (a millisecond or two), which
 * releases the buffers of finished chunks. Idle or small-message load never triggers it.
 * Node only exposes the collector with --expose-gc; the flag is set at run time here, so the
 * daemon needs no special command line. Without it the valve does nothing.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemoryValveOptions {
  /** Growth of external memory (bytes) that triggers a collection. */
  thresholdBytes: number;
  intervalMs: number;
}

export const DEFAULT_MEMORY_VALVE: MemoryValveOptions = { thresholdBytes: 8 * 1024 * 1024, intervalMs: 20 };

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

/** Starts the valve for the calling thread (each worker thread needs its own). */
export function startMemoryValve(options: MemoryValveOptions = DEFAULT_MEMORY_VALVE): MemoryValve {
  const gc = collector();
  let collections = 0;
  let base = getHeapStatistics().external_memory;
  const timer = setInterval(() => {
    const now = getHeapStatistics().external_memory;
    if (now < base) base = now;
    if (!gc || now - base < options.thresholdBytes) return;
    gc({ type: 'minor' });
    collections++;
    base = getHeapStatistics().external_memory;
  }, options.intervalMs);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    stop: () => clearInterval(timer),
  };
}
