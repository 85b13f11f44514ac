/**
 * Commands that change mailboxes (STORE, COPY, MOVE, EXPUNGE, APPEND) and how other sessions
 * learn about them (IDLE, untagged updates), including the EXPUNGE / `* 0 EXISTS` trap.
 */
import type { ImapFlow } from 'imapflow';
import { rawLogin, startImapHarness, type ImapHarness, type RawImap } from '../support/imap';
import { dispatchMessage, simpleMessage } from '../support/imap-messages';
import type { AccountRecord, MessageRecord } from '../../src/store';

let h: ImapHarness;

beforeAll(async () => {
  h = await startImapHarness();
});

afterAll(async () => {
  await h?.close();
});

async function freshMailbox(account: AccountRecord, name: string, count: number): Promise<MessageRecord[]> {
  await h.store.mailboxes.create(account.id, name);
  const out: MessageRecord[] = [];
  for (let i = 0; i < count; i++) out.push(await h.deliver(account, name, simpleMessage({ subject: `${name} ${i}` }), 'receipt'));
  return out;
}

/** Resolves with the first line matching `pattern` that the idling client receives. */
async function waitForLine(raw: RawImap, pattern: RegExp): Promise<string> {
  for (;;) {
    const line = await raw.readLine();
    if (pattern.test(line)) return line;
  }
}

