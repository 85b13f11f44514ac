/**
 * Sizes of the fault runs. `npm test` runs the short versions; `npm run test:soak` sets
 * KEPD_SOAK=1 for the long ones, whose size the environment controls:
 *   KEPD_SOAK_KILLS     SIGKILLs per crash run                 (default 30)
 *   KEPD_SOAK_SESSIONS  concurrent SMTP sessions               (default 4)
 *   KEPD_SOAK_USERS     accounts sending and receiving         (default 6)
 *   KEPD_SOAK_UPTIME_MS longest run of one incarnation         (default 4000)
 *   KEPD_SOAK_REPORT    file the run's figures are written to  (default: none)
 * Any fault run keeps its data dir and daemon logs for a look afterwards with KEPD_FAULTS_KEEP=1.
 */
export const SOAK = process.env.KEPD_SOAK === '1';

function int(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not "${v}"`);
  return n;
}

export const soak = {
  kills: int('KEPD_SOAK_KILLS', 30),
  sessions: int('KEPD_SOAK_SESSIONS', 4),
  users: int('KEPD_SOAK_USERS', 6),
  uptimeMs: int('KEPD_SOAK_UPTIME_MS', 4000),
  report: process.env.KEPD_SOAK_REPORT,
};
