/**
 * Session facts every handler starts from: whose session this is, and whether a mailbox
 * belongs to that account (the ownership check at the top of every handler).
 */
import type { Readable } from 'node:stream';
import type { ImapSession } from '@zone-eu/wildduck/imap-core';
import type { Mailbox, MailStore } from '../store/types';
import { KepError } from '../errors';
import { InvalidStoreInput } from '../store/errors';
import { ConnectionClosed } from './errors';

export function accountIdOf(session: ImapSession): string {
  const id = session.user?.id;
  if (!id) throw new KepError('IMAP session is not authenticated');
  return id;
}

/** The mailbox with this id if it belongs to the session's account, else undefined. */
export async function ownedMailboxById(store: MailStore, session: ImapSession, mailboxId: string): Promise<Mailbox | undefined> {
  const accountId = accountIdOf(session);
  const mailbox = await store.mailboxes.getById(mailboxId);
  return mailbox && mailbox.accountId === accountId ? mailbox : undefined;
}

/** The session account's mailbox at this path, else undefined (also for a name no mailbox can have). */
export async function ownedMailboxByPath(store: MailStore, session: ImapSession, path: string): Promise<Mailbox | undefined> {
  const accountId = accountIdOf(session);
  let mailbox: Mailbox | undefined;
  try {
    mailbox = await store.mailboxes.get(accountId, path);
  } catch (err) {
    if (err instanceof InvalidStoreInput) return undefined;
    throw err;
  }
  return mailbox && mailbox.accountId === accountId ? mailbox : undefined;
}

/** Resolves once imap-core's composer has taken the response (keeps FETCH output in order, with backpressure). */
export function writeResponse(session: ImapSession, chunk: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    session.writeStream.write(chunk, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

/**
 * Writes a streamed response (one with literals) and resolves when it is fully sent. If the
 * stream fails halfway (a blob could not be read) the client is mid-literal and the protocol
 * cannot recover: the connection is dropped. If the connection closes first (the client left,
 * or stalled until the socket timeout), nothing will take the rest: the stream is destroyed
 * and the write ends with ConnectionClosed instead of waiting forever.
 */
export function writeStreamedResponse(session: ImapSession, stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = session.socket;
    let settled = false;
    const finish = (err?: Error | null): void => {
      if (settled) return;
      settled = true;
      socket?.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onClose = (): void => {
      stream.destroy();
      finish(new ConnectionClosed());
    };
    if (!socket || socket.destroyed) return onClose();
    socket.once('close', onClose);
    stream.once('error', (err: Error) => {
      socket.destroy();
      finish(err);
    });
    session.writeStream.write(stream, (err?: Error | null) => finish(err));
  });
}

export function connectionOpen(session: ImapSession): boolean {
  const socket = session.socket;
  return !!socket && !socket.destroyed && socket.writable;
}

/** An untagged NO carrying a human-readable reason before a tagged answer that has no text of its own. */
export function sendUntaggedNo(session: ImapSession, code: string, text: string): void {
  session.writeStream.write({
    tag: '*',
    command: 'NO',
    attributes: [
      { type: 'SECTION', section: [{ type: 'ATOM', value: code }] },
      { type: 'TEXT', value: text },
    ],
  });
}
