/**
 * Two job threads in one daemon (`jobs.threads = 2`) share the queue without taking each
 * other's jobs: every dispatch runs once, no lease is lost, and the ledger holds (each message
 * delivered once with its evidence). Each thread once drew its own lease identity and took its
 * sibling's running jobs for a dead process's: almost every job failed with LeaseLost at least
 * once and delivery fell tenfold.
 */
import { readDatabase } from '../support/database';
import { startRig, type FaultRig } from './rig';

let rig: FaultRig;

beforeAll(async () => {
  rig = await startRig({ tag: 'threads', users: ['ali.veli', 'ayse.kaya', 'can.demir'], env: { KEPD_JOBS_THREADS: '2' } });
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
});

test('with two job threads every job runs once and every message is delivered once', async () => {
  const [ali, ayse, can] = ['ali.veli', 'ayse.kaya', 'can.demir'].map((u) => rig.user(u));
  // Several at a time, so that one thread claims while the other is running jobs.
  for (let round = 0; round < 6; round++) {
    const sent = await Promise.all([rig.send(ali, [ayse]), rig.send(ayse, [can, ali]), rig.send(can, [ali]), rig.send(ali, [can])]);
    expect(sent.map((e) => e.outcome?.kind)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
  }
  await rig.settle();
  const jobs = await readDatabase(rig.provider.dataDir, (db) =>
    db.prepare(`SELECT kind, state, attempts, last_error AS lastError FROM jobs ORDER BY id`).all() as Array<{ kind: string; state: string; attempts: number; lastError: string | null }>,
  );
  expect(jobs.filter((j) => j.kind === 'dispatch')).toHaveLength(24);
  expect(jobs.filter((j) => j.state !== 'done' || j.attempts !== 1 || j.lastError !== null)).toEqual([]);
  const { exitCode, report } = await rig.finish();
  expect(report.problems).toEqual([]);
  expect(report.figures.submissionsStored).toBe(24);
  expect(report.figures.dispatches).toBe(30);
  expect(exitCode).toBe(0);
}, 180_000);
