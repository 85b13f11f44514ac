/**
 * FETCH / UID FETCH. Messages are answered page by page, and for each page, before a byte of
 * it is sent:
 *   1. every dispatch of this account whose body content is asked for has its retrieval
 *      recorded (`onRetrieval`); if that fails the FETCH answers NO and the content stays here;
 *   2. non-PEEK body fetches set \Seen (imap-core decides `markAsSeen`, we store it) — except
 *      in a read-only (closed) account, whose mailboxes stay as they are.
 * Bodies are served from the stored blob, byte-exact: small ones read whole and answered in
 * batches of responses (fetch/compose.ts, fetch/response-batch.ts), while the next messages are
 * read ahead; large ones streamed with backpressure through imap-core's streaming compiler.
 */
import type { FetchOptions, IMAPServer, ImapSession } from '@zone-eu/wildduck/imap-core';
import { imapHandler } from '@zone-eu/wildduck/imap-core';
import type { Mailbox, MessageRecord } from '../../store/types';
import { ConnectionClosed, RetrievalNotRecorded } from '../errors';
import { composeFetchResponse } from '../fetch/compose';
import { ReadAhead, type ReadAheadLimits } from '../fetch/read-ahead';
import { ResponseBatch } from '../fetch/response-batch';
import { buildFetchValues, isStreamValue, type FetchValue } from '../fetch/values';
import { isRecordableRetrieval } from '../fetch/retrieval';
import { writeRefusalFor } from '../read-only';
import { accountIdOf, connectionOpen, ownedMailboxById, writeStreamedResponse } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

const PAGE_SIZE = 250;
/** Body bytes of one message read whole and answered from memory; bodies beyond are streamed. */
const INLINE_BODY_BYTES = 256 * 1024;
/** Responses are written once this much is gathered (and at the end of the command). */
const BATCH_BYTES = 64 * 1024;
/** Messages read ahead of the one being answered; bounds memory per session with the batch. */
const READ_AHEAD: ReadAheadLimits = { count: 32, weight: 1024 * 1024 };
/** Up to this many requested UIDs are checked against the selection without building a set. */
const SMALL_REQUEST = 16;

export function onFetch(ctx: HandlerContext): NonNullable<IMAPServer['onFetch']> {
  return (mailboxId, options, session, callback) =>
    settle(ctx.logger, 'FETCH', callback)(async () => {
      const mailbox = await ownedMailboxById(ctx.store, session, mailboxId);
      if (!mailbox) return ['NONEXISTENT'];
      const accountId = accountIdOf(session);
      const uids = selectedUids(session, options.messages);
      const batch = new ResponseBatch(session, BATCH_BYTES);
      const seen = new SeenMarker(ctx, session, mailbox, options.markAsSeen);
      let rows = 0;
      try {
        for (let i = 0; i < uids.length; i += PAGE_SIZE) {
          const page = await loadPage(ctx, mailbox, accountId, uids.slice(i, i + PAGE_SIZE), options);
          await recordRetrievals(ctx, page, accountId, options, session.user?.operator);
          const ready = await seen.mark(page);
          const ahead = new ReadAhead(ready, (record) => valuesOf(ctx, session, record, options), (record) => inlineWeight(record, options), READ_AHEAD);
          for (const record of ready) {
            if (!connectionOpen(session)) throw new ConnectionClosed();
            await sendOne(session, record, options, await ahead.take(), batch);
            rows++;
          }
        }
        holdWritesForThisTurn(session);
        await batch.flush();
      } catch (err) {
        // what is gathered was recorded and may go out, as it would have unbatched
        if (!(err instanceof ConnectionClosed)) await batch.flush().catch(() => undefined);
        throw err;
      }
      return [true, { rowCount: rows }];
    });
}

/**
 * The last responses and the tagged completion (which imap-core writes right after this handler
 * answers) then leave as one TLS write instead of three small ones: the socket collects writes
 * until the event loop turns. Should a write have to wait for the client meanwhile, the hold
 * ends on the same turn, so it only ever delays by one turn.
 */
function holdWritesForThisTurn(session: ImapSession): void {
  const socket = session.socket;
  if (!socket || socket.destroyed) return;
  socket.cork();
  setImmediate(() => socket.uncork());
}

/** The requested UIDs that are in the selection (imap-core derives them from it; checked all the same). */
function selectedUids(session: ImapSession, requested: number[]): number[] {
  const list = session.selected ? session.selected.uidList : [];
  if (requested.length <= SMALL_REQUEST) return requested.filter((uid) => list.includes(uid));
  const known = new Set(list);
  return requested.filter((uid) => known.has(uid));
}

