/** SEARCH / UID SEARCH keys over real stored messages. */
import type { ImapFlow } from 'imapflow';
import { rawLogin, startImapHarness, type ImapHarness, type RawImap } from '../support/imap';
import { dispatchMessage, simpleMessage } from '../support/imap-messages';
import type { MessageRecord } from '../../src/store';

let h: ImapHarness;
let client: ImapFlow;
let raw: RawImap;
let m: MessageRecord[];

beforeAll(async () => {
  h = await startImapHarness();
  await h.store.mailboxes.create(h.alice.id, 'Search');
  m = [
    // 1: the dispatch (encoded Turkish subject, nested original, large attachment)
    await h.deliver(h.alice, 'Search', dispatchMessage().bytes, 'dispatch', { internalDate: new Date('2024-01-02T08:00:00Z') }),
    // 2
    await h.deliver(
      h.alice,
      'Search',
      simpleMessage({ subject: 'Fatura Ocak', from: 'Muhasebe <muhasebe@kep.test>', body: 'Toplam tutar 1500 TL', date: 'Wed, 10 Jan 2024 23:30:00 +0300' }),
      'receipt',
      { internalDate: new Date('2024-01-10T20:30:00Z'), flags: ['\\Seen'] },
    ),
    // 3
    await h.deliver(
      h.alice,
      'Search',
      simpleMessage({ subject: '=?ISO-8859-9?Q?=DDhtarname?=', from: 'Avukat <avukat@kep.test>', body: 'Son ihtar.', date: 'Mon, 05 Feb 2024 09:00:00 +0000' }),
      'receipt',
      { internalDate: new Date('2024-02-05T09:00:00Z'), flags: ['\\Flagged'] },
    ),
    // 4: quoted-printable body
    await h.deliver(
      h.alice,
      'Search',
      Buffer.from(
        'From: qp@kep.test\r\nSubject: qp\r\nDate: Tue, 06 Feb 2024 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nG=C3=BCvenli ileti=\r\n=C5=9Fimdi.\r\n',
      ),
      'receipt',
      { internalDate: new Date('2024-02-06T09:00:00Z') },
    ),
  ];
  client = await h.client(h.alice);
  await client.mailboxOpen('Search');
  raw = await rawLogin(h, h.alice);
  await raw.command('SELECT Search');
});

afterAll(async () => {
  await client?.logout();
  await raw?.close();
  await h?.close();
});

const uids = (...idx: number[]): number[] => idx.map((i) => m[i - 1].uid);

async function search(query: Parameters<ImapFlow['search']>[0]): Promise<number[]> {
  const found = await client.search(query, { uid: true });
  return (found || []).sort((a, b) => a - b);
}

it('SUBJECT and FROM match decoded header text, case-insensitively', async () => {
  expect(await search({ subject: 'önemli' })).toEqual(uids(1));
  expect(await search({ subject: 'İHTARNAME' })).toEqual(uids(3));
  expect(await search({ subject: 'fatura' })).toEqual(uids(2));
  expect(await search({ from: 'muhasebe@' })).toEqual(uids(2));
  expect(await search({ to: 'alice@kep.test' })).toEqual(uids(1, 2, 3));
});

it('HEADER matches any header field, and an empty value means "present"', async () => {
  expect(await search({ header: { 'x-rem-message-identifier': 'K01TEST' } })).toEqual(uids(1));
  expect(await search({ header: { 'content-transfer-encoding': '' } })).toEqual(uids(4));
  expect(await search({ header: { 'x-rem-message-identifier': 'K99' } })).toEqual([]);
});

it('BODY and TEXT look into decoded text parts (also inside the encapsulated original)', async () => {
  expect(await search({ body: 'belge-7734' })).toEqual(uids(1));
  expect(await search({ body: '1500 tl' })).toEqual(uids(2));
  expect(await search({ body: 'güvenli iletişimdi' })).toEqual(uids(4));
  expect(await search({ body: 'Fatura' })).toEqual([]);
  expect(await search({ text: 'Fatura' })).toEqual(uids(2));
  expect(await search({ text: 'ihtar' })).toEqual(uids(3));
});

it('flags, sizes and UID sets', async () => {
  expect(await search({ seen: true })).toEqual(uids(2));
  expect(await search({ seen: false })).toEqual(uids(1, 3, 4));
  expect(await search({ flagged: true })).toEqual(uids(3));
  expect(await search({ larger: 10_000 })).toEqual(uids(1));
  expect(await search({ smaller: 10_000 })).toEqual(uids(2, 3, 4));
  expect(await search({ uid: `${m[1].uid}:${m[2].uid}` })).toEqual(uids(2, 3));
  expect(await search({ all: true })).toEqual(uids(1, 2, 3, 4));
});

it('internal dates (BEFORE/ON/SINCE) and sent dates (SENTBEFORE/SENTON/SENTSINCE)', async () => {
  const q = async (text: string): Promise<number[]> => {
    const res = await raw.command(`UID SEARCH ${text}`);
    const line = res.lines.find((l) => l.startsWith('* SEARCH')) ?? '';
    return line
      .slice('* SEARCH'.length)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b);
  };
  expect(await q('ON 10-Jan-2024')).toEqual(uids(2));
  expect(await q('BEFORE 10-Jan-2024')).toEqual(uids(1));
  expect(await q('SINCE 5-Feb-2024')).toEqual(uids(3, 4));
  // the Date header is compared as written: 23:30 +0300 on the 10th is the 10th
  expect(await q('SENTON 10-Jan-2024')).toEqual(uids(2));
  expect(await q('SENTBEFORE 3-Jan-2024')).toEqual(uids(1));
  expect(await q('SENTSINCE 6-Feb-2024')).toEqual(uids(4));
  expect(await q('OR SUBJECT fatura SUBJECT qp')).toEqual(uids(2, 4));
  expect(await q('NOT SEEN NOT FLAGGED')).toEqual(uids(1, 4));
  expect(await q('1:2 UNSEEN')).toEqual(uids(1));
});

it('plain SEARCH answers sequence numbers', async () => {
  const res = await raw.command('SEARCH FLAGGED');
  expect(res.lines).toContain('* SEARCH 3');
});
