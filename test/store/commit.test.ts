import { randomBytes } from 'node:crypto';
import { ConflictError } from '../../src/errors';
import { BlobNotFound, InvalidStoreInput, LeaseLost, MailboxNotFound, type MailboxChangeEvent, type StoreOp, type SubmissionRecord } from '../../src/store';
import { createAccount, newMessage, openTempStore, putSample, sampleEvidence, type TempStore } from '../support/store-fixtures';

describe('commit', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await openTempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('applies every op kind in one commit, results in op order', async () => {
    const account = await createAccount(t.store);
    const blob = await putSample(t.store, 'original');
    const receiptBlob = await putSample(t.store, 'receipt');
    const submission: SubmissionRecord = {
      id: 'K01TEST',
      accountId: account.id,
      sender: account.address,
      operator: 'op1',
      recipients: ['x@kep.test', 'y@kep.test'],
      blob,
      subject: 'Konu',
      uaMessageId: '<ua@kep.test>',
      iletiTip: 'eYazisma',
      iletiId: 'ILT-1',
      submittedAt: new Date('2025-01-02T03:04:05Z'),
      signerCertificateDer: randomBytes(300),
    };
    const evidence = sampleEvidence({ messageId: 'K01TEST', accountId: account.id, uniqueKey: 'acceptance:K01TEST' });
    const results = await t.store.commit([
      { op: 'putSubmission', submission },
      { op: 'putEvidence', evidence },
      { op: 'appendMessage', message: newMessage(account.id, blob, { mailboxPath: 'Sent', kind: 'sent', flags: ['\\seen'], providerMessageId: 'K01TEST' }) },
      { op: 'appendMessage', message: newMessage(account.id, receiptBlob, { mailboxPath: 'Delil', kind: 'receipt', evidenceId: evidence.record.id }) },
      { op: 'enqueueJob', job: { kind: 'dispatch', payload: { messageId: 'K01TEST', n: 2 }, uniqueKey: 'dispatch:K01TEST' } },
    ]);
    expect(results.map((r) => r.op)).toEqual(['putSubmission', 'putEvidence', 'appendMessage', 'appendMessage', 'enqueueJob']);

    expect(await t.store.submissions.get('K01TEST')).toEqual(submission);
    expect(await t.store.submissions.listByAccount(account.id)).toEqual([submission]);

    const ev = results[1];
    if (ev.op !== 'putEvidence') throw new Error('op');
    expect(ev.created).toBe(true);
    expect(ev.record).toMatchObject({ id: evidence.record.id, messageId: 'K01TEST', accountId: account.id, type: 'SubmissionAcceptanceRejection' });
    const archived = await t.store.evidence.get(evidence.record.id);
    expect(archived?.xml.equals(evidence.xml)).toBe(true);

    const sent = results[2];
    if (sent.op !== 'appendMessage') throw new Error('op');
    expect(sent.message).toMatchObject({ uid: 1, kind: 'sent', flags: ['\\Seen'], providerMessageId: 'K01TEST', size: blob.size, blobHash: blob.hash });
    const sentBox = await t.store.mailboxes.get(account.id, 'Sent');
    expect(sent.message.mailboxId).toBe(sentBox?.id);
    expect(sentBox).toMatchObject({ uidNext: 2, modifyIndex: sent.message.modseq, specialUse: '\\Sent' });

    const receipt = results[3];
    if (receipt.op !== 'appendMessage') throw new Error('op');
    expect(receipt.message.evidenceId).toBe(evidence.record.id);

    const job = results[4];
    if (job.op !== 'enqueueJob') throw new Error('op');
    expect(job.created).toBe(true);
    const [claimed] = await t.store.jobs.claim({ limit: 5, leaseMs: 60_000 });
    expect(claimed).toMatchObject({ id: job.jobId, kind: 'dispatch', payload: { messageId: 'K01TEST', n: 2 }, attempts: 0 });

    expect(await t.store.accounts.usage(account.id)).toBe(blob.size + receiptBlob.size);
  });

  it('replays are no-ops through every idempotency key', async () => {
    const account = await createAccount(t.store);
    const blob = await putSample(t.store);
    const submission: SubmissionRecord = {
      id: 'K02',
      accountId: account.id,
      sender: account.address,
      recipients: ['x@kep.test'],
      blob,
      subject: 's',
      iletiTip: 'standart',
      submittedAt: new Date(),
    };
    const evidence = sampleEvidence({ uniqueKey: 'acceptance:K02' });
    const ops: StoreOp[] = [
      { op: 'putSubmission', submission },
      { op: 'putEvidence', evidence },
      { op: 'appendMessage', message: newMessage(account.id, blob, { dedupeKey: 'deliver:K02:1', kind: 'dispatch', providerMessageId: 'K02', recipientIndex: 1 }) },
      { op: 'enqueueJob', job: { kind: 'relay', payload: {}, uniqueKey: 'relay:K02' } },
    ];
    const first = await t.store.commit(ops);
    const second = await t.store.commit(ops);
    expect(second.map((r) => ('created' in r ? r.created : undefined))).toEqual([undefined, false, false, false]);
    expect(second[2]).toEqual({ ...first[2], created: false });
    expect(second[3]).toEqual({ ...first[3], created: false });
    if (first[1].op !== 'putEvidence' || second[1].op !== 'putEvidence') throw new Error('op');
    expect(second[1].record).toEqual(first[1].record);

    // A different evidence (new id, new bytes) with the same key is still a no-op.
    const again = sampleEvidence({ uniqueKey: 'acceptance:K02' });
    const [third] = await t.store.commit([{ op: 'putEvidence', evidence: again }]);
    expect(third).toMatchObject({ created: false, record: { id: evidence.record.id } });
    expect(await t.store.evidence.get(again.record.id)).toBeUndefined();

    const inbox = (await t.store.mailboxes.get(account.id, 'INBOX'))!;
    expect(await t.store.messages.list(inbox.id)).toHaveLength(1);
    expect(inbox.uidNext).toBe(2);
    expect(await t.store.accounts.usage(account.id)).toBe(blob.size);
    expect(await t.store.jobs.pendingCount()).toBe(1);
    expect(await t.store.evidence.list()).toHaveLength(1);

    // The append key outlives the message: a replay after expunge does not deliver again.
    const m = await t.store.messages.list(inbox.id);
    await t.store.messages.updateFlags(inbox.id, [m[0].uid], 'add', ['\\Deleted']);
    expect(await t.store.messages.expunge(inbox.id)).toEqual([1]);
    const [replayed] = await t.store.commit([ops[2]]);
    expect(replayed).toMatchObject({ op: 'appendMessage', created: false, message: { id: m[0].id, uid: 1 } });
    expect(await t.store.messages.list(inbox.id)).toHaveLength(0);
    expect(await t.store.accounts.usage(account.id)).toBe(0);

    // The same submission id with other content is a conflict, not a silent overwrite.
    const other = await putSample(t.store);
    await expect(t.store.commit([{ op: 'putSubmission', submission: { ...submission, blob: other } }])).rejects.toBeInstanceOf(ConflictError);
  });

  it('is all or nothing: a failing op rolls back the others, usage counter included', async () => {
    const account = await createAccount(t.store);
    const blob = await putSample(t.store);
    const events: unknown[] = [];
    t.store.events.on('mailbox-change', (e: MailboxChangeEvent) => events.push(e));
    t.store.events.on('jobs', () => events.push('jobs'));
    const evidence = sampleEvidence({ uniqueKey: 'k-fail' });
    await expect(
      t.store.commit([
        { op: 'appendMessage', message: newMessage(account.id, blob) },
        { op: 'appendMessage', message: newMessage(account.id, blob, { mailboxPath: 'Sent' }) },
        { op: 'putEvidence', evidence },
        { op: 'enqueueJob', job: { kind: 'k', payload: {}, uniqueKey: 'j-fail' } },
        { op: 'appendMessage', message: newMessage(account.id, blob, { mailboxPath: 'NoSuchFolder' }) },
      ]),
    ).rejects.toBeInstanceOf(MailboxNotFound);
    expect(await t.store.accounts.usage(account.id)).toBe(0);
    for (const box of await t.store.mailboxes.list(account.id)) {
      expect(box).toMatchObject({ uidNext: 1, modifyIndex: 0 });
      expect(await t.store.messages.list(box.id)).toEqual([]);
      expect(await t.store.messages.journal(box.id, 0)).toEqual([]);
    }
    expect(await t.store.evidence.getByKey('k-fail')).toBeUndefined();
    expect(await t.store.evidence.list()).toEqual([]);
    expect(await t.store.jobs.pendingCount()).toBe(0);
    expect(events).toEqual([]);

    // A stale lease fails the whole commit too.
    await t.store.commit([{ op: 'enqueueJob', job: { kind: 'k', payload: {} } }]);
    const [job] = await t.store.jobs.claim({ limit: 1, leaseMs: 60_000 });
    await expect(
      t.store.commit([
        { op: 'appendMessage', message: newMessage(account.id, blob) },
        { op: 'completeJob', job: { ...job, leaseToken: 'not-the-token' } },
      ]),
    ).rejects.toBeInstanceOf(LeaseLost);
    expect(await t.store.accounts.usage(account.id)).toBe(0);

    // Afterwards the same ops succeed and emit one event per touched mailbox, then 'jobs'.
    events.length = 0;
    await t.store.commit([
      { op: 'appendMessage', message: newMessage(account.id, blob) },
      { op: 'appendMessage', message: newMessage(account.id, blob) },
      { op: 'appendMessage', message: newMessage(account.id, blob, { mailboxPath: 'Sent' }) },
      { op: 'enqueueJob', job: { kind: 'k', payload: {}, uniqueKey: 'j-ok' } },
      { op: 'completeJob', job },
    ]);
    const inbox = (await t.store.mailboxes.get(account.id, 'INBOX'))!;
    const sent = (await t.store.mailboxes.get(account.id, 'Sent'))!;
    expect(events).toEqual([
      { accountId: account.id, mailboxId: inbox.id },
      { accountId: account.id, mailboxId: sent.id },
      'jobs',
    ]);
    expect(await t.store.accounts.usage(account.id)).toBe(3 * blob.size);
  });

  it('refuses references to blobs that are not stored, and bad input, with typed errors', async () => {
    const account = await createAccount(t.store);
    const ghost = { hash: 'b'.repeat(64), size: 10 };
    await expect(t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, ghost) }])).rejects.toBeInstanceOf(BlobNotFound);
    const blob = await putSample(t.store);
    await expect(t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, { ...blob, size: blob.size + 1 }) }])).rejects.toBeInstanceOf(
      InvalidStoreInput,
    );
    await expect(t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, blob, { flags: ['\\Bogus'] }) }])).rejects.toBeInstanceOf(
      InvalidStoreInput,
    );
    expect(await t.store.commit([])).toEqual([]);
  });

  it('re-creates a deleted default folder when delivering into it', async () => {
    const account = await createAccount(t.store);
    const before = (await t.store.mailboxes.get(account.id, 'Delil'))!;
    await t.store.mailboxes.delete(account.id, 'Delil');
    const blob = await putSample(t.store);
    const [r] = await t.store.commit([{ op: 'appendMessage', message: newMessage(account.id, blob, { mailboxPath: 'Delil', kind: 'receipt' }) }]);
    const after = (await t.store.mailboxes.get(account.id, 'Delil'))!;
    expect(r).toMatchObject({ created: true, message: { mailboxId: after.id, uid: 1 } });
    expect(after.id).not.toBe(before.id);
    expect(after.uidValidity).toBeGreaterThan(before.uidValidity);
  });
});
