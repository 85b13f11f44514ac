/**
 * The read-evidence hook (interface.md "Read evidence"): which FETCHes record a retrieval, that
 * the record comes before any content, and that a failure to record withholds the content.
 */
import { startImapHarness, rawLogin, type ImapHarness, type RawImap } from '../support/imap';
import { dispatchMessage, simpleMessage } from '../support/imap-messages';
import type { MessageRecord } from '../../src/store';

let h: ImapHarness;
let raw: RawImap;
let dispatch: MessageRecord;
let secondDispatch: MessageRecord;
let receipt: MessageRecord;
let appendedUid: number;
const msg = dispatchMessage();

beforeAll(async () => {
  h = await startImapHarness();
  dispatch = await h.deliver(h.alice, 'INBOX', msg.bytes, 'dispatch', { providerMessageId: 'K01TEST', recipientIndex: 1 });
  secondDispatch = await h.deliver(h.alice, 'INBOX', dispatchMessage().bytes, 'dispatch', { providerMessageId: 'K02TEST', recipientIndex: 1 });
  receipt = await h.deliver(h.alice, 'Delil', simpleMessage({ subject: 'Delil: SubmissionAcceptance' }), 'receipt');
  raw = await rawLogin(h, h.alice);
  const appendBytes = simpleMessage({ subject: 'my draft' });
  raw.write(`A0 APPEND INBOX {${appendBytes.length}}\r\n`);
  expect(await raw.readLine()).toMatch(/^\+/);
  raw.write(Buffer.concat([appendBytes, Buffer.from('\r\n')]));
  const appended = await raw.collect('A0');
  expect(appended.tagged).toMatch(/^A0 OK \[APPENDUID \d+ \d+\]/);
  appendedUid = Number(/APPENDUID \d+ (\d+)/.exec(appended.tagged)?.[1]);
  expect((await raw.command('SELECT INBOX')).tagged).toMatch(/OK/);
});

afterAll(async () => {
  await raw?.close();
  await h?.close();
});

beforeEach(() => {
  h.retrievals.length = 0;
  h.failRetrievals = false;
});

describe('FETCHes that hand over body content record the retrieval', () => {
  it.each([
    'BODY.PEEK[]',
    'BODY.PEEK[TEXT]',
    'RFC822',
    'RFC822.TEXT',
    'BODY.PEEK[1]',
    'BODY.PEEK[2.1]',
    'BODY.PEEK[2.TEXT]',
    'BODY.PEEK[]<0.10>',
    '(FLAGS BODY.PEEK[3]<100.50>)',
  ])('UID FETCH %s', async (items) => {
    const res = await raw.command(`UID FETCH ${dispatch.uid} ${items}`);
    expect(res.tagged).toMatch(/ OK /);
    expect(res.literals.length).toBeGreaterThan(0);
    expect(h.retrievals).toEqual([{ messageId: dispatch.id, accountId: h.alice.id, kind: 'dispatch' }]);
  });

  it('is called once per message per FETCH, however many sections are asked for', async () => {
    const res = await raw.command(`UID FETCH ${dispatch.uid}:${secondDispatch.uid} (BODY.PEEK[1] BODY.PEEK[2] RFC822.TEXT BODY.PEEK[HEADER])`);
    expect(res.tagged).toMatch(/ OK /);
    expect(h.retrievals.map((r) => r.messageId).sort()).toEqual([dispatch.id, secondDispatch.id].sort());
  });
});

