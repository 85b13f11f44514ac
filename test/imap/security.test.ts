/**
 * Transport and isolation: no login without TLS, no TLS below 1.2, and no way for one account
 * to reach another account's mailboxes or messages (neither through the protocol nor by
 * handing a handler a foreign mailbox id).
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FetchOptions, ImapSession } from '@zone-eu/wildduck/imap-core';
import { RawImap, rawLogin, startImapHarness, type ImapHarness } from '../support/imap';
import { dispatchMessage } from '../support/imap-messages';
import { silentLogger } from '../../src/log';
import type { Mailbox, MessageRecord } from '../../src/store';
import { ImapNotifier } from '../../src/imap/notifier';
import { MessageMetaCache } from '../../src/imap/message-meta';
import type { HandlerContext } from '../../src/imap/handlers/context';
import { onFetch } from '../../src/imap/handlers/on-fetch';
import { onStore } from '../../src/imap/handlers/on-store';
import { onExpunge } from '../../src/imap/handlers/on-expunge';
import { onCopy } from '../../src/imap/handlers/on-copy';
import { onMove } from '../../src/imap/handlers/on-move';
import { onSearch } from '../../src/imap/handlers/on-search';

let h: ImapHarness;
let aliceInbox: Mailbox;
let aliceMessage: MessageRecord;
const msg = dispatchMessage();

beforeAll(async () => {
  h = await startImapHarness();
  aliceMessage = await h.deliver(h.alice, 'INBOX', msg.bytes, 'dispatch');
  aliceInbox = (await h.store.mailboxes.get(h.alice.id, 'INBOX')) as Mailbox;
  await h.store.mailboxes.create(h.alice.id, 'Secret');
});

afterAll(async () => {
  await h?.close();
});

beforeEach(() => {
  h.retrievals.length = 0;
});

describe('STARTTLS port', () => {
  it('advertises LOGINDISABLED and refuses LOGIN and AUTHENTICATE PLAIN before STARTTLS', async () => {
    const raw = await RawImap.connect(h.port);
    try {
      expect(raw.greeting).toMatch(/^\* OK /);
      const caps = await raw.command('CAPABILITY');
      expect(caps.lines[0]).toMatch(/\bSTARTTLS\b/);
      expect(caps.lines[0]).toMatch(/\bLOGINDISABLED\b/);
      const login = await raw.command(`LOGIN ${h.alice.address} "${h.password}"`);
      expect(login.tagged).not.toMatch(/ OK /);
      expect(login.tagged).toMatch(/STARTTLS/);
      const plain = Buffer.from(`\0${h.alice.address}\0${h.password}`).toString('base64');
      const auth = await raw.command(`AUTHENTICATE PLAIN ${plain}`);
      expect(auth.tagged).not.toMatch(/ OK /);
      // still not authenticated
      expect((await raw.command('SELECT INBOX')).tagged).toMatch(/ BAD /);
    } finally {
      await raw.close();
    }
  });

  it('accepts LOGIN after STARTTLS', async () => {
    const raw = await RawImap.connect(h.port);
    try {
      expect((await raw.command('STARTTLS')).tagged).toMatch(/ OK /);
      await raw.startTls(h.caPem);
      const caps = await raw.command('CAPABILITY');
      expect(caps.lines[0]).not.toMatch(/LOGINDISABLED/);
      expect((await raw.command(`LOGIN ${h.alice.address} "${h.password}"`)).tagged).toMatch(/ OK /);
      expect((await raw.command('SELECT INBOX')).tagged).toMatch(/ OK /);
    } finally {
      await raw.close();
    }
  });

  it('refuses a wrong password', async () => {
    const raw = await RawImap.connect(h.tlsPort, { tls: { ca: h.caPem } });
    try {
      const res = await raw.command(`LOGIN ${h.alice.address} "wrong password"`);
      expect(res.tagged).toMatch(/ NO \[AUTHENTICATIONFAILED\]/);
    } finally {
      await raw.close();
    }
  });
});

describe('TLS versions', () => {
  it('refuses TLS 1.1 and accepts TLS 1.2 from the same client', async () => {
    // SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all; the refusal must come from the server
    const legacy = { ca: h.caPem, minVersion: 'TLSv1' as const, ciphers: 'DEFAULT@SECLEVEL=0' };
    await expect(RawImap.connect(h.tlsPort, { tls: { ...legacy, maxVersion: 'TLSv1.1' } })).rejects.toThrow(/alert protocol version/i);
    const ok = await RawImap.connect(h.tlsPort, { tls: { ...legacy, maxVersion: 'TLSv1.2' } });
    expect(ok.greeting).toMatch(/^\* OK /);
    await ok.close();
  });

  it('refuses TLS 1.1 after STARTTLS too', async () => {
    const raw = await RawImap.connect(h.port);
    try {
      expect((await raw.command('STARTTLS')).tagged).toMatch(/ OK /);
      await expect(raw.startTls(h.caPem, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(/alert protocol version/i);
    } finally {
      await raw.close();
    }
  });
});

describe('account isolation over IMAP', () => {
  it("lists only the account's own mailboxes", async () => {
    const bob = await h.client(h.bob);
    try {
      const paths = (await bob.list()).map((m) => m.path);
      expect(paths).not.toContain('Secret');
      expect(paths.sort()).toEqual(['Delil', 'Drafts', 'INBOX', 'Sent', 'Trash']);
    } finally {
      await bob.logout();
    }
  });

  it("cannot select, examine, status or append to another account's mailbox by name", async () => {
    const raw = await rawLogin(h, h.bob);
    try {
      for (const name of ['Secret', `"${h.alice.address}/INBOX"`, '"../INBOX"', `"${h.alice.id}"`, `"${aliceInbox.id}"`]) {
        expect((await raw.command(`SELECT ${name}`)).tagged).toMatch(/ NO /);
        expect((await raw.command(`EXAMINE ${name}`)).tagged).toMatch(/ NO /);
        expect((await raw.command(`STATUS ${name} (MESSAGES)`)).tagged).toMatch(/ NO /);
      }
      const select = await raw.command('SELECT INBOX');
      // bob's own, empty INBOX, whatever alice has
      expect(select.lines).toContain('* 0 EXISTS');
    } finally {
      await raw.close();
    }
  });

  it("cannot fetch, store or copy another account's message by guessing UIDs", async () => {
    const raw = await rawLogin(h, h.bob);
    try {
      await raw.command('SELECT INBOX');
      for (const cmd of [`UID FETCH ${aliceMessage.uid} BODY.PEEK[]`, 'FETCH 1:* BODY.PEEK[]', `UID FETCH 1:${aliceMessage.uid + 10} (FLAGS BODY.PEEK[])`]) {
        const res = await raw.command(cmd);
        expect(res.literals).toEqual([]);
        expect(res.raw.includes(msg.pieces.intro.subarray(0, 20))).toBe(false);
      }
      await raw.command(`UID STORE ${aliceMessage.uid} +FLAGS (\\Deleted)`);
      await raw.command(`UID COPY ${aliceMessage.uid} Trash`);
      await raw.command('EXPUNGE');
      const [still] = await h.store.messages.list(aliceInbox.id, [aliceMessage.uid]);
      expect(still.flags).not.toContain('\\Deleted');
      expect(h.retrievals).toEqual([]);
    } finally {
      await raw.close();
    }
  });
});

describe('every mailbox handler checks ownership itself', () => {
  // A session of bob's that claims alice's INBOX as selected: only the handler's own check stops it.
  function forgedSession(): { session: ImapSession; written: unknown[] } {
    const written: unknown[] = [];
    const writeStream = new PassThrough({ objectMode: true });
    writeStream.on('data', (chunk) => written.push(chunk));
    const session = {
      id: 'forged',
      user: { id: h.bob.id, username: h.bob.address },
      selected: { mailbox: aliceInbox.id, uidList: [aliceMessage.uid], modifyIndex: 0, notifications: [], condstoreEnabled: false, readOnly: false, path: 'INBOX' },
      remoteAddress: '127.0.0.1',
      clientHostname: 'localhost',
      writeStream,
      // a socket as far as the handlers use it: its state, 'close' to notice a client leaving,
      // and cork/uncork (FETCH sends its last responses and the completion as one write)
      socket: Object.assign(new EventEmitter(), { destroyed: false, writable: true, cork: () => undefined, uncork: () => undefined }),
      formatResponse: (command: string, uid: number) => ({ tag: '*', command: `${uid} ${command}`, attributes: [] }),
      isUTF8Enabled: () => false,
    } as unknown as ImapSession;
    return { session, written };
  }

  function context(): HandlerContext {
    return {
      store: h.store,
      logger: silentLogger,
      notifier: new ImapNotifier(h.store, silentLogger),
      meta: new MessageMetaCache(h.store),
      authenticate: async () => null,
      onRetrieval: async (m, accountId) => {
        h.retrievals.push({ messageId: m.id, accountId, kind: m.kind });
      },
      maxMessageBytes: 1 << 20,
      maxMailboxes: 1000,
      now: () => new Date(),
    };
  }

  function call<T extends unknown[]>(fn: (cb: (err: Error | null, ...rest: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => fn((err, ...rest) => (err ? reject(err) : resolve(rest))));
  }

  const fetchAll: FetchOptions = {
    bodystructureExist: false,
    rfc822sizeExist: false,
    envelopeExist: false,
    flagsExist: true,
    idateExist: false,
    metadataOnly: false,
    markAsSeen: true,
    messages: [1],
    query: [{ item: 'body', type: 'content', path: '', query: 'BODY[]', original: {}, isLiteral: true }],
    changedSince: 0,
    isUid: true,
  };

  it('FETCH, STORE, EXPUNGE, COPY, MOVE and SEARCH answer NONEXISTENT for a foreign mailbox id', async () => {
    const ctx = context();
    try {
      const { session, written } = forgedSession();
      const uids = [aliceMessage.uid];
      expect(await call((cb) => onFetch(ctx)(aliceInbox.id, { ...fetchAll, messages: uids }, session, cb))).toEqual(['NONEXISTENT']);
      expect(
        await call((cb) => onStore(ctx)(aliceInbox.id, { value: ['\\Deleted'], action: 'add', type: 'flags', silent: false, messages: uids, unchangedSince: 0 }, session, cb)),
      ).toEqual(['NONEXISTENT']);
      expect(await call((cb) => onExpunge(ctx)(aliceInbox.id, { isUid: false }, session, cb))).toEqual(['NONEXISTENT']);
      expect(await call((cb) => onCopy(ctx)(null, aliceInbox.id, { destination: 'INBOX', messages: uids }, session, cb))).toEqual(['NONEXISTENT']);
      expect(await call((cb) => onMove(ctx)(aliceInbox.id, { destination: 'INBOX', messages: uids }, session, cb))).toEqual(['NONEXISTENT']);
      expect(await call((cb) => onSearch(ctx)(aliceInbox.id, { query: [{ key: 'all' }], terms: ['all'], isUid: true }, session, cb))).toEqual([
        { uidList: 'NONEXISTENT' },
      ]);
      expect(written).toEqual([]);
      expect(h.retrievals).toEqual([]);
      const [still] = await h.store.messages.list(aliceInbox.id, uids);
      expect(still.flags).toEqual(aliceMessage.flags);
      expect(await h.store.messages.list((await h.store.mailboxes.get(h.bob.id, 'INBOX'))!.id)).toEqual([]);
    } finally {
      ctx.notifier.close();
    }
  });

  it('the same calls with alice as the session user do reach the message (the check is what stops bob)', async () => {
    const ctx = context();
    try {
      const { session, written } = forgedSession();
      (session as { user: { id: string } }).user.id = h.alice.id;
      const [result] = await call((cb) => onFetch(ctx)(aliceInbox.id, { ...fetchAll, markAsSeen: false, messages: [aliceMessage.uid] }, session, cb));
      expect(result).toBe(true);
      expect(written.length).toBe(1);
      expect(h.retrievals).toEqual([{ messageId: aliceMessage.id, accountId: h.alice.id, kind: 'dispatch' }]);
    } finally {
      ctx.notifier.close();
    }
  });
});
