/** Mailbox commands: LIST/LSUB, STATUS, CREATE/RENAME/DELETE, SUBSCRIBE, NAMESPACE, QUOTA. */
import type { ImapFlow } from 'imapflow';
import { rawLogin, startImapHarness, type ImapHarness, type RawImap } from '../support/imap';
import { simpleMessage } from '../support/imap-messages';
import { DEFAULT_MAX_MAILBOXES } from '../../src/imap';

let h: ImapHarness;
let client: ImapFlow;
let raw: RawImap;

beforeAll(async () => {
  h = await startImapHarness();
  await h.deliver(h.alice, 'INBOX', simpleMessage({ subject: 'one' }), 'receipt');
  await h.deliver(h.alice, 'INBOX', simpleMessage({ subject: 'two' }), 'receipt', { flags: ['\\Seen'] });
  client = await h.client(h.alice);
  raw = await rawLogin(h, h.alice);
});

afterAll(async () => {
  await client?.logout();
  await raw?.close();
  await h?.close();
});

it('LIST shows the default mailboxes with their special-use flags', async () => {
  const list = await client.list();
  const byPath = new Map(list.map((m) => [m.path, m]));
  expect([...byPath.keys()].sort()).toEqual(['Delil', 'Drafts', 'INBOX', 'Sent', 'Trash']);
  expect(byPath.get('Sent')?.specialUse).toBe('\\Sent');
  expect(byPath.get('Drafts')?.specialUse).toBe('\\Drafts');
  expect(byPath.get('Trash')?.specialUse).toBe('\\Trash');
  expect(byPath.get('Delil')?.specialUse).toBeFalsy();
  const specialOnly = await raw.command('LIST (SPECIAL-USE) "" "*"');
  expect(specialOnly.lines.sort()).toEqual([
    '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
    '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
    '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
  ]);
});

it('STATUS counts messages and unseen messages and reports UIDNEXT, UIDVALIDITY, HIGHESTMODSEQ', async () => {
  const inbox = await h.store.mailboxes.get(h.alice.id, 'INBOX');
  const status = await client.status('INBOX', { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: true });
  if (!status) throw new Error('no STATUS answer');
  expect(status.messages).toBe(2);
  expect(status.unseen).toBe(1);
  expect(status.uidNext).toBe(inbox?.uidNext);
  expect(Number(status.uidValidity)).toBe(inbox?.uidValidity);
  expect(Number(status.highestModseq)).toBe(inbox?.modifyIndex);
  expect((await raw.command('STATUS Nowhere (MESSAGES)')).tagged).toMatch(/ NO \[NONEXISTENT\]/);
});

it('SELECT reports EXISTS, UIDVALIDITY, UIDNEXT and PERMANENTFLAGS', async () => {
  const res = await raw.command('SELECT INBOX');
  const inbox = await h.store.mailboxes.get(h.alice.id, 'INBOX');
  expect(res.tagged).toMatch(/OK \[READ-WRITE\]/);
  expect(res.lines).toContain('* 2 EXISTS');
  expect(res.lines).toContain(`* OK [UIDVALIDITY ${inbox?.uidValidity}] UIDs valid`);
  expect(res.lines).toContain(`* OK [UIDNEXT ${inbox?.uidNext}] Predicted next UID`);
  expect(res.lines.some((l) => l.startsWith('* OK [PERMANENTFLAGS'))).toBe(true);
  expect((await raw.command('EXAMINE INBOX')).tagged).toMatch(/OK \[READ-ONLY\]/);
  expect((await raw.command('SELECT Nowhere')).tagged).toMatch(/ NO \[NONEXISTENT\]/);
});

