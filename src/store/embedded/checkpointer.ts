/**
 * Checkpoints the write-ahead log from a thread of its own. SQLite's automatic checkpoint runs
 * inside whichever COMMIT crosses the threshold: it copies the WAL into the database and
 * fsyncs it right there, on the committing thread, holding the write lock — measured at 17–37
 * ms on the daemon's event loop, stalling every session and the other writer behind it.
 * Here a third connection checkpoints once the WAL has grown past a threshold, in two steps:
 * PASSIVE first (copies the bulk without blocking anyone), then FULL, which takes the write
 * lock and copies only what was committed meanwhile: a millisecond or two, after which the next
 * writer starts the WAL over (a PASSIVE checkpoint alone never catches up with writers that
 * keep committing, and the WAL would only grow). FULL also waits for readers of older
 * snapshots while it holds writers off, so it is tried only when PASSIVE got close to the end
 * (no reader held it back) and waits at most `lockWaitMs`. Whatever writers commit while
 * PASSIVE copies is left to FULL, which copies it holding every writer off: after one PASSIVE
 * over a quarter second of full load (~6,000 pages, 25-55 ms) that was 300-900 pages, and FULL
 * held the writers 15-22 ms, long enough to show in the acceptance latency of every SMTP
 * session at once. So PASSIVE runs again, up to `maxPasses` times, while the pass before found
 * more than `catchUpPages` new pages: each pass is shorter than the one before, and FULL copies
 * what the last, short one left (~4 ms). The writers' automatic checkpoint is off. The FULL
 * step holds the writer threads' gate (write-gate.ts): without it they met the write lock in
 * SQLite's busy handler and slept 1, 2, 5 ... 100 ms (strace under load: the SMTP thread slept
 * up to 100 ms at once in BEGIN while a FULL step waited for a reader).
 *
 * The trigger is the WAL file's size, and SQLite only truncates the file to
 * `journal_size_limit` (the same 64 MB) when it starts over: once it has reached the threshold,
 * a busy daemon checkpoints at every interval (each ~25 MB of pages at 450 messages a second).
 * Counting the pages not yet copied instead (the WAL index header) made checkpoints 3-4 times
 * rarer and copied a fifth fewer pages, but each stalled the writers longer and the p99
 * acceptance latency rose (55 and 74 ms against 43 and 54): kept as it is.
 *
 * Durability is unchanged: the checkpoint fsyncs the WAL before copying and the database
 * after (synchronous=NORMAL does both for checkpoints), exactly what the automatic one did.
 * The thread's code is a string (run with `eval`) so it works from the sources as well as
 * from the build.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log';
import { enterGateUntil, leaveGate } from './write-gate';

export interface CheckpointOptions {
  /** Checkpoint once the WAL file is at least this large (it stays so once it was: see above). */
  thresholdBytes: number;
  /** How often the WAL's size is looked at. */
  intervalMs: number;
  /** How long the FULL step waits for the write lock and for readers. */
  lockWaitMs: number;
  /** FULL only when PASSIVE left at most this many WAL pages uncopied. */
  fullWithinPages: number;
  /** PASSIVE passes at most before the FULL step. */
  maxPasses: number;
  /** Another PASSIVE pass while the last one found more new pages than this. */
  catchUpPages: number;
}

/** How long the thread waits for the write gate before it skips the FULL step until next time. */
const GATE_WAIT_MS = 1000;

export const DEFAULT_CHECKPOINT_OPTIONS: CheckpointOptions = {
  thresholdBytes: 64 * 1024 * 1024,
  intervalMs: 200,
  lockWaitMs: 10,
  fullWithinPages: 256,
  maxPasses: 4,
  catchUpPages: 64,
};

/** What a PASSIVE pass returned (`PRAGMA wal_checkpoint`: frames in the WAL, frames copied). */
export interface PassResult {
  log: number;
  checkpointed: number;
}

/**
 * The step after a PASSIVE pass: another pass while writers committed many pages during the
 * last one and passes remain; FULL once little is left; nothing when a reader holds pages back
 * (FULL would wait for it with the writers held off). `previousLog` is the WAL's length at the
 * pass before (undefined after the first). A plain function of its arguments: the checkpoint
 * thread runs its source (see THREAD_CODE).
 */
