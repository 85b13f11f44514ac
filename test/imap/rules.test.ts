/** Pure decisions: which FETCH items hand over content, mailbox name rules, SEARCH day logic. */
import type { FetchQueryItem } from '@zone-eu/wildduck/imap-core';
import { isRecordableRetrieval, queryHandsOverContent } from '../../src/imap';
import { isFixedMailbox, newPathProblem } from '../../src/imap/mailbox-rules';
import { compareDays, headerDateDay, instantDay, searchDateDay } from '../../src/imap/search/dates';
import { decodeSearchQuery } from '../../src/imap/search/terms';
import type { MessageRecord } from '../../src/store';

const item = (name: string, type?: string, path = ''): FetchQueryItem =>
  type === undefined ? { item: name, query: name, original: {} } : { item: name, type, path, query: name, original: {} };

describe('retrieval classification', () => {
  it.each([
    [[item('body', 'content')], true],
    [[item('body', 'text')], true],
    [[item('body', 'content', '2.1')], true],
    [[item('rfc822')], true],
    [[item('rfc822.text')], true],
    [[item('uid'), item('body', 'header'), item('body', 'content', '1')], true],
    [[item('body', 'header')], false],
    [[item('body', 'header.fields')], false],
    [[item('body', 'header.fields.not')], false],
    [[item('body', 'mime', '1')], false],
    [[item('body')], false],
    [[item('bodystructure'), item('envelope'), item('flags'), item('rfc822.size'), item('rfc822.header'), item('internaldate')], false],
  ])('%j → %s', (query, expected) => {
    expect(queryHandsOverContent(query as FetchQueryItem[])).toBe(expected);
  });

  it('only dispatches of the reading account count', () => {
    const base = { kind: 'dispatch', accountId: 'a1' } as MessageRecord;
    const q = [item('body', 'content')];
    expect(isRecordableRetrieval(base, 'a1', q)).toBe(true);
    expect(isRecordableRetrieval(base, 'a2', q)).toBe(false);
    for (const kind of ['receipt', 'sent', 'appended'] as const) expect(isRecordableRetrieval({ ...base, kind }, 'a1', q)).toBe(false);
  });
});

describe('mailbox names', () => {
  it('fixes the default mailboxes and rejects unusable names', () => {
    expect(['INBOX', 'Sent', 'Drafts', 'Trash', 'Delil'].every(isFixedMailbox)).toBe(true);
    expect(isFixedMailbox('Delil/2024')).toBe(false);
    expect(newPathProblem('Projeler/2024')).toBeUndefined();
    for (const bad of ['', 'a*', 'a%b', 'a/ /b', 'x\u0007', 'a/'.repeat(20) + 'a', 'x'.repeat(600)]) expect(newPathProblem(bad)).toBeDefined();
  });
});

describe('SEARCH dates and strings', () => {
  it('reduces dates to days, the Date header in its own zone', () => {
    expect(searchDateDay('1-Feb-1994')).toBe('1994-02-01');
    expect(searchDateDay('31-Foo-1994')).toBeUndefined();
    expect(instantDay(new Date('2024-01-10T23:30:00Z'))).toBe('2024-01-10');
    expect(headerDateDay('Wed, 10 Jan 2024 23:30:00 -0500')).toBe('2024-01-10');
    expect(headerDateDay('10 Jan 24 01:00 +0300')).toBe('2024-01-10');
    expect(headerDateDay('garbage')).toBeUndefined();
    expect(compareDays('2024-01-09', '<', '2024-01-10')).toBe(true);
    expect(compareDays('2024-01-10', '>=', '2024-01-10')).toBe(true);
    expect(compareDays('2024-01-10', '=', '2024-01-11')).toBe(false);
  });

  it('decodes text terms with the CHARSET, refuses unknown charsets', () => {
    const utf8 = Buffer.from('İhtar', 'utf8').toString('latin1');
    expect(decodeSearchQuery([{ key: 'header', header: 'subject', value: utf8 }])).toEqual([{ key: 'header', header: 'subject', value: 'İhtar' }]);
    const latin5 = Buffer.from([0xdd, 0x68]).toString('latin1');
    expect(decodeSearchQuery([{ key: 'charset', value: 'ISO-8859-9' }, { key: 'not', value: { key: 'body', value: latin5 } }])).toEqual([
      { key: 'charset', value: 'ISO-8859-9' },
      { key: 'not', value: { key: 'body', value: 'İh' } },
    ]);
    expect(decodeSearchQuery([{ key: 'charset', value: 'X-NO-SUCH' }])).toBeUndefined();
  });
});
