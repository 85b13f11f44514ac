/**
 * The parts of WildDuck's imap-core (package `@zone-eu/wildduck`, untyped) that src/imap uses.
 * Shapes follow imap-core/lib/imap-server.js, imap-connection.js, commands/*.js and indexer/*.js.
 */

declare module '@zone-eu/wildduck/imap-core' {
  import type { EventEmitter } from 'node:events';
  import type { Readable, Writable } from 'node:stream';
  import type { Socket } from 'node:net';

  /** Logger shape imap-core calls (bunyan-like: optional fields object first). */
  export interface ImapCoreLogger {
    trace(...args: unknown[]): void;
    debug(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
    fatal(...args: unknown[]): void;
  }

  /** The authenticated user attached to a session (`session.user`). */
  export interface ImapUser {
    id: string;
    username: string;
    /** kepd: login of the authorised operator acting for the (entity) account `id`. */
    operator?: string;
  }

  /** One entry of a FETCH query as fetch.js builds it. */
  export interface FetchQueryItem {
    /** Lower-case item name: uid, flags, body, bodystructure, envelope, rfc822, rfc822.size, ... */
    item: string;
    /** Compiled original text of the item, e.g. `BODY.PEEK[HEADER]`. */
    query: string;
    /** The parsed attribute, echoed back as the response key. */
    original: unknown;
    /** Section path, e.g. '' or '1.2'. Present only for BODY[...] items. */
    path?: string;
    /** Section type: content, header, header.fields, header.fields.not, text, mime. */
    type?: string;
    /** Lower-case header names for HEADER.FIELDS(.NOT). */
    headers?: string[];
    partial?: { startFrom: number; maxLength: number };
    isLiteral?: boolean;
  }

  export interface FetchOptions {
    bodystructureExist: boolean;
    rfc822sizeExist: boolean;
    envelopeExist: boolean;
    flagsExist: boolean;
    idateExist: boolean;
    metadataOnly: boolean;
    markAsSeen: boolean;
    /** UIDs of the requested messages. */
    messages: number[];
    query: FetchQueryItem[];
    changedSince: number;
    isUid: boolean;
  }

  /** Parsed SEARCH term (commands/search.js parseQueryTerms). */
  export interface SearchTerm {
    key: string;
    value?: unknown;
    header?: string;
    operator?: string;
    exists?: boolean;
  }

  export interface SearchOptions {
    query: SearchTerm[];
    terms: string[];
    isUid: boolean;
  }

  export interface StoreOptions {
    value: string[];
    action: 'set' | 'add' | 'remove';
    type: string;
    silent: boolean;
    messages: number[];
    unchangedSince: number;
    isUid?: boolean;
  }

  export interface ExpungeOptions {
    isUid: boolean;
    messages?: number[];
    silent?: boolean;
  }

  export interface CopyOptions {
    destination: string;
    messages: number[];
  }

  export interface SelectedState {
    modifyIndex: number;
    uidList: number[];
    notifications: unknown[];
    condstoreEnabled: boolean;
    readOnly: boolean;
    mailbox: string;
    path: string;
  }

  /** A response object for the composer (imap-handler compiler input). */
  export interface ResponseObject {
    tag: string;
    command: string;
    attributes?: unknown;
  }

  export interface FetchResponseData {
    query?: FetchQueryItem[];
    values?: unknown[];
    uid?: number | false;
    flags?: string[];
    modseq?: number | false;
  }

  export interface ImapSession {
    id: string;
    user?: ImapUser;
    selected: SelectedState | false;
    remoteAddress: string;
    clientHostname: string;
    writeStream: Writable;
    socket: Socket;
    formatResponse(command: 'FETCH' | 'EXISTS' | 'EXPUNGE', uid: number, data?: FetchResponseData): ResponseObject | false;
    isUTF8Enabled(): boolean;
  }

  export interface AuthRequest {
    method: 'LOGIN' | 'PLAIN';
    username: string;
    password: string;
  }

  export type Cb<A extends unknown[]> = (err: Error | null, ...rest: A) => void;

