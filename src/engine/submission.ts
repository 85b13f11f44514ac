/**
 * The submission pipeline (architecture.md "The path of a message"): envelope checks, the
 * exact bytes made durable, S/MIME and policy checks, the SubmissionAcceptance evidence, and
 * the jobs that deliver. Every refusal of an authenticated sender issues a rejection evidence.
 * Protocol-free: the SMTP layer only translates to and from these calls.
 */
import type { Readable } from 'node:stream';
import { activeOperator } from '../accounts/operators';
import { authenticate, type AuthUser } from '../accounts/service';
import { SubmissionRejected, TemporaryFailure, TimeStampUnavailable } from '../errors';
import type { EntityDetails } from '../evidence/model';
import { sha256Hex } from '../common/hash';
import { pipeInto } from '../common/pipe';
import { ReasonCode } from '../evidence/reasons';
import { MimeShapeMeter } from '../mime/shape';
import { shapeRejection } from '../policy/message-limits';
import { Rejections } from '../policy/rejections';
import type { SenderIdentity } from '../policy/signer';
import { routeRecipient, sizeLimitFor, type RecipientRoute } from '../policy/recipients';
import { StorageFull } from '../store';
import type { AccountRecord, BlobRef, StoreOp, SubmissionRecord } from '../store/types';
import { draftToJson } from './draft-json';
import { evidenceOps, issueEvidence, providerMessageIdFor, sentCopyOp, type EvidenceDraft } from './issue';
import { newMessageId } from './ids';
import { SizeLimiter } from './size-limiter';
import { inspectOriginal, type OriginalInfo } from './original';
import type { Runtime } from './runtime';
import { verifySender } from './signature';

export interface EnvelopeRecipient {
  address: string;
  route: RecipientRoute;
}

export interface Envelope {
  mailFrom: string;
  recipients: EnvelopeRecipient[];
}

export interface Accepted {
  id: string;
}

/** Where a login comes from (for the failed-login limits and the audit trail). */
export interface LoginClient {
  protocol: 'smtp' | 'imap';
  /** The client's IP address. */
  address: string;
}

const AUTH_METHOD = 'urn:kepd:authentication:smtp-sasl-password';

export class SubmissionService {
  constructor(private readonly rt: Runtime) {}

  /**
   * Checks a login through the login guard (failed-login limits, audit trail); throws
   * LoginLocked while the name or the client's address is locked out.
   */
  login(username: string, password: string, client: LoginClient = { protocol: 'smtp', address: '' }): Promise<AuthUser | null> {
    return this.rt.loginGuard.attempt({ protocol: client.protocol, client: client.address, username }, () =>
      authenticate(this.rt.store, username, password, this.rt.now, { closedAccessDays: this.rt.config.accounts.closed_access_days }),
    );
  }

  /** MAIL FROM: the sender must be the authenticated account, active, allowed to send, within quota. */
  async checkMailFrom(user: AuthUser, mailFrom: string): Promise<void> {
    const account = await this.account(user);
    const rejection = await this.senderRejection(user, account, mailFrom);
    if (rejection) throw await this.reject(user, rejection, { recipients: [] });
  }

  /**
   * RCPT TO: every recipient must be a KEP address, and a local one must exist. An existing
   * account that does not receive (closed, awaiting activation) is accepted here: the dispatch
   * job gives its sender a NonDelivery evidence for it (kep-rem.md §8.2).
   */
  async checkRecipient(user: AuthUser, address: string, current: number, declaredSize?: number): Promise<EnvelopeRecipient> {
    const rcpt = address.trim().toLowerCase();
    if (current >= this.rt.config.smtp.max_recipients) throw Rejections.tooManyRecipients(this.rt.config.smtp.max_recipients);
    const route = routeRecipient(rcpt, this.rt.config);
    let rejection: SubmissionRejected | undefined;
    if (route.kind === 'not-kep') rejection = Rejections.notKepAddress(rcpt);
    if (route.kind === 'remote') {
      // A declared SIZE over the inter-provider limit is refused for good, whatever happens to relaying.
      const relayLimit = this.rt.config.limits.max_relay_message_bytes;
      if (declaredSize !== undefined && declaredSize > relayLimit) {
        throw await this.reject(user, Rejections.tooBig(declaredSize, relayLimit, true), { recipients: [rcpt] });
      }
      // Accepting would promise a relay this build cannot make yet: refuse for now, losing nothing.
      throw Rejections.relayUnavailable(rcpt, route.provider.name);
    }
    if (route.kind === 'local') {
      const target = await this.rt.store.accounts.getByAddress(rcpt);
      if (!target) rejection = Rejections.unknownLocalRecipient(rcpt);
    }
    if (rejection) throw await this.reject(user, rejection, { recipients: [rcpt] });
    return { address: rcpt, route };
  }

