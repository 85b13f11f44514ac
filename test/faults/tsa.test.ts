/**
 * The time-stamp authority misbehaving (the unreachable-TSA case is in test/e2e/operations):
 * refusing with an HTTP error, answering with an RFC 3161 rejection, hanging, gone, slow, and
 * failing between an acceptance and its delivery. Submitters get 451 4.3.0 and nothing is
 * issued without a token; the daemon keeps serving others; once the TSA answers again the same
 * daemon accepts, and the delivery and the queued rejection evidence follow — exactly once.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { openFilesUnder } from './raw-clients';
import { startRig, type FaultRig } from './rig';
import { ControlledTsa } from './tsa-proxy';

const TSA_TIMEOUT_MS = 4000;

let rig: FaultRig;
let tsa: ControlledTsa;

beforeAll(async () => {
  tsa = new ControlledTsa();
  await tsa.up();
  rig = await startRig({ tag: 'tsa', users: ['ali.veli', 'ayse.kaya', 'can.demir'], env: { KEPD_TSA_URL: tsa.url, KEPD_TSA_TIMEOUT_MS: String(TSA_TIMEOUT_MS) } });
  tsa.useKeysOf(rig.provider.dataDir);
}, 120_000);

afterAll(async () => {
  await tsa?.down();
  await rig?.cleanup();
});

async function evidenceCount(): Promise<number> {
  return (await rig.inspector.evidence.list()).length;
}

async function mailboxSize(local: string, path: string): Promise<number> {
  const account = (await rig.inspector.accounts.getByAddress(rig.user(local).address))!;
  const box = (await rig.inspector.mailboxes.get(account.id, path))!;
  return (await rig.inspector.messages.list(box.id)).length;
}

/** Logs in over IMAP and lists the folders: proof the daemon answers others. */
async function imapWorks(local: string): Promise<boolean> {
  const u = rig.user(local);
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: rig.daemon.ports.imaps,
    secure: true,
    auth: { user: u.address, pass: u.password },
    tls: { ca: [rig.provider.caPem], servername: 'localhost' },
    logger: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const list = await client.list();
    await client.logout();
    return list.some((m) => m.path === 'Delil');
  } finally {
    client.close();
  }
}

test('TSA refusing, rejecting, hanging or gone: 451 4.3.0, nothing issued or stored, others still served', async () => {
  const [ali, ayse] = [rig.user('ali.veli'), rig.user('ayse.kaya')];
  for (const mode of [{ kind: 'http-error', status: 503 }, { kind: 'rejection' }] as const) {
    tsa.mode = mode;
    const e = await rig.send(ali, [ayse]);
    expect(e.outcome).toMatchObject({ kind: 'refused', code: 451 });
    expect(e.outcome?.kind === 'refused' && e.outcome.response).toMatch(/^451 4\.3\.0 .*time-stamp/i);
  }

  // Hanging: while a submission waits for the TSA, another user's IMAP session is served.
  tsa.mode = { kind: 'hang' };
  const hung = tsa.counts.hung;
  let settled = false;
  const pending = rig.send(ali, [ayse]).finally(() => (settled = true));
  while (tsa.counts.hung === hung && !settled) await new Promise((r) => setTimeout(r, 20));
  expect(await imapWorks('can.demir')).toBe(true);
  expect(settled).toBe(false);
  expect((await pending).outcome).toMatchObject({ kind: 'refused', code: 451 });

  await tsa.down();
  expect((await rig.send(ali, [ayse])).outcome).toMatchObject({ kind: 'refused', code: 451 });
  // A refusal during the outage: 5xx now, its evidence waits for a token.
  expect((await rig.send(ali, [ayse], { signed: false })).outcome).toMatchObject({ kind: 'refused', code: 550 });

  expect(await evidenceCount()).toBe(0);
  expect(await mailboxSize('ali.veli', 'Sent')).toBe(0);
  expect(await mailboxSize('ayse.kaya', 'INBOX')).toBe(0);
  expect(await rig.inspector.jobs.pendingCount(['rejection'])).toBe(1);
  await tsa.up();
}, 120_000);

test('a slow TSA within the deadline only slows submissions down', async () => {
  tsa.mode = { kind: 'delay', ms: 1000 };
  const e = await rig.send(rig.user('ayse.kaya'), [rig.user('ali.veli'), rig.user('can.demir')]);
  expect(e.outcome).toMatchObject({ kind: 'accepted' });
  tsa.mode = { kind: 'grant' };
  await rig.settle();
}, 120_000);

test('the TSA failing after an acceptance holds the delivery back; it follows once the TSA is back, without a restart', async () => {
  const before = await evidenceCount();
  tsa.mode = { kind: 'grant-then-refuse', grants: 1 };
  const refusedBefore = tsa.counts.refused;
  const e = await rig.send(rig.user('can.demir'), [rig.user('ali.veli')]);
  expect(e.outcome).toMatchObject({ kind: 'accepted' });
  // The dispatch job asks the TSA and is refused (then backs off and retries); the attempt
  // leaves nothing behind: no temp file, no open file (each failed attempt used to leak both).
  const id = e.outcome?.kind === 'accepted' ? e.outcome.id : '';
  await rig.dispatchFailed(id, /TSA/);
  expect(tsa.counts.refused).toBeGreaterThan(refusedBefore);
  expect(readdirSync(join(rig.provider.dataDir, 'tmp'))).toEqual([]);
  expect(openFilesUnder(rig.daemon.pid, join(rig.provider.dataDir, 'tmp'))).toEqual([]);
  expect((await rig.inspector.evidence.list({ messageId: id })).map((r) => r.type)).toEqual(['SubmissionAcceptanceRejection']);
  expect(await rig.inspector.jobs.pendingCount(['dispatch'])).toBe(1);

  tsa.mode = { kind: 'grant' };
  await rig.settle(120_000);
  expect((await rig.inspector.evidence.list({ messageId: id })).map((r) => r.type).sort()).toEqual(['DeliveryNonDeliveryToRecipient', 'SubmissionAcceptanceRejection']);
  // The rejection evidence queued during the outage was issued too.
  expect((await evidenceCount()) - before).toBeGreaterThanOrEqual(2);

  const { exitCode, report } = await rig.finish();
  expect(report.problems).toEqual([]);
  expect(exitCode).toBe(0);
  expect(report.figures).toMatchObject({ accepted: 2, refused5xx: 1, lost: 0, duplicated: 0, invalidEvidence: 0 });
  expect(report.figures.evidenceByKind['SubmissionAcceptanceRejection/Rejection']).toBe(1);
}, 180_000);