it('CREATE, RENAME (with inferiors), SUBSCRIBE/LSUB and DELETE', async () => {
  await client.mailboxCreate('Projects');
  await client.mailboxCreate(['Projects', '2025']);
  expect((await raw.command('CREATE Projects')).tagged).toMatch(/ NO \[ALREADYEXISTS\]/);
  await client.mailboxRename('Projects', 'Archive');
  const paths = (await client.list()).map((m) => m.path);
  expect(paths).toEqual(expect.arrayContaining(['Archive', 'Archive/2025']));
  expect(paths).not.toContain('Projects');
  expect(paths).not.toContain('Projects/2025');

  await client.mailboxSubscribe('Archive/2025');
  const lsub = await raw.command('LSUB "" "*"');
  expect(lsub.lines.some((l) => l.endsWith('"Archive/2025"'))).toBe(true);
  await client.mailboxUnsubscribe('Archive/2025');
  expect((await raw.command('LSUB "" "*"')).lines.some((l) => l.endsWith('"Archive/2025"'))).toBe(false);

  await client.mailboxDelete('Archive/2025');
  expect((await client.list()).map((m) => m.path)).not.toContain('Archive/2025');
  expect(await h.store.mailboxes.get(h.alice.id, 'Archive/2025')).toBeUndefined();
});

it('non-ASCII mailbox names travel as modified UTF-7 and are stored as text', async () => {
  await client.mailboxCreate('Önemli Yazışmalar');
  expect(await h.store.mailboxes.get(h.alice.id, 'Önemli Yazışmalar')).toBeDefined();
  const res = await raw.command('LIST "" "*"');
  expect(res.lines.some((l) => l.endsWith('"&ANY-nemli Yaz&ATEBXw-malar"'))).toBe(true);
  expect((await client.list()).map((m) => m.path)).toContain('Önemli Yazışmalar');
});

it('the default mailboxes can be neither deleted nor renamed', async () => {
  for (const path of ['Delil', 'Sent', 'Trash', 'Drafts', 'INBOX']) {
    expect((await raw.command(`DELETE ${path}`)).tagged).toMatch(/ NO /);
    expect((await raw.command(`RENAME ${path} Renamed${path}`)).tagged).toMatch(/ NO /);
    expect(await h.store.mailboxes.get(h.alice.id, path)).toBeDefined();
  }
});

it('refuses names with wildcards, control characters or empty levels', async () => {
  for (const name of ['"a*b"', '"a%b"', '"x//y"', '"a/ /b"']) {
    expect((await raw.command(`CREATE ${name}`)).tagged).toMatch(/ NO /);
  }
});

it(`bounds mailbox creation at ${DEFAULT_MAX_MAILBOXES} per account with a clear NO [LIMIT]`, async () => {
  const existing = (await h.store.mailboxes.list(h.bob.id)).length;
  for (let i = existing; i < DEFAULT_MAX_MAILBOXES - 1; i++) await h.store.mailboxes.create(h.bob.id, `F${i}`);
  const bob = await rawLogin(h, h.bob);
  try {
    expect((await bob.command('CREATE Last')).tagged).toMatch(/ OK /);
    const refused = await bob.command('CREATE OneTooMany');
    expect(refused.tagged).toMatch(/ NO \[LIMIT\]/);
    expect(refused.lines.join('\n')).toMatch(/at most 1000 mailboxes/);
    expect((await h.store.mailboxes.list(h.bob.id)).length).toBe(DEFAULT_MAX_MAILBOXES);
    // deleting one makes room again
    expect((await bob.command('DELETE Last')).tagged).toMatch(/ OK /);
    expect((await bob.command('CREATE OneTooMany')).tagged).toMatch(/ OK /);
  } finally {
    await bob.close();
  }
});

it('NAMESPACE is the personal namespace with "/"', async () => {
  const res = await raw.command('NAMESPACE');
  expect(res.lines).toEqual(['* NAMESPACE (("" "/")) NIL NIL']);
});

it('GETQUOTAROOT/GETQUOTA report storage use in KiB against the account quota', async () => {
  const usage = await h.store.accounts.usage(h.alice.id);
  expect(usage).toBeGreaterThan(0);
  const quota = await client.getQuota('INBOX');
  if (!quota) throw new Error('no quota answer');
  expect(quota.storage?.usage).toBe(Math.ceil(usage / 1024) * 1024);
  expect(quota.storage?.limit).toBe(Math.ceil(h.alice.quotaBytes / 1024) * 1024);
  const res = await raw.command('GETQUOTA ""');
  expect(res.lines).toEqual([`* QUOTA "" (STORAGE ${Math.ceil(usage / 1024)} ${Math.ceil(h.alice.quotaBytes / 1024)})`]);
  expect((await raw.command('GETQUOTAROOT Nowhere')).tagged).toMatch(/ NO /);
});
