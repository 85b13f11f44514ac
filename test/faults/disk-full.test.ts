/**
 * A full disk: the data dir lives on a small tmpfs (mounted for the test; this needs root, and
 * the test is skipped with a note where mounting is not allowed). With the disk full,
 * submissions get 452 4.3.1 and nothing half-done stays behind; with a little room left, every
 * stage that can run out (message file, evidence file, database) answers 4xx, never 5xx; the
 * daemon never dies; once space is freed the same daemon accepts again and finishes the
 * deliveries it had to put off. The ledger check closes: nothing lost, nothing twice, store clean.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, statfsSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRig, type FaultRig } from './rig';
import { ControlledTsa } from './tsa-proxy';

const MOUNT_BYTES = 64 * 1024 * 1024;

function tryMount(dir: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux to mount a tmpfs';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_BYTES},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${(err as Error).message}`;
  }
}

const mountPoint = mkdtempSync(join(tmpdir(), 'kepd-diskfull-'));
const cannotMount = tryMount(mountPoint);
if (cannotMount) process.stderr.write(`disk-full test skipped: ${cannotMount}\n`);

let rig: FaultRig | undefined;
const tsa = new ControlledTsa();

afterAll(async () => {
  try {
    await rig?.cleanup();
    await tsa.down();
  } finally {
    if (!cannotMount) execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});

function freeBytes(): number {
  const s = statfsSync(mountPoint);
  return s.bavail * s.bsize;
}

/** Fills the filesystem with `filler` until the disk refuses, then gives back `leave` bytes. */
function fill(filler: string, leave: number): void {
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(256 * 1024, 0x5a);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  truncateSync(filler, Math.max(0, size - leave));
}

(cannotMount ? test.skip : test)(
  'a full disk gives 452 4.3.1 and leaves nothing half-done; freed space brings the same daemon back',
  async () => {
    await tsa.up();
    rig = await startRig({ tag: 'full', users: ['ali.veli', 'ayse.kaya', 'can.demir'], dataDir: join(mountPoint, 'data'), env: { KEPD_TSA_URL: tsa.url } });
    tsa.useKeysOf(rig.provider.dataDir);
    const [ali, ayse, can] = [rig.user('ali.veli'), rig.user('ayse.kaya'), rig.user('can.demir')];
    expect((await rig.send(ali, [ayse, can])).outcome).toMatchObject({ kind: 'accepted' });
    await rig.settle();

    const filler = join(mountPoint, 'filler');
    fill(filler, 0);
    expect(freeBytes()).toBeLessThan(64 * 1024);
    for (const signed of [true, false]) {
      const e = await rig.send(ali, [ayse], { signed, bytes: 200 * 1024 });
      expect(e.outcome).toMatchObject({ kind: 'refused', code: 452 });
      expect(e.outcome?.kind === 'refused' && e.outcome.response).toMatch(/^452 4\.3\.1 /);
    }
    // Reading while full: either served (its read evidence recorded first) or refused, never half.
    await rig.read('ayse.kaya', 1);

    // A little room: some stage runs out, wherever that is; the answer is always a 4xx or a 250.
    for (const leave of [24, 48, 64, 96, 128, 160, 200, 400]) {
      rmSync(filler, { force: true });
      fill(filler, leave * 1024);
      const e = await rig.send(can, [ali, ayse], { bytes: 40 * 1024 });
      expect(['accepted', 'refused']).toContain(e.outcome?.kind);
      if (e.outcome?.kind === 'refused') expect(e.outcome.code).toBeGreaterThanOrEqual(400);
      if (e.outcome?.kind === 'refused') expect(e.outcome.code).toBeLessThan(500);
    }
    expect(rig.daemon.alive()).toBe(true);

    // A delivery that meets the full disk in the middle of writing its dispatch: accepted with
    // room to spare, its job held back once (the TSA refuses it a token), the disk filled up, the
    // TSA back — the job's next attempt runs out of disk halfway, fails, and waits; the daemon
    // lives on (a writer error nobody listened to used to take the process down).
    rmSync(filler, { force: true });
    await rig.settle(240_000);
    tsa.mode = { kind: 'grant-then-refuse', grants: 1 };
    const big = await rig.send(ali, [ayse, can], { bytes: 250 * 1024 });
    expect(big.outcome).toMatchObject({ kind: 'accepted' });
    const bigId = big.outcome?.kind === 'accepted' ? big.outcome.id : '';
    await rig.dispatchFailed(bigId, /TSA/);
    // Room for the queue's bookkeeping, not for the dispatch (a copy of the 250 KB original).
    fill(filler, 100 * 1024);
    tsa.mode = { kind: 'grant' };
    await rig.dispatchFailed(bigId, /ENOSPC|disk is full/);
    expect(rig.daemon.alive()).toBe(true);

    rmSync(filler, { force: true });
    expect((await rig.send(ayse, [ali])).outcome).toMatchObject({ kind: 'accepted' });
    expect((await rig.send(ayse, [ali], { signed: false })).outcome).toMatchObject({ kind: 'refused', code: 550 });
    await rig.settle(240_000);
    expect(await rig.read('ayse.kaya', 1)).toBe('read');

    const { exitCode, report } = await rig.finish();
    const f = report.figures;
    process.stderr.write(`disk full: sent ${f.sent}, 250 ${f.accepted}, 4xx ${f.refused4xx}, 5xx ${f.refused5xx}; files of interrupted commits swept ${f.orphanBlobsSwept}\n`);
    expect(report.problems).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.figures).toMatchObject({ lost: 0, duplicated: 0, invalidEvidence: 0, unindexedArchiveFiles: 0 });
  },
  360_000,
);
