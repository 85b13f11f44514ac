/**
 * Per-connection limits imap-core does not have: concurrent connections per client address
 * (refused before the greeting with BYE [UNAVAILABLE]) and per account (at login, NO
 * [UNAVAILABLE]); the length of a command line outside literals (imap-core buffers a line
 * without a limit); the bytes of one command, literals included (a command may carry any
 * number of literals); and commands per session. The last three end the connection with BYE.
 *
 * The connection object is reached through imap-core's public `connections` set and its
 * parser instance: `_parser.oncommand` sees every command part, `_parser._write` every chunk.
 */
import type { IMAPServer, ImapSession } from '@zone-eu/wildduck/imap-core';
import type { Logger } from '../log';
import type { Admission, AdmissionResult, ConnectionLimiter } from '../policy/connection-limits';

export interface SessionLimits {
  connections: ConnectionLimiter;
  /** Longest command line outside literals. */
  maxCommandLineBytes: number;
  /** Commands per session; 0 = no limit. */
  maxCommandsPerSession: number;
  /** APPEND may carry one message of up to this size on top of the line limit. */
  maxMessageBytes: number;
}

/** A command part as imap-core's parser emits it. */
interface CommandPart {
  value: string;
  final: boolean;
  expecting?: number;
}

type OnCommand = (command: CommandPart, callback?: (err?: Error | null, ...rest: unknown[]) => void) => void;
type WriteFn = (chunk: Buffer, encoding: BufferEncoding, done: (err?: Error | null) => void) => void;

interface CoreParser {
  _remainder: string;
  oncommand: OnCommand;
  _write: WriteFn;
}

interface CoreConnection {
  session: unknown;
  _parser: CoreParser | false;
  send(payload: string, callback?: () => void): void;
  close(force?: boolean): void;
}

const APPEND = /^\S+\s+APPEND\b/i;
/** imap-core's own literal limits: 1 KiB outside APPEND; for APPEND the message limit, at least 1 MiB. */
const CORE_LITERAL = 1024;
const CORE_MIN_MESSAGE = 1024 * 1024;

export class ImapSessionGuard {
  private readonly admissions = new Map<string, Admission[]>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly logger: Logger,
  ) {}

  /** Installs the connection hooks on one listener. */
  attach(server: IMAPServer): void {
    server.onConnect = (session, callback) => {
      const admitted = this.limits.connections.admitAddress(session.remoteAddress);
      if (!admitted.admitted) {
        this.logger.warn({ client: session.remoteAddress, limit: admitted.limit }, 'imap connection refused: too many from one address');
        return callback(new Error(`[UNAVAILABLE] Too many connections from your address (at most ${admitted.limit}); try again later`));
      }
      this.hold(session, admitted.admission);
      const connection = findConnection(server, session);
      if (connection && connection._parser) this.guardParser(connection, connection._parser);
      callback();
    };
    server.onClose = (session, callback) => {
      for (const admission of this.admissions.get(session.id) ?? []) admission.release();
      this.admissions.delete(session.id);
      callback();
    };
  }

  /** Counts a login of `accountId` on this session; the caller refuses the login when not admitted. */
  admitAccount(session: ImapSession, accountId: string): AdmissionResult {
    const admitted = this.limits.connections.admitAccount(accountId);
    if (admitted.admitted) this.hold(session, admitted.admission);
    return admitted;
  }

  private hold(session: ImapSession, admission: Admission): void {
    const held = this.admissions.get(session.id);
    if (held) held.push(admission);
    else this.admissions.set(session.id, [admission]);
  }

  private guardParser(connection: CoreConnection, parser: CoreParser): void {
    const { maxCommandLineBytes, maxCommandsPerSession, maxMessageBytes } = this.limits;
    let ended = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      parser._remainder = '';
      this.logger.info({ reason }, 'imap connection closed: limit reached');
      // Closed once the BYE is out (or soon anyway, if the client does not read); input is discarded meanwhile.
      const timer = setTimeout(() => connection.close(true), 1000);
      timer.unref();
      connection.send(`* BYE ${reason}`, () => {
        clearTimeout(timer);
        connection.close(true);
      });
    };

    const write = parser._write.bind(parser);
    parser._write = (chunk, encoding, done) => {
      if (ended) return done();
      write(chunk, encoding, (err) => {
        // A line without its CRLF yet is held in _remainder: that is what must stay bounded.
        if (parser._remainder.length > maxCommandLineBytes) end(`Command line too long (at most ${maxCommandLineBytes} bytes)`);
        done(err);
      });
    };

    const oncommand = parser.oncommand;
    const appendLiteral = Math.max(maxMessageBytes, CORE_MIN_MESSAGE);
    let commands = 0;
    let commandBytes = 0;
    let append = false;
    parser.oncommand = (command, callback) => {
      if (ended) return;
      if (commandBytes === 0) append = APPEND.test(command.value);
      const commandLimit = maxCommandLineBytes + (append ? appendLiteral : 0);
      // A literal imap-core refuses itself (NO [TOOBIG], nothing read) does not count.
      const literal = command.expecting ?? 0;
      commandBytes += command.value.length + (literal > (append ? appendLiteral : CORE_LITERAL) ? 0 : literal);
      if (command.value.length > maxCommandLineBytes) return end(`Command line too long (at most ${maxCommandLineBytes} bytes)`);
      if (commandBytes > commandLimit) return end('Command too long');
      if (command.final) {
        commandBytes = 0;
        if (maxCommandsPerSession > 0 && ++commands > maxCommandsPerSession) {
          return end(`Too many commands in this session (at most ${maxCommandsPerSession})`);
        }
      }
      // A part imap-core refuses ends that command: the next line starts a new one.
      oncommand(command, (err, ...rest) => {
        if (err) commandBytes = 0;
        callback?.(err, ...rest);
      });
    };
  }
}

function findConnection(server: IMAPServer, session: ImapSession): CoreConnection | undefined {
  for (const c of server.connections) {
    const connection = c as CoreConnection;
    if (connection.session === session) return connection;
  }
  return undefined;
}
