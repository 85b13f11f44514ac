/**
 * Crash safety of the whole daemon: SIGKILL at random moments under SMTP load, during the
 * delivery jobs and during IMAP body fetches, with the time-stamp authority failing now and
 * then, restarts on the same data dir, then the ledger check (ledger.ts): nothing acknowledged is lost, nothing is issued twice, every evidence is
 * valid, and the store is clean. Short under `npm test`; long with KEPD_SOAK=1 (soak-config.ts).
 */
import { writeFileSync } from 'node:fs';
import { runCrashScenario, summarize, type CrashRunResult, type KillAim } from './harness';
import { SOAK, soak } from './soak-config';

const AIMS: KillAim[] = ['smtp', 'delivery', 'retrieval', 'accepted', 'random', 'startup'];

let result: CrashRunResult | undefined;

afterAll(() => {
  if (process.env.KEPD_FAULTS_KEEP === '1') process.stderr.write(`fault run kept in ${result?.provider.root}\n`);
  else result?.provider.cleanup();
});

test(
  SOAK ? `soak: ${soak.kills} SIGKILLs under load, during delivery and retrieval` : 'SIGKILLs under load, during delivery and during retrieval lose nothing and issue nothing twice',
  async () => {
    result = await runCrashScenario({
      tag: SOAK ? 'soak' : 'crash',
      kills: SOAK ? soak.kills : 6,
      sessions: SOAK ? soak.sessions : 3,
      users: SOAK ? soak.users : 4,
      readers: true,
      aims: AIMS,
      uptimeMs: SOAK ? [500, soak.uptimeMs] : [1200, 2500],
      downMs: [0, 200],
      settleTimeoutMs: SOAK ? 300_000 : 90_000,
      unsignedRatio: 0.05,
      largeRatio: 0.1,
      tsaFaults: SOAK ? { everyMs: [2000, 8000], forMs: [300, 2000] } : { everyMs: [1500, 3000], forMs: [300, 1000] },
      stockToolSample: SOAK ? 24 : 4,
      progress: SOAK ? (line) => process.stderr.write(`${line}\n`) : undefined,
    });
    const summary = summarize(result);
    process.stderr.write(`\n${summary}\n`);
    if (SOAK && soak.report) writeFileSync(soak.report, JSON.stringify({ summary: summary.split('\n'), figures: result.report.figures, kills: result.kills }, null, 2));

    expect(result.report.problems).toEqual([]);
    expect(result.finalExit).toBe(0);
    expect(result.leakedHandles).toEqual([]);
    const f = result.report.figures;
    expect(f).toMatchObject({ lost: 0, duplicated: 0, invalidEvidence: 0 });
    // The run must have done what it claims: kills with work in flight, accepted messages, reads.
    expect(result.kills).toHaveLength(SOAK ? soak.kills : 6);
    expect(result.kills.filter((k) => k.smtpInFlight > 0 || k.jobsPending > 0).length).toBeGreaterThan(0);
    expect(f.accepted).toBeGreaterThan(0);
    expect(f.readsDelivered).toBeGreaterThan(0);
    expect(f.unreadDispatches).toBeGreaterThan(0);
    expect(f.compositeDispatches).toBeGreaterThan(0);
    expect(f.stockToolChecks).toBeGreaterThan(0);
  },
  SOAK ? 3 * 3600_000 : 240_000,
);
