/**
 * Everything the benchmark starts registers how to stop it here. `runCleanups` runs them newest
 * first (each bounded in time) from the orchestrator's `finally`, and also on SIGINT/SIGTERM/
 * SIGHUP, so no private Postfix, Dovecot or kepd outlives a run.
 */
import { log } from './util';

type Cleanup = { name: string; fn: () => Promise<void> | void };

const cleanups: Cleanup[] = [];
let running: Promise<void> | undefined;

export function onCleanup(name: string, fn: () => Promise<void> | void): void {
  cleanups.push({ name, fn });
}

export function runCleanups(): Promise<void> {
  if (!running) {
    running = (async () => {
      while (cleanups.length) {
        const c = cleanups.pop()!;
        const t0 = Date.now();
        try {
          await Promise.race([
            Promise.resolve().then(c.fn),
            new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timed out after 30 s')), 30_000).unref()),
          ]);
        } catch (e) {
          log(`cleanup "${c.name}" failed: ${(e as Error).message}`);
        }
        if (Date.now() - t0 > 2000) log(`cleanup "${c.name}" took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    })();
  }
  return running;
}

/**
 * On a signal: clean up, then exit 130 (a run interrupted is a failed run). On an exception
 * nobody caught: clean up, then exit 1, so no server outlives a crashed benchmark.
 */
export function installSignalHandlers(): void {
  for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(ev, (err: unknown) => {
      log(`${ev}: ${(err as Error)?.stack ?? String(err)}`);
      const hardExit = setTimeout(() => process.exit(1), 60_000);
      hardExit.unref();
      runCleanups().finally(() => process.exit(1));
    });
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping servers and removing temporary files`);
      const hardExit = setTimeout(() => process.exit(130), 60_000);
      hardExit.unref();
      runCleanups().finally(() => process.exit(130));
    });
  }
}
