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

/** The connection went away while a response was being written. */
export class ConnectionClosed extends KepError {
  override readonly name = 'ConnectionClosed';
  constructor() {
    super('IMAP connection closed');
  }
}