async function loadPage(ctx: HandlerContext, mailbox: Mailbox, accountId: string, uids: number[], options: FetchOptions): Promise<MessageRecord[]> {
  const records = await ctx.store.messages.list(mailbox.id, uids);
  return records.filter(
    (m) => m.accountId === accountId && m.mailboxId === mailbox.id && (!options.changedSince || m.modseq > options.changedSince),
  );
}

async function recordRetrievals(
  ctx: HandlerContext,
  page: MessageRecord[],
  accountId: string,
  options: FetchOptions,
  operator: string | undefined,
): Promise<void> {
  for (const record of page) {
    if (!isRecordableRetrieval(record, accountId, options.query)) continue;
    try {
      await ctx.onRetrieval(record, accountId, operator === undefined ? undefined : { operator });
    } catch (err) {
      ctx.logger.warn({ err, messageId: record.id }, 'retrieval could not be recorded; content withheld');
      throw new RetrievalNotRecorded(err);
    }
  }
}

/**
 * Sets \Seen on the messages of each page that lack it. Whether the account may change its
 * mailboxes (a closed one may not) is asked once, and only when there is something to set.
 */
class SeenMarker {
  private allowed: boolean | undefined;

  constructor(
    private readonly ctx: HandlerContext,
    private readonly session: ImapSession,
    private readonly mailbox: Mailbox,
    private readonly wanted: boolean,
  ) {}

  async mark(page: MessageRecord[]): Promise<MessageRecord[]> {
    if (!this.wanted) return page;
    const unseen = page.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
    if (!unseen.length) return page;
    if (this.allowed === undefined) this.allowed = !(await writeRefusalFor(this.ctx, this.session));
    if (!this.allowed) return page;
    const { updated } = await this.ctx.store.messages.updateFlags(this.mailbox.id, unseen, 'add', ['\\Seen']);
    // the FETCH response carries the new FLAGS itself
    this.ctx.notifier.markOwnChanges(this.session.id, this.mailbox.id, updated.map((m) => m.modseq));
    const byUid = new Map(updated.map((m) => [m.uid, m]));
    return page.map((m) => {
      const u = byUid.get(m.uid);
      return u ? { ...m, flags: u.flags, modseq: u.modseq } : m;
    });
  }
}

/** Memory a message's values may take while read ahead: its body, up to the inline limit. */
function inlineWeight(record: MessageRecord, options: FetchOptions): number {
  return options.metadataOnly ? 0 : Math.min(record.size, INLINE_BODY_BYTES);
}

function valuesOf(ctx: HandlerContext, session: ImapSession, record: MessageRecord, options: FetchOptions): Promise<FetchValue[]> {
  return buildFetchValues(record, options.query, {
    blobs: ctx.store.blobs,
    meta: () => ctx.meta.get(record),
    utf8: session.isUTF8Enabled(),
    inlineBytes: options.metadataOnly ? 0 : INLINE_BODY_BYTES,
  });
}

async function sendOne(session: ImapSession, record: MessageRecord, options: FetchOptions, values: FetchValue[], batch: ResponseBatch): Promise<void> {
  try {
    if (!values.some(isStreamValue)) {
      const response = session.formatResponse('FETCH', record.uid, { query: options.query, values });
      if (!response) return;
      // no literals in a metadata-only answer: imap-core's compiler makes all of it
      const pieces = options.metadataOnly ? [Buffer.from(imapHandler.compiler(response), 'latin1')] : composeFetchResponse(response);
      if (pieces) return await batch.add(pieces);
    }
    // streamed: what is gathered goes first, then the composer pipes this response itself
    await batch.flush();
    const response = session.formatResponse('FETCH', record.uid, { query: options.query, values: values.map(forStreaming) });
    if (!response) return;
    await writeStreamedResponse(session, imapHandler.compileStream(response));
  } finally {
    // A body section that was not sent in full (the client left or stalled) still holds its
    // blob file open: close it now, not whenever garbage collection gets to it.
    for (const v of values) if (isStreamValue(v) && !v.value.destroyed) v.value.destroy();
  }
}

/** imap-core's streaming compiler measures a Buffer literal in decoded characters: bytes go as a 'binary' string. */
function forStreaming(value: FetchValue): FetchValue {
  return Buffer.isBuffer(value) ? value.toString('latin1') : value;
}