describe('FETCHes that do not record a retrieval', () => {
  it.each([
    'BODY.PEEK[HEADER]',
    'BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]',
    'BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT)]',
    'BODY.PEEK[1.MIME]',
    'BODY.PEEK[2.HEADER]',
    'RFC822.HEADER',
    'ENVELOPE',
    'BODYSTRUCTURE',
    'BODY',
    'FLAGS',
    'RFC822.SIZE',
    'INTERNALDATE',
    'ALL',
    'FULL',
  ])('UID FETCH %s', async (items) => {
    const res = await raw.command(`UID FETCH ${dispatch.uid} ${items}`);
    expect(res.tagged).toMatch(/ OK /);
    expect(res.lines.some((l) => l.includes('FETCH'))).toBe(true);
    expect(h.retrievals).toEqual([]);
  });

  it('setting \\Seen with STORE is not a retrieval', async () => {
    const res = await raw.command(`UID STORE ${dispatch.uid} +FLAGS (\\Seen)`);
    expect(res.tagged).toMatch(/ OK /);
    expect(h.retrievals).toEqual([]);
    await raw.command(`UID STORE ${dispatch.uid} -FLAGS (\\Seen)`);
  });

  it('reading an appended message or a receipt is not a retrieval', async () => {
    const res = await raw.command(`UID FETCH ${appendedUid} BODY.PEEK[]`);
    expect(res.literals).toHaveLength(1);
    await raw.command('SELECT Delil');
    const delil = await raw.command(`UID FETCH ${receipt.uid} (BODY.PEEK[] RFC822.TEXT)`);
    expect(delil.literals).toHaveLength(2);
    await raw.command('SELECT INBOX');
    expect(h.retrievals).toEqual([]);
  });
});

describe('when the retrieval cannot be recorded', () => {
  it('answers NO and sends none of the content', async () => {
    h.failRetrievals = true;
    const res = await raw.command(`UID FETCH ${dispatch.uid} (FLAGS BODY.PEEK[])`);
    expect(res.tagged).toMatch(/ NO /);
    expect(res.literals).toEqual([]);
    // not even the first bytes of the message made it onto the wire
    expect(res.raw.includes(msg.pieces.intro.subarray(0, 20))).toBe(false);
    expect(h.retrievals).toEqual([]);
  });

  it('does not set \\Seen either, and the retried FETCH works', async () => {
    h.failRetrievals = true;
    expect((await raw.command(`UID FETCH ${dispatch.uid} BODY[]`)).tagged).toMatch(/ NO /);
    const [stored] = await h.store.messages.list(dispatch.mailboxId, [dispatch.uid]);
    expect(stored.flags).not.toContain('\\Seen');

    h.failRetrievals = false;
    const retry = await raw.command(`UID FETCH ${dispatch.uid} BODY[]`);
    expect(retry.tagged).toMatch(/ OK /);
    expect(retry.literals[0].equals(msg.bytes)).toBe(true);
    expect(h.retrievals).toHaveLength(1);
  });
});

describe('\\Seen on body fetches (RFC 3501)', () => {
  it('BODY[] sets \\Seen and reports it; BODY.PEEK[] does not', async () => {
    const other = secondDispatch;
    await raw.command(`UID STORE ${other.uid} -FLAGS.SILENT (\\Seen)`);
    const peek = await raw.command(`UID FETCH ${other.uid} BODY.PEEK[1]`);
    expect(peek.tagged).toMatch(/ OK /);
    let [stored] = await h.store.messages.list(other.mailboxId, [other.uid]);
    expect(stored.flags).not.toContain('\\Seen');

    const read = await raw.command(`UID FETCH ${other.uid} BODY[1]`);
    expect(read.lines.join('\n')).toMatch(/FLAGS \([^)]*\\Seen/);
    [stored] = await h.store.messages.list(other.mailboxId, [other.uid]);
    expect(stored.flags).toContain('\\Seen');
  });

  it('EXAMINE (read-only) never sets \\Seen', async () => {
    await raw.command(`UID STORE ${dispatch.uid} -FLAGS.SILENT (\\Seen)`);
    await raw.command('EXAMINE INBOX');
    const res = await raw.command(`UID FETCH ${dispatch.uid} BODY[]`);
    expect(res.tagged).toMatch(/ OK /);
    const [stored] = await h.store.messages.list(dispatch.mailboxId, [dispatch.uid]);
    expect(stored.flags).not.toContain('\\Seen');
    // reading in a read-only view is still a retrieval
    expect(h.retrievals).toHaveLength(1);
    await raw.command('SELECT INBOX');
  });
});
