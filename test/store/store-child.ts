/**
 * A separate process working on a store, for the crash and multi-process tests (compiled by
 * test/support/store-build.ts). It reports every commit over IPC only after it resolved.
 *   crash  <dataDir> <runId>                    append + evidence + job in a loop until killed
 *   append <dataDir> <accountId> <count> <tag>  append `count` messages, tag shared messages, exit
 */
import { createHash, randomBytes } from 'node:crypto';
import { openEmbeddedStore, type MailStore } from '../../src/store';

function send(message: object): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('no IPC channel'));
    process.send(message, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

async function writeBlob(store: MailStore, size: number): Promise<{ hash: string; size: number }> {
  const writer = store.blobs.createWriter();
  let left = size;
  while (left > 0) {
    const n = Math.min(left, 16 * 1024);
    if (!writer.write(randomBytes(n))) await new Promise((r) => writer.once('drain', r));
    left -= n;
  }
  writer.end();
  const pending = await writer.pending;
  return pending.commit();
}

async function crashLoop(dataDir: string, runId: string): Promise<void> {
  const store = await openEmbeddedStore({ dataDir });
  const address = 'crash@kep.test';
  const account = (await store.accounts.getByAddress(address)) ?? (await store.accounts.create({
    address,
    type: 'person',
    passwordHash: 'x',
    receiveOnly: false,
    quotaBytes: 1e12,
    state: 'active',
  }));
  const inbox = (await store.mailboxes.get(account.id, 'INBOX'))!;
  await send({ type: 'ready' });
  for (let i = 0; ; i++) {
    const size = i % 7 === 3 ? 1024 * 1024 + i : 1 + Math.floor(Math.random() * 48 * 1024);
    const blob = await writeBlob(store, size);
    const evidenceId = `ev-${runId}-${i}@kep.test`;
    const xml = Buffer.from(`<Evidence Id="${evidenceId}"><N>${randomBytes(24).toString('hex')}</N></Evidence>\n`);
    const dedupeKey = `crash:${runId}:${i}`;
    const jobKey = `job:${runId}:${i}`;
    const [appended, evidence] = await store.commit([
      { op: 'appendMessage', message: { accountId: account.id, mailboxPath: 'INBOX', blob, kind: 'dispatch', providerMessageId: `K${runId}${i}`, recipientIndex: 1, dedupeKey } },
      {
        op: 'putEvidence',
        evidence: {
          record: { id: evidenceId, type: 'DeliveryNonDeliveryToRecipient', event: 'Delivery', messageId: `K${runId}${i}`, recipientIndex: 1, accountId: account.id, eventTime: new Date() },
          xml,
          uniqueKey: `delivery:${runId}:${i}`,
        },
      },
      { op: 'enqueueJob', job: { kind: 'crash-test', payload: { i }, uniqueKey: jobKey } },
    ]);
    if (appended.op !== 'appendMessage' || evidence.op !== 'putEvidence') throw new Error('unexpected results');
    await send({
      type: 'done',
      messageId: appended.message.id,
      uid: appended.message.uid,
      size,
      blobHash: blob.hash,
      evidenceId,
      xmlHash: createHash('sha256').update(xml).digest('hex'),
      jobKey,
    });
    if (i % 5 === 4) {
      // Exercise flag changes and expunge (quota triggers, journal) between appends. Announced
      // first: a kill between the expunge and its report leaves the parent knowing it may be gone.
      await send({ type: 'expunging', messageId: appended.message.id });
      await store.messages.updateFlags(inbox.id, [appended.message.uid], 'add', ['\\Deleted']);
      const expunged = await store.messages.expunge(inbox.id, [appended.message.uid]);
      if (expunged.length === 1) await send({ type: 'expunged', messageId: appended.message.id });
    }
  }
}

async function appendMany(dataDir: string, accountId: string, count: number, tag: string): Promise<void> {
  const store = await openEmbeddedStore({ dataDir });
  const inbox = (await store.mailboxes.get(accountId, 'INBOX'))!;
  const shared = (await store.messages.list(inbox.id)).filter((m) => m.kind === 'sent').map((m) => m.uid);
  await send({ type: 'ready' });
  // Start together with the other process, so their commits really overlap.
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const uids: number[] = [];
  for (let i = 0; i < count; i++) {
    const blob = await store.blobs.put(Buffer.from(`Subject: ${tag} ${i}\r\n\r\n${randomBytes(16).toString('hex')}\r\n`));
    const message = await store.messages.append({ accountId, mailboxPath: 'INBOX', blob, kind: 'appended' });
    uids.push(message.uid);
    if (shared.length > 0) await store.messages.updateFlags(inbox.id, [shared[i % shared.length]], 'add', [`${tag}k${i}`]);
  }
  await send({ type: 'finished', uids });
  await store.close();
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'crash') await crashLoop(args[0], args[1]);
  else if (mode === 'append') await appendMany(args[0], args[1], Number(args[2]), args[3]);
  else throw new Error(`unknown mode ${mode}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`store-child failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