  /**
   * DATA: stores the exact bytes (fsynced), checks them, and on success commits the submission,
   * its acceptance evidence and the delivery jobs before resolving (the 250 reply).
   */
  async submit(user: AuthUser, envelope: Envelope, data: Readable): Promise<Accepted> {
    const rt = this.rt;
    const id = newMessageId(rt.now());
    const submittedAt = rt.now();
    const { limit, relay } = sizeLimitFor(
      envelope.recipients.map((r) => r.route),
      rt.config.limits,
    );
    const recipients = envelope.recipients.map((r) => r.address);

    // Read back at once by the checks below (MIME, signature): kept in memory while pending.
    // A signed submission is never byte for byte another: unique (append-only indexes).
    const writer = rt.store.blobs.createWriter({ readWhilePending: true, unique: true });
    // The shape (line length, header, MIME nesting) is measured on the way to disk, not re-read.
    const meter = new MimeShapeMeter({ maxDepth: rt.config.limits.max_mime_depth });
    const limiter = new SizeLimiter(limit, meter);
    try {
      // On failure every stream, the writer included, is destroyed: its temp file goes with it.
      await pipeInto(data, limiter, writer);
    } catch (err) {
      throw storageFailure(err) ?? new TemporaryFailure({ code: 451, enhanced: '4.3.0' }, 'Could not store the message, try again later', err);
    }
    const pending = await writer.pending;
    const { size } = limiter;
    const digest = limiter.hash.digest();

    let original: OriginalInfo | undefined;
    let signerCertificateDer: Buffer | undefined;
    let account: AccountRecord | undefined;
    try {
      if (size > limit) throw Rejections.tooBig(size, limit, relay);
      const shapeProblem = shapeRejection(meter.result(), rt.config.limits);
      if (shapeProblem) throw shapeProblem;
      original = await inspectOriginal(pending);
      if (original.fromAddress !== envelope.mailFrom) throw Rejections.fromMismatch(original.fromAddress ?? '', envelope.mailFrom);
      account = await this.account(user);
      signerCertificateDer = await verifySender(rt, pending, await this.signingIdentity(user, account));
    } catch (err) {
      await pending.discard();
      if (!(err instanceof SubmissionRejected)) throw err;
      throw await this.reject(user, err, {
        recipients,
        message: {
          id,
          subject: original?.subject ?? '',
          uaMessageId: original?.messageId,
          digest,
        },
        submittedAt,
        extension: original ? { iletiTip: original.iletiTip, iletiId: original.iletiId } : undefined,
      });
    }

    if (!original || !account) throw new Error('unreachable: original and account read above');
    const providerMessageId = providerMessageIdFor(id, rt.config.domain);
    let acceptance;
    try {
      acceptance = await issueEvidence(rt, {
        type: 'SubmissionAcceptanceRejection',
        event: 'Acceptance',
        senderAuthentication: { time: user.authenticatedAt, method: AUTH_METHOD },
        eventTime: rt.now(),
        submissionTime: submittedAt,
        sender: senderDetails(account, signerCertificateDer),
        recipients: recipients.map((address) => ({ address })),
        message: { subject: original.subject, uaMessageId: original.messageId, providerMessageId, digestSha256: digest },
        extension: { iletiTip: original.iletiTip, iletiId: original.iletiId, operator: user.operator },
      });
    } catch (err) {
      await pending.discard();
      if (err instanceof TimeStampUnavailable) {
        throw new TemporaryFailure(
          { code: 451, enhanced: '4.3.0' },
          'The time-stamp authority is unreachable, so no acceptance evidence can be issued; try again later',
          err,
        );
      }
      throw err;
    }
    let blob: BlobRef;
    try {
      blob = await pending.commit();
    } catch (err) {
      // Not acknowledged: the temp file goes (the evidence issued above is never archived).
      await pending.discard();
      throw storageFailure(err) ?? err;
    }
    const submission: SubmissionRecord = {
      id,
      accountId: account.id,
      sender: account.address,
      operator: user.operator,
      recipients,
      blob,
      subject: original.subject,
      uaMessageId: original.messageId,
      iletiTip: original.iletiTip,
      iletiId: original.iletiId,
      submittedAt,
      signerCertificateDer,
    };
    // The dispatch job, when there is one, also files the Sent copy and delivers the
    // acceptance's receipt (one job per message, in its one commit): what must be durable
    // before the 250 is the submission, its bytes, the acceptance evidence and that job. The
    // acceptance commit runs on the thread that serves every SMTP session, so it stays short.
    const dispatch = envelope.recipients.some((r) => r.route.kind === 'local');
    const ops: StoreOp[] = [
      { op: 'putSubmission', submission },
      ...evidenceOps(acceptance, { messageId: id, accountId: account.id, uniqueKey: `acceptance:${id}` }, { receiptJob: !dispatch }),
    ];
    if (dispatch) {
      ops.push({ op: 'enqueueJob', job: { kind: 'dispatch', payload: { messageId: id, acceptanceReceipt: true, sentCopy: true }, uniqueKey: `dispatch:${id}` } });
    } else {
      ops.push(sentCopyOp(submission));
    }
    try {
      await rt.store.commit(ops);
    } catch (err) {
      throw storageFailure(err) ?? err;
    }
    rt.logger.info({ messageId: id, sender: account.address, recipients: recipients.length, size }, 'submission accepted');
    return { id };
  }