describe('STORE', () => {
  let raw: RawImap;
  let msgs: MessageRecord[];

  beforeAll(async () => {
    msgs = await freshMailbox(h.alice, 'Flags', 3);
    raw = await rawLogin(h, h.alice);
    await raw.command('SELECT Flags');
  });
  afterAll(() => raw.close());

  it('+FLAGS, -FLAGS and FLAGS change the stored flags and answer with FETCH FLAGS', async () => {
    const add = await raw.command('STORE 1:2 +FLAGS (\\Flagged $Important)');
    expect(add.lines).toEqual(['* 1 FETCH (FLAGS (\\Flagged $Important))', '* 2 FETCH (FLAGS (\\Flagged $Important))']);
    const remove = await raw.command('STORE 2 -FLAGS (\\Flagged)');
    expect(remove.lines).toEqual(['* 2 FETCH (FLAGS ($Important))']);
    const set = await raw.command(`UID STORE ${msgs[2].uid} FLAGS (\\Answered)`);
    expect(set.lines).toEqual([`* 3 FETCH (UID ${msgs[2].uid} FLAGS (\\Answered))`]);
    const stored = await h.store.messages.list(msgs[0].mailboxId);
    expect(stored.map((m) => m.flags)).toEqual([['\\Flagged', '$Important'], ['$Important'], ['\\Answered']]);
  });

  it('.SILENT answers without FETCH responses', async () => {
    const res = await raw.command('STORE 1 +FLAGS.SILENT (\\Seen)');
    expect(res.tagged).toMatch(/ OK /);
    expect(res.lines).toEqual([]);
    const [m] = await h.store.messages.list(msgs[0].mailboxId, [msgs[0].uid]);
    expect(m.flags).toContain('\\Seen');
  });

  it('UNCHANGEDSINCE refuses to change messages modified after the given modseq', async () => {
    const before = await raw.command(`UID FETCH ${msgs[0].uid} (MODSEQ)`);
    const modseq = Number(/MODSEQ \((\d+)\)/.exec(before.lines[0])?.[1]);
    await raw.command(`UID STORE ${msgs[0].uid} +FLAGS.SILENT (later)`);
    const res = await raw.command(`UID STORE ${msgs[0].uid} (UNCHANGEDSINCE ${modseq}) +FLAGS (\\Deleted)`);
    expect(res.tagged).toMatch(/ OK \[MODIFIED 1\]/);
    const [m] = await h.store.messages.list(msgs[0].mailboxId, [msgs[0].uid]);
    expect(m.flags).not.toContain('\\Deleted');
  });

  it("another session sees the change as an untagged FETCH; the changing session is not told twice", async () => {
    const other = await rawLogin(h, h.alice);
    try {
      await other.command('SELECT Flags');
      const change = await raw.command('STORE 3 +FLAGS (\\Draft)');
      expect(change.lines).toHaveLength(1);
      const noop = await other.command('NOOP');
      expect(noop.lines).toEqual(['* 3 FETCH (FLAGS (\\Answered \\Draft))']);
      // the session that made the change already answered it
      expect((await raw.command('NOOP')).lines).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe('EXPUNGE', () => {
  it('announces each removed message with EXPUNGE and never follows with EXISTS', async () => {
    await freshMailbox(h.alice, 'Expunge', 4);
    const raw = await rawLogin(h, h.alice);
    try {
      await raw.command('SELECT Expunge');
      await raw.command('STORE 2,4 +FLAGS.SILENT (\\Deleted)');
      const res = await raw.command('EXPUNGE');
      // sequence numbers shift after each EXPUNGE: 2 first, then 4 is now 3
      expect(res.lines).toEqual(['* 2 EXPUNGE', '* 3 EXPUNGE']);
      expect((await h.store.messages.list((await h.store.mailboxes.get(h.alice.id, 'Expunge'))!.id)).map((m) => m.uid)).toHaveLength(2);
    } finally {
      await raw.close();
    }
  });

  it('an EXPUNGE that removes nothing says nothing, and emptying a mailbox never sends "* 0 EXISTS"', async () => {
    await freshMailbox(h.alice, 'Emptied', 1);
    const raw = await rawLogin(h, h.alice);
    const watcher = await rawLogin(h, h.alice);
    try {
      await raw.command('SELECT Emptied');
      await watcher.command('SELECT Emptied');
      const nothing = await raw.command('EXPUNGE');
      expect(nothing.lines).toEqual([]);
      await raw.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
      const last = await raw.command('EXPUNGE');
      expect(last.lines).toEqual(['* 1 EXPUNGE']);
      expect(last.raw.toString()).not.toMatch(/\* 0 EXISTS/);
      // and again on the now empty mailbox, several times (the loop clients got into)
      for (let i = 0; i < 3; i++) expect((await raw.command('EXPUNGE')).lines).toEqual([]);
      expect((await raw.command('NOOP')).lines).toEqual([]);
      // the other session learns of the expunge
      const seen = await watcher.command('NOOP');
      expect(seen.lines[0]).toBe('* 1 EXPUNGE');
      expect((await watcher.command('NOOP')).lines).toEqual([]);
    } finally {
      await raw.close();
      await watcher.close();
    }
  });

  it('CLOSE expunges silently', async () => {
    const msgs = await freshMailbox(h.alice, 'Closing', 2);
    const raw = await rawLogin(h, h.alice);
    try {
      await raw.command('SELECT Closing');
      await raw.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
      const res = await raw.command('CLOSE');
      expect(res.tagged).toMatch(/ OK /);
      expect(res.lines).toEqual([]);
      expect((await h.store.messages.list(msgs[0].mailboxId)).map((m) => m.uid)).toEqual([msgs[1].uid]);
    } finally {
      await raw.close();
    }
  });

  it('UID EXPUNGE removes only the given \\Deleted messages', async () => {
    const msgs = await freshMailbox(h.alice, 'UidExpunge', 3);
    const raw = await rawLogin(h, h.alice);
    try {
      await raw.command('SELECT UidExpunge');
      await raw.command('STORE 1:3 +FLAGS.SILENT (\\Deleted)');
      const res = await raw.command(`UID EXPUNGE ${msgs[1].uid}`);
      expect(res.lines).toEqual(['* 2 EXPUNGE']);
      const left = await h.store.messages.list(msgs[0].mailboxId);
      expect(left.map((m) => m.uid)).toEqual([msgs[0].uid, msgs[2].uid]);
    } finally {
      await raw.close();
    }
  });
});

describe('COPY and MOVE', () => {
  let client: ImapFlow;
  const dispatch = dispatchMessage();

  beforeAll(async () => {
    await h.store.mailboxes.create(h.alice.id, 'CopySource');
    await h.deliver(h.alice, 'CopySource', dispatch.bytes, 'dispatch');
    await h.deliver(h.alice, 'CopySource', simpleMessage({ subject: 'second' }), 'receipt');
    await h.store.mailboxes.create(h.alice.id, 'CopyTarget');
    client = await h.client(h.alice);
  });
  afterAll(() => client.logout());

  it('COPY answers COPYUID and the copy is byte-exact and keeps its kind', async () => {
    await client.mailboxOpen('CopySource');
    const res = await client.messageCopy('1', 'CopyTarget');
    if (!res) throw new Error('copy failed');
    expect(res.uidMap?.size).toBe(1);
    const target = (await h.store.mailboxes.get(h.alice.id, 'CopyTarget'))!;
    expect(Number(res.uidValidity)).toBe(target.uidValidity);
    const [copy] = await h.store.messages.list(target.id);
    expect(copy.kind).toBe('dispatch');
    expect(copy.uid).toBe([...(res.uidMap?.values() ?? [])][0]);
    await client.mailboxOpen('CopyTarget');
    const m = await client.fetchOne('1', { source: true });
    expect(m && m.source?.equals(dispatch.bytes)).toBe(true);
  });

  it('COPY to a missing mailbox answers TRYCREATE', async () => {
    const raw = await rawLogin(h, h.alice);
    try {
      await raw.command('SELECT CopySource');
      expect((await raw.command('COPY 1 Missing')).tagged).toMatch(/ NO \[TRYCREATE\]/);
    } finally {
      await raw.close();
    }
  });

  it('MOVE expunges from the source (no trailing EXISTS) and appears in the target', async () => {
    const raw = await rawLogin(h, h.alice);
    try {
      await raw.command('SELECT CopySource');
      const res = await raw.command('MOVE 2 Trash');
      expect(res.tagged).toMatch(/ OK \[COPYUID \d+ \d+ \d+\]/);
      expect(res.lines).toEqual(['* 2 EXPUNGE']);
      const trash = (await h.store.mailboxes.get(h.alice.id, 'Trash'))!;
      expect((await h.store.messages.list(trash.id)).length).toBe(1);
      const source = (await h.store.mailboxes.get(h.alice.id, 'CopySource'))!;
      expect((await h.store.messages.list(source.id)).length).toBe(1);
    } finally {
      await raw.close();
    }
  });
});

describe('APPEND', () => {
  it('stores the exact bytes with flags and date as kind "appended" and answers APPENDUID', async () => {
    const client = await h.client(h.alice);
    try {
      const bytes = simpleMessage({ subject: 'draft', body: 'trailing spaces   \r\n\r\n' });
      const res = await client.append('Drafts', bytes, ['\\Draft', '\\Seen'], new Date('2023-05-06T07:08:09Z'));
      if (!res) throw new Error('append failed');
      const drafts = (await h.store.mailboxes.get(h.alice.id, 'Drafts'))!;
      const [m] = await h.store.messages.list(drafts.id, [Number(res.uid)]);
      expect(m.kind).toBe('appended');
      expect(m.flags.sort()).toEqual(['\\Draft', '\\Seen']);
      expect(m.internalDate.toISOString()).toBe('2023-05-06T07:08:09.000Z');
      expect((await h.store.blobs.read(m.blobHash)).equals(bytes)).toBe(true);
      expect(Number(res.uidValidity)).toBe(drafts.uidValidity);
    } finally {
      await client.logout();
    }
  });

  it('to a missing mailbox answers TRYCREATE; over quota answers OVERQUOTA', async () => {
    const raw = await rawLogin(h, h.bob);
    try {
      const bytes = simpleMessage({ subject: 'x' });
      raw.write(`A1 APPEND Missing {${bytes.length}}\r\n`);
      await raw.readLine();
      raw.write(Buffer.concat([bytes, Buffer.from('\r\n')]));
      expect((await raw.collect('A1')).tagged).toMatch(/ NO \[TRYCREATE\]/);

      const big = Buffer.concat([simpleMessage({ subject: 'big' }), Buffer.alloc(h.bob.quotaBytes, 0x61)]);
      raw.write(`A2 APPEND INBOX {${big.length}}\r\n`);
      const cont = await raw.readLine();
      if (cont.startsWith('+')) {
        raw.write(Buffer.concat([big, Buffer.from('\r\n')]));
        expect((await raw.collect('A2')).tagged).toMatch(/ NO \[(OVERQUOTA|TOOBIG)\]/);
      } else {
        // refused before the literal was sent (larger than the message size limit)
        expect(cont).toMatch(/^A2 NO \[TOOBIG\]/);
      }
      const inbox = (await h.store.mailboxes.get(h.bob.id, 'INBOX'))!;
      expect(await h.store.messages.list(inbox.id)).toEqual([]);
    } finally {
      await raw.close();
    }
  });
});

describe('IDLE', () => {
  it("pushes EXISTS to an idling session when another session APPENDs", async () => {
    await h.store.mailboxes.create(h.alice.id, 'Watched');
    const watcher = await rawLogin(h, h.alice);
    const writer = await h.client(h.alice);
    try {
      await watcher.command('SELECT Watched');
      const tag = watcher.begin('IDLE');
      expect(await watcher.readLine()).toMatch(/^\+ /);
      await writer.append('Watched', simpleMessage({ subject: 'new' }));
      expect(await waitForLine(watcher, /EXISTS$/)).toBe('* 1 EXISTS');
      // a delivery by the engine (store commit) is pushed the same way
      await h.deliver(h.alice, 'Watched', simpleMessage({ subject: 'delivered' }), 'receipt');
      expect(await waitForLine(watcher, /EXISTS$/)).toBe('* 2 EXISTS');
      watcher.write('DONE\r\n');
      expect((await watcher.collect(tag)).tagged).toMatch(/ OK /);
    } finally {
      await writer.logout();
      await watcher.close();
    }
  });

  it('imapflow sees new mail while idling and reads it', async () => {
    await h.store.mailboxes.create(h.alice.id, 'Flow');
    const client = await h.client(h.alice);
    try {
      await client.mailboxOpen('Flow');
      const exists = new Promise<number>((resolve) => client.on('exists', (data: { count: number }) => resolve(data.count)));
      const idling = client.idle();
      await h.deliver(h.alice, 'Flow', simpleMessage({ subject: 'pushed' }), 'receipt');
      expect(await exists).toBe(1);
      await client.noop();
      await idling;
      const m = await client.fetchOne('1', { envelope: true });
      expect(m && m.envelope?.subject).toBe('pushed');
    } finally {
      await client.logout();
    }
  });

  it('a mailbox deleted by another session disconnects sessions that have it selected', async () => {
    await h.store.mailboxes.create(h.alice.id, 'Doomed');
    const watcher = await rawLogin(h, h.alice);
    const other = await rawLogin(h, h.alice);
    try {
      await watcher.command('SELECT Doomed');
      expect((await other.command('DELETE Doomed')).tagged).toMatch(/ OK /);
      // pushed without waiting for a command from the watcher
      expect(await waitForLine(watcher, /^\* BYE/)).toMatch(/deleted/);
    } finally {
      await watcher.close();
      await other.close();
    }
  });
});
