/**
 * Preloaded into a server process (`NODE_OPTIONS=--require …/cpu-profile.js`; `--cpu-prof` is
 * refused in NODE_OPTIONS) when BENCH_CPU_PROFILE_DIR is set: SIGUSR2 starts the inspector's
 * CPU profiler, the next SIGUSR2 stops it and writes `<dir>/<pid>-<n>.cpuprofile` (Chrome
 * DevTools opens it), so a benchmark can profile exactly the span it measures.
 */
import { Session } from 'node:inspector';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 250 });
  let running = false;
  let n = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.start');
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${process.pid}-${++n}.cpuprofile`);
      // written under another name first: the benchmark waits for the final name
      writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
      renameSync(`${file}.tmp`, file);
    });
  });
}