  private async account(user: AuthUser): Promise<AccountRecord> {
    const account = await this.rt.store.accounts.getById(user.accountId);
    if (!account) throw new TemporaryFailure({ code: 451, enhanced: '4.3.0' }, 'Account not found, try again later');
    return account;
  }

  /**
   * Who must have signed: the holder's identity, or the certificate registered for the acting
   * operator — who must still be authorised (removal takes effect mid-session too).
   */
  private async signingIdentity(user: AuthUser, account: AccountRecord): Promise<SenderIdentity> {
    if (user.operator === undefined) return { address: account.address, nationalId: account.nationalId };
    const operator = await activeOperator(this.rt.store, account.id, user.operator);
    if (!operator) throw Rejections.operatorNotAuthorised(user.operator, account.address);
    return { address: account.address, registeredCertificateSha256: sha256Hex(operator.certificateDer), operator: operator.login };
  }

  private async senderRejection(user: AuthUser, account: AccountRecord, mailFrom: string): Promise<SubmissionRejected | undefined> {
    if (user.operator !== undefined && !(await activeOperator(this.rt.store, account.id, user.operator))) {
      return Rejections.operatorNotAuthorised(user.operator, account.address);
    }
    if (mailFrom.trim().toLowerCase() !== account.address) return Rejections.senderMismatch(mailFrom, account.address);
    if (account.state !== 'active') return Rejections.accountNotActive(account.address, account.state);
    if (account.receiveOnly) return Rejections.receiveOnly(account.address);
    const used = await this.rt.store.accounts.usage(user.accountId);
    if (used >= account.quotaBytes) return Rejections.senderOverQuota(used, account.quotaBytes);
    return undefined;
  }

  /**
   * Issues the rejection evidence for `rejection` and returns the error to reply with. When the
   * TSA is down the evidence is queued (a durable job) instead: no evidence without a token.
   */
  private async reject(
    user: AuthUser,
    rejection: SubmissionRejected,
    about: {
      recipients: string[];
      message?: { id: string; subject: string; uaMessageId?: string; digest: Buffer };
      submittedAt?: Date;
      extension?: EvidenceDraft['extension'];
    },
  ): Promise<SubmissionRejected> {
    const rt = this.rt;
    const account = await rt.store.accounts.getById(user.accountId);
    const draft: EvidenceDraft = {
      type: 'SubmissionAcceptanceRejection',
      event: 'Rejection',
      reasons: [{ code: rejection.reason, details: rejection.message }],
      senderAuthentication: { time: user.authenticatedAt, method: AUTH_METHOD },
      eventTime: rt.now(),
      submissionTime: about.submittedAt,
      sender: { address: account?.address ?? user.address, name: account?.displayName },
      // RecipientsDetails needs one entry even before any recipient was named.
      recipients: about.recipients.length ? about.recipients.map((address) => ({ address })) : [{}],
      message: about.message
        ? {
            subject: about.message.subject,
            uaMessageId: about.message.uaMessageId,
            providerMessageId: providerMessageIdFor(about.message.id, rt.config.domain),
            digestSha256: about.message.digest,
          }
        : undefined,
      extension: { ...about.extension, operator: user.operator },
    };
    const target = { messageId: about.message?.id, accountId: user.accountId };
    try {
      const ev = await issueEvidence(rt, draft);
      await rt.store.commit(evidenceOps(ev, target));
      rt.logger.info({ evidence: ev.data.identifier, reason: ReasonCode[rejection.reason], account: user.address }, 'submission rejected');
      return new SubmissionRejected(rejection.reply, rejection.reason, `${rejection.message} (rejection evidence ${ev.data.identifier})`);
    } catch (err) {
      if (!(err instanceof TimeStampUnavailable)) throw storageFailure(err) ?? err;
      await rt.store.commit([
        {
          op: 'enqueueJob',
          job: {
            kind: 'rejection',
            payload: { draft: draftToJson(draft), accountId: user.accountId, ...(target.messageId ? { messageId: target.messageId } : {}) },
          },
        },
      ]);
      rt.logger.warn({ reason: ReasonCode[rejection.reason], account: user.address }, 'submission rejected; evidence queued until the TSA is reachable');
      return rejection;
    }
  }
}

/** A full disk as the client should hear it (452 4.3.1); undefined for any other failure. */
function storageFailure(err: unknown): TemporaryFailure | undefined {
  if (err instanceof StorageFull) return new TemporaryFailure(err.reply, 'Insufficient system storage, try again later', err);
  return undefined;
}

export function senderDetails(account: AccountRecord, certificateDer?: Buffer): EntityDetails {
  return { address: account.address, name: account.displayName, certificateDer };
}