  export interface ListedFolder {
    path: string;
    specialUse?: string;
  }

  export interface OpenedMailbox {
    _id: string;
    uidValidity: number;
    uidNext: number;
    modifyIndex: number;
    uidList: number[];
    flags?: string[];
  }

  export interface MailboxStatus {
    messages: number;
    uidNext: number;
    uidValidity: number;
    unseen: number;
    highestModseq: number;
  }

  export interface QuotaInfo {
    root: string;
    quota: number;
    storageUsed: number;
  }

  export interface CopyInfo {
    uidValidity: number;
    sourceUid: number[];
    destinationUid: number[];
  }

  /** A notification entry as imap-connection.js consumes it. */
  export interface NotificationEntry {
    _id: string;
    command: 'EXISTS' | 'EXPUNGE' | 'FETCH';
    uid: number;
    modseq: number;
    flags?: string[];
    message?: string;
    /** Session id that must not be told (it already answered the change itself). */
    ignore?: string;
  }

  /** What imap-core hands to listeners: nothing (check journal) or a global trigger. */
  export type NotifierMessage = { command: 'LOGOUT'; reason?: string } | { command: 'DROP'; mailbox: string } | undefined;

  export interface ImapNotifierApi {
    addListener(session: ImapSession, handler: (message?: NotifierMessage) => void): void;
    removeListener(session: ImapSession, handler: (message?: NotifierMessage) => void): void;
    getUpdates(mailbox: string, modseq: number, callback: Cb<[NotificationEntry[]?]>): void;
  }

  export interface IMAPServerOptions {
    secure?: boolean;
    needsUpgrade?: boolean;
    /** Called as (options, callback) with { servername, meta }; an undefined context means the default one. */
    SNICallback?: (opts: unknown, cb: (err: Error | null, context?: unknown) => void) => void;
    key?: Buffer | string;
    cert?: Buffer | string;
    ca?: Buffer | string | Array<Buffer | string>;
    minVersion?: string;
    logger?: ImapCoreLogger | false;
    maxMessage?: number;
    socketTimeout?: number;
    idleTimeout?: number;
    closeTimeout?: number;
    skipFetchLog?: boolean;
    enableCompression?: boolean;
    disableSTARTTLS?: boolean;
    ignoreSTARTTLS?: boolean;
    useProxy?: boolean;
    /** Passed to net.createServer with the rest of the options. */
    noDelay?: boolean;
    id?: { name?: string; version?: string; vendor?: string };
    name?: string;
  }

