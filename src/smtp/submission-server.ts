/**
 * SMTP submission listeners (587 STARTTLS, 465 implicit TLS) on smtp-server. This layer only
 * translates: SMTP commands to SubmissionService calls, typed errors back to SMTP replies.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { AuthUser } from '../accounts/service';
import type { EnvelopeRecipient, SubmissionService } from '../engine/submission';
import { guardSockets } from '../common/socket-guard';
import { KepError, SubmissionRejected, TemporaryFailure } from '../errors';
import type { Logger } from '../log';
import type { Admission, ConnectionLimiter } from '../policy/connection-limits';
import { installDataScanPatch } from './data-scan-patch';
import { installReplyPatches } from './reply-patches';
import { installCommandLimit, MAX_COMMANDS_OPTION } from './session-limits';

export interface SubmissionServerOptions {
  service: SubmissionService;
  logger: Logger;
  tls: { key: Buffer | string; cert: Buffer | string };
  hostname: string;
  /** Advertised SIZE (the largest limit); the per-transaction limit is enforced by the service. */
  maxMessageBytes: number;
  socketTimeoutMs: number;
  /** Longest command line (smtp-server answers 421 and closes beyond it). */
  maxCommandLineBytes: number;
  /** Commands per connection, 0 = no limit. */
  maxCommandsPerSession: number;
  /** Concurrent connections per client address and per account, shared by both listeners. */
  connections: ConnectionLimiter;
}

interface SessionState {
  user?: AuthUser;
  recipients: EnvelopeRecipient[];
}

/** Connection-limit admissions held by a session, keyed by session id (released on close). */
type Admissions = Map<string, Admission[]>;

/** SMTP error with the reply code smtp-server reads from `responseCode`. */
function smtpError(code: number, enhanced: string, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(`${enhanced} ${text}`), { responseCode: code });
}

function toSmtpError(err: unknown, logger: Logger): Error {
  if (err instanceof SubmissionRejected || err instanceof TemporaryFailure) {
    return smtpError(err.reply.code, err.reply.enhanced, err.message);
  }
  logger.error({ err: err instanceof KepError ? err.message : err }, 'submission failed unexpectedly');
  return smtpError(451, '4.3.0', 'Local error while processing the message, try again later');
}

/** The SIZE= the client declared on MAIL FROM (RFC 1870), if any. */
function declaredSize(session: SMTPServerSession): number | undefined {
  const args = session.envelope.mailFrom ? session.envelope.mailFrom.args : false;
  const size = args && typeof args.SIZE === 'string' ? Number(args.SIZE) : NaN;
  return Number.isSafeInteger(size) ? size : undefined;
}

export class SubmissionListener {
  private readonly states = new WeakMap<SMTPServerSession, SessionState>();
  private readonly servers: SMTPServer[] = [];
  private readonly admissions: Admissions = new Map();

  constructor(private readonly opts: SubmissionServerOptions) {
    installReplyPatches();
    installCommandLimit();
    installDataScanPatch();
  }

  /** Starts a listener; `secure` = implicit TLS (465), else STARTTLS (587). */
  async listen(port: number, host: string, secure: boolean): Promise<number> {
    const server = new SMTPServer(this.serverOptions(secure));
    server.on('error', (err) => this.opts.logger.warn({ err: err.message }, 'smtp connection error'));
    guardSockets(server.server, this.opts.connections, this.opts.logger, 'smtp');
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    return (server.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private state(session: SMTPServerSession): SessionState {
    let s = this.states.get(session);
    if (!s) {
      s = { recipients: [] };
      this.states.set(session, s);
    }
    return s;
  }

  private hold(session: SMTPServerSession, admission: Admission): void {
    const held = this.admissions.get(session.id);
    if (held) held.push(admission);
    else this.admissions.set(session.id, [admission]);
  }

  private release(session: SMTPServerSession): void {
    for (const admission of this.admissions.get(session.id) ?? []) admission.release();
    this.admissions.delete(session.id);
  }

  private serverOptions(secure: boolean): SMTPServerOptions {
    const { service, logger, connections } = this.opts;
    const options: SMTPServerOptions & { [MAX_COMMANDS_OPTION]: number } = {
      [MAX_COMMANDS_OPTION]: this.opts.maxCommandsPerSession,
      maxCommandLength: this.opts.maxCommandLineBytes,
      secure,
      key: this.opts.tls.key,
      cert: this.opts.tls.cert,
      minVersion: 'TLSv1.2',
      name: this.opts.hostname,
      banner: 'kepd KEP submission service',
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: false,
      authOptional: false,
      size: this.opts.maxMessageBytes,
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: false,
      hideDSN: true,
      hideREQUIRETLS: true,
      socketTimeout: this.opts.socketTimeoutMs,
      logger: false,
      onConnect: (session, callback) => {
        const admitted = connections.admitAddress(session.remoteAddress);
        if (!admitted.admitted) {
          logger.warn({ client: session.remoteAddress, limit: admitted.limit }, 'smtp connection refused: too many from one address');
          return callback(smtpError(421, '4.7.0', `Too many connections from your address (at most ${admitted.limit}); try again later`));
        }
        this.hold(session, admitted.admission);
        callback();
      },
      onClose: (session) => this.release(session),
      onAuth: (auth, session, callback) => {
        if (!session.secure) return callback(smtpError(538, '5.7.11', 'Encryption required: use STARTTLS or port 465'));
        service.login(auth.username ?? '', auth.password ?? '', { protocol: 'smtp', address: session.remoteAddress }).then(
          (user) => {
            if (!user) return callback(smtpError(535, '5.7.8', 'Authentication credentials invalid'));
            const admitted = connections.admitAccount(user.accountId);
            if (!admitted.admitted) {
              logger.warn({ account: user.address, limit: admitted.limit }, 'smtp login refused: too many connections of one account');
              return callback(smtpError(454, '4.7.0', `Too many connections for this account (at most ${admitted.limit}); try again later`));
            }
            this.hold(session, admitted.admission);
            this.state(session).user = user;
            callback(null, { user: user.address });
          },
          (err: unknown) => callback(toSmtpError(err, logger)),
        );
      },
      onMailFrom: (address, session, callback) => {
        const st = this.state(session);
        st.recipients = [];
        if (!st.user) return callback(smtpError(530, '5.7.0', 'Authentication required'));
        service.checkMailFrom(st.user, address.address).then(
          () => callback(),
          (err: unknown) => callback(toSmtpError(err, logger)),
        );
      },
      onRcptTo: (address, session, callback) => {
        const st = this.state(session);
        if (!st.user) return callback(smtpError(530, '5.7.0', 'Authentication required'));
        service.checkRecipient(st.user, address.address, st.recipients.length, declaredSize(session)).then(
          (rcpt) => {
            if (!st.recipients.some((r) => r.address === rcpt.address)) st.recipients.push(rcpt);
            callback();
          },
          (err: unknown) => callback(toSmtpError(err, logger)),
        );
      },
      onData: (stream, session, callback) => {
        const st = this.state(session);
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '';
        if (!st.user) {
          stream.resume();
          return callback(smtpError(530, '5.7.0', 'Authentication required'));
        }
        service.submit(st.user, { mailFrom, recipients: st.recipients }, stream).then(
          (accepted) => callback(null, `2.0.0 Ok: queued as ${accepted.id}`),
          (err: unknown) => {
            // Drain what the client still sends so the reply lands after its final dot.
            stream.resume();
            callback(toSmtpError(err, logger));
          },
        );
      },
    };
    return options;
  }
}