export function afterPassivePass(
  pass: PassResult,
  previousLog: number | undefined,
  passes: number,
  options: Pick<CheckpointOptions, 'fullWithinPages' | 'maxPasses' | 'catchUpPages'>,
): 'passive' | 'full' | 'stop' {
  if (pass.log - pass.checkpointed > options.fullWithinPages) return 'stop';
  // Negative when a writer started the WAL over meanwhile: little to copy then.
  const fresh = previousLog === undefined ? pass.log : pass.log - previousLog;
  return fresh > options.catchUpPages && passes < options.maxPasses ? 'passive' : 'full';
}

export interface BackgroundCheckpoints {
  /** Stops after a last checkpoint. */
  stop(): Promise<void>;
}

const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { timeout: workerData.lockWaitMs });
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
// The write gate of the daemon's threads (write-gate.ts, whose protocol functions follow).
// Holding it through the FULL step makes the writers of this process wait on the gate, woken
// the moment the step ends, instead of meeting the write lock in SQLite's busy handler, which
// sleeps 1, 2, 5, 10 ... 100 ms between tries.
${enterGateUntil.toString()}
${leaveGate.toString()}
${afterPassivePass.toString()}
const gate = workerData.gate ? new Int32Array(workerData.gate) : undefined;
const me = require('node:worker_threads').threadId + 1;
// A holder that never lets go (a writer thread that died) is the writers' to take over.
function enterGate() {
  return !gate || enterGateUntil(gate, me, Date.now() + workerData.gateWaitMs) === 0;
}
function leaveGateIfHeld() {
  if (gate) leaveGate(gate, me);
}
let timer;
let stopping = false;
function walBytes() {
  const st = statSync(workerData.file + '-wal', { throwIfNoEntry: false });
  return st ? st.size : 0;
}
function checkpoint() {
  const t0 = process.hrtime.bigint();
  let r = db.pragma('wal_checkpoint(PASSIVE)')[0];
  let passes = 1;
  let previousLog;
  let step;
  while ((step = afterPassivePass(r, previousLog, passes, workerData)) === 'passive') {
    previousLog = r.log;
    r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    passes++;
  }
  let fullMs = 0;
  if (step === 'full' && enterGate()) {
    const t1 = process.hrtime.bigint();
    try {
      r = db.pragma('wal_checkpoint(FULL)')[0];
    } finally {
      leaveGateIfHeld();
    }
    fullMs = Number(process.hrtime.bigint() - t1) / 1e6;
  }
  parentPort.postMessage({ type: 'checkpoint', busy: r.busy, log: r.log, checkpointed: r.checkpointed, ms: Number(process.hrtime.bigint() - t0) / 1e6, passes, fullMs });
}
function tick() {
  try {
    if (walBytes() >= workerData.thresholdBytes) checkpoint();
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String(err && err.message) });
  }
  if (!stopping) timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopping = true;
  clearTimeout(timer);
  try { checkpoint(); } catch (err) { parentPort.postMessage({ type: 'error', message: String(err && err.message) }); }
  db.close();
  parentPort.close();
});
tick();
`;

type FromThread =
  | { type: 'checkpoint'; busy: number; log: number; checkpointed: number; ms: number; passes: number; fullMs: number }
  | { type: 'error'; message: string };

export function startBackgroundCheckpoints(
  dbFile: string,
  logger: Logger,
  options: CheckpointOptions = DEFAULT_CHECKPOINT_OPTIONS,
  /** The write gate of the database's writer threads (write-gate.ts), held through the FULL step. */
  gate?: SharedArrayBuffer,
): BackgroundCheckpoints {
  let stopped = false;
  let worker: Worker | undefined;
  const spawn = (): void => {
    const w = new Worker(THREAD_CODE, {
      eval: true,
      workerData: { file: dbFile, sqlite: require.resolve('better-sqlite3'), gate, gateWaitMs: GATE_WAIT_MS, ...options },
    });
    worker = w;
    w.on('message', (m: FromThread) => {
      if (m.type === 'error') logger.warn({ err: m.message }, 'WAL checkpoint failed; retrying');
      else logger.debug({ pages: m.checkpointed, walPages: m.log, ms: Math.round(m.ms), passes: m.passes, writersHeldMs: Math.round(m.fullMs * 10) / 10 }, 'WAL checkpointed');
    });
    w.on('error', (err) => logger.error({ err: err.message }, 'checkpoint thread failed'));
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      // Without checkpoints the WAL only grows: a thread that died is started again.
      if (!stopped) setTimeout(() => !stopped && spawn(), 1000).unref();
    });
  };
  spawn();
  return {
    stop: async () => {
      stopped = true;
      const w = worker;
      if (!w) return;
      await new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.postMessage('stop');
      });
    },
  };
}