  export class IMAPServer extends EventEmitter {
    constructor(options: IMAPServerOptions);
    server: import('node:net').Server;
    connections: Set<unknown>;
    notifier: ImapNotifierApi;
    /** Before the greeting; an error is answered with `* BYE <message>` and the connection closed. */
    onConnect?: (session: ImapSession, callback: (err?: Error | null) => void) => void;
    /** After the connection closed; imap-core finishes its cleanup once `callback` is called. */
    onClose?: (session: ImapSession, callback: () => void) => void;
    onAuth?: (login: AuthRequest, session: ImapSession, callback: Cb<[{ user: ImapUser }?]>) => void;
    onList?: (query: string, session: ImapSession, callback: Cb<[ListedFolder[]?]>) => void;
    onLsub?: (query: string, session: ImapSession, callback: Cb<[ListedFolder[]?]>) => void;
    onSubscribe?: (path: string, session: ImapSession, callback: Cb<[(true | string)?]>) => void;
    onUnsubscribe?: (path: string, session: ImapSession, callback: Cb<[(true | string)?]>) => void;
    onCreate?: (path: string, session: ImapSession, callback: Cb<[(true | string)?, string?]>) => void;
    onRename?: (path: string, newPath: string, session: ImapSession, callback: Cb<[(true | string)?, string?]>) => void;
    onDelete?: (path: string, session: ImapSession, callback: Cb<[(true | string)?, string?]>) => void;
    onOpen?: (path: string, session: ImapSession, callback: Cb<[(OpenedMailbox | string)?]>) => void;
    onStatus?: (path: string, session: ImapSession, callback: Cb<[(MailboxStatus | string)?]>) => void;
    onAppend?: (
      path: string,
      flags: string[],
      internalDate: string | false,
      raw: Buffer,
      session: ImapSession,
      callback: Cb<[(true | string)?, { uidValidity: number; uid: number }?]>,
    ) => void;
    onStore?: (mailbox: string, update: StoreOptions, session: ImapSession, callback: Cb<[(true | string)?, number[]?]>) => void;
    onExpunge?: (mailbox: string, update: ExpungeOptions, session: ImapSession, callback: Cb<[(true | string)?]>) => void;
    onCopy?: (connection: unknown, mailbox: string, update: CopyOptions, session: ImapSession, callback: Cb<[(true | string)?, CopyInfo?]>) => void;
    onMove?: (mailbox: string, update: CopyOptions, session: ImapSession, callback: Cb<[(true | string)?, CopyInfo?]>) => void;
    onFetch?: (mailbox: string, options: FetchOptions, session: ImapSession, callback: Cb<[(true | string)?, Record<string, unknown>?]>) => void;
    onSearch?: (
      mailbox: string,
      options: SearchOptions,
      session: ImapSession,
      callback: Cb<[{ uidList: number[] | string; highestModseq?: number }?]>,
    ) => void;
    onGetQuotaRoot?: (path: string, session: ImapSession, callback: Cb<[(QuotaInfo | string)?]>) => void;
    onGetQuota?: (root: string, session: ImapSession, callback: Cb<[(QuotaInfo | string)?]>) => void;
    listen(port: number, host: string, callback?: () => void): void;
    close(callback: () => void): void;
  }

  export const imapHandler: {
    /** Streams a response object, piping literal streams (`{ type: 'LITERAL', value: Readable }`). */
    compileStream(response: ResponseObject): Readable;
    /** Compiles a response object into a 'binary' string. */
    compiler(response: ResponseObject, asArray?: boolean, isLogging?: boolean): string;
  };
}

declare module '@zone-eu/wildduck/imap-core/lib/indexer/parse-mime-tree' {
  function parse(rfc822: string | Buffer): unknown;
  namespace parse {
    /** A MIME node as imap-core's parser fills it; only the header handling is used here. */
    interface MimeParserNode {
      header: string[];
      parsedHeader: Record<string, unknown>;
      multipart?: string | false;
      boundary?: string | false;
    }

    class MIMEParser {
      constructor(rfc822: string | Buffer);
      _node: MimeParserNode;
      /** Unfolds `_node.header` and fills `_node.parsedHeader`. */
      processNodeHeader(): void;
      /** Sets `_node.multipart` and `_node.boundary` from the parsed Content-Type. */
      processContentType(): void;
    }
  }
  export = parse;
}

declare module '@zone-eu/wildduck/imap-core/lib/indexer/body-structure' {
  class BodyStructure {
    constructor(tree: BodyStructure.StructureNode, options: { upperCaseKeys?: boolean; skipContentLocation?: boolean; body?: boolean });
    create(): unknown[];
  }
  namespace BodyStructure {
    /** A tree node in the shape imap-core's BodyStructure reads. */
    interface StructureNode {
      parsedHeader: Record<string, unknown>;
      header: string[];
      multipart?: string | false;
      boundary?: string | false;
      size: number;
      lineCount: number;
      childNodes?: StructureNode[];
      message?: StructureNode;
    }
  }
  export = BodyStructure;
}

declare module '@zone-eu/wildduck/imap-core/lib/indexer/create-envelope' {
  function createEnvelope(parsedHeader: Record<string, unknown>): unknown[];
  export = createEnvelope;
}

declare module '@zone-eu/wildduck/lib/errors' {
  /** Replaces WildDuck's process-wide error sink (by default: console.error of every protocol error). */
  export function setGelf(handler: { emit(channel: string, message: Record<string, unknown>): void }): void;
}
