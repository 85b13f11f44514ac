/**
 * IMAP-side refusals. Each carries the RFC 5530 response code it is answered with, and the text
 * imap-core shows (`responseMessage`) where the command allows one.
 */
import { KepError } from '../errors';

export class ImapRefusal extends KepError {
  override readonly name: string = 'ImapRefusal';
  constructor(
    /** Response code, e.g. `LIMIT`, `OVERQUOTA`. */
    readonly code: string,
    readonly responseMessage: string,
  ) {
    super(responseMessage);
  }
}

/** The retrieval of a dispatch could not be recorded: its content must not be sent (FETCH answers NO). */
export class RetrievalNotRecorded extends ImapRefusal {
  override readonly name = 'RetrievalNotRecorded';
  constructor(cause: unknown) {
    // imap-core answers every failed FETCH with [TEMPFAIL]; the text is ours
    super('TEMPFAIL', 'Message retrieval could not be recorded, try again later');
    this.cause = cause;
  }
}

/**
 * A login that is refused for now (lockout, too many connections): `NO [UNAVAILABLE] text`.
 * imap-core renders LOGIN refusals from `response`/`code`/`message` but AUTHENTICATE refusals
 * from `response`/`message` alone, so for AUTHENTICATE the code goes into the text.
 */
export class LoginUnavailable extends ImapRefusal {
  override readonly name = 'LoginUnavailable';
  readonly response = 'NO';
  constructor(method: 'LOGIN' | 'PLAIN', text: string) {
    super('UNAVAILABLE', text);
    if (method === 'PLAIN') this.message = `[UNAVAILABLE] ${text}`;
  }
}

/** The connection went away while a response was being written. */
export class ConnectionClosed extends KepError {
  override readonly name = 'ConnectionClosed';
  constructor() {
    super('IMAP connection closed');
  }
}

/** A stored message has fewer bytes than its record says: its content cannot be answered. */
export class StoredMessageDamaged extends KepError {
  override readonly name = 'StoredMessageDamaged';
  constructor(
    readonly messageId: string,
    readonly expected: number,
    readonly found: number,
  ) {
    super(`stored bytes of message ${messageId} are damaged: expected ${expected}, found ${found}`);
  }
}
