/**
 * Preloaded into a server process (`NODE_OPTIONS=--require …/cpu-profile.js`; `--cpu-prof` is
 * refused in NODE_OPTIONS) when BENCH_CPU_PROFILE_DIR is set: SIGUSR2 starts the inspector's
 * CPU profiler, the next SIGUSR2 stops it and writes `<dir>/<pid>-<n>.cpuprofile` (Chrome
 * DevTools opens it), so a benchmark can profile exactly the span it measures. Worker threads
 * (kepd's job threads) get the preload too; they cannot receive signals, so the main thread
 * tells them over a BroadcastChannel and each writes `<dir>/<pid>-<n>-t<threadId>.cpuprofile`
 * before the main thread writes its own.
 */
import { Session } from 'node:inspector';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.BENCH_CPU_PROFILE_DIR;

interface Command {
  type: 'start' | 'stop';
  n: number;
}

function profiler(): { start(): void; stop(file: string, then?: () => void): void } {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 250 });
  return {
    start: () => session.post('Profiler.start'),
    stop: (file, then) =>
      session.post('Profiler.stop', (err, result) => {
        if (!err) {
          mkdirSync(dir!, { recursive: true });
          // written under another name first: the benchmark waits for the final name
          writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
          renameSync(`${file}.tmp`, file);
        }
        then?.();
      }),
  };
}

if (dir) {
  const p = profiler();
  const channel = new BroadcastChannel('bench-cpu-profile');
  channel.unref();
  if (isMainThread) {
    let running = false;
    let n = 0;
    let threads = 0;
    const written = new Set<number>();
    channel.onmessage = (e: unknown) => {
      const m = (e as { data: { type: string; threadId: number } }).data;
      if (m.type === 'hello') threads += 1;
      if (m.type === 'written') written.add(m.threadId);
    };
    process.on('SIGUSR2', () => {
      if (!running) {
        running = true;
        n += 1;
        channel.postMessage({ type: 'start', n } satisfies Command);
        p.start();
        return;
      }
      running = false;
      written.clear();
      channel.postMessage({ type: 'stop', n } satisfies Command);
      const started = Date.now();
      const finish = (): void => {
        // the main profile's name is what the benchmark waits for: thread profiles come first
        if (written.size < threads && Date.now() - started < 10_000) return void setTimeout(finish, 20);
        p.stop(join(dir, `${process.pid}-${n}.cpuprofile`));
      };
      finish();
    });
  } else {
    channel.postMessage({ type: 'hello', threadId });
    channel.onmessage = (e: unknown) => {
      const m = (e as { data: Command }).data;
      if (m.type === 'start') p.start();
      if (m.type === 'stop') p.stop(join(dir, `${process.pid}-${m.n}-t${threadId}.cpuprofile`), () => channel.postMessage({ type: 'written', threadId }));
    };
  }
}
