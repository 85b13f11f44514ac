/**
 * Parse results IMAP needs (part offsets, ENVELOPE, BODYSTRUCTURE, root header), computed from
 * the stored blob the first time any session needs them and cached in the message meta, so a
 * large message is scanned once, not per FETCH.
 */
import type { JsonObject, JsonValue, MailStore, MessageRecord } from '../store/types';
import { MimeScanner } from './mime/scanner';
import { buildStructure, classifyHeader } from './mime/structure';
import { decodeTree, encodeTree } from './mime/json-codec';
import type { PartMap } from './mime/part-map';

const META_KEY = 'imap';
const META_VERSION = 1;
/** Root headers up to this size are kept in the meta (listing fetches then skip the blob). */
const MAX_CACHED_HEADER = 64 * 1024;

export interface MessageMeta {
  parts: PartMap;
  bodystructure: unknown[];
  body: unknown[];
  envelope: unknown[];
  /** Root header block, exact bytes, when small enough to cache. */
  header?: Buffer;
  /** Date header value as written. */
  date?: string;
}

export class MessageMetaCache {
  private readonly inflight = new Map<string, Promise<MessageMeta>>();

  constructor(private readonly store: MailStore) {}

  async get(message: MessageRecord): Promise<MessageMeta> {
    const cached = readMeta(message.meta);
    if (cached) return cached;
    let pending = this.inflight.get(message.id);
    if (!pending) {
      pending = this.compute(message).finally(() => this.inflight.delete(message.id));
      this.inflight.set(message.id, pending);
    }
    return pending;
  }

  private async compute(message: MessageRecord): Promise<MessageMeta> {
    const scanner = new MimeScanner(classifyHeader);
    for await (const chunk of this.store.blobs.createReadStream(message.blobHash)) {
      scanner.push(chunk as Buffer);
    }
    const structure = buildStructure(scanner.end());
    const headerLength = structure.parts.bodyStart - structure.parts.headerStart;
    const header =
      headerLength <= MAX_CACHED_HEADER
        ? await this.store.blobs.read(message.blobHash, { start: structure.parts.headerStart, end: structure.parts.bodyStart })
        : undefined;
    const stored: JsonObject = {
      v: META_VERSION,
      parts: structure.parts as unknown as JsonValue,
      bodystructure: encodeTree(structure.bodystructure),
      body: encodeTree(structure.body),
      envelope: encodeTree(structure.envelope),
    };
    if (header) stored.header = header.toString('base64');
    if (structure.date) stored.date = structure.date;
    const meta: JsonObject = { ...(message.meta ?? {}), [META_KEY]: stored };
    await this.store.messages.setMeta(message.id, meta);
    message.meta = meta;
    return { ...structure, header };
  }
}

function readMeta(meta: JsonObject | undefined): MessageMeta | undefined {
  const raw = meta?.[META_KEY];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || raw.v !== META_VERSION) return undefined;
  if (!isPartMap(raw.parts)) return undefined;
  const out: MessageMeta = {
    parts: raw.parts,
    bodystructure: asArray(decodeTree(raw.bodystructure ?? null)),
    body: asArray(decodeTree(raw.body ?? null)),
    envelope: asArray(decodeTree(raw.envelope ?? null)),
  };
  if (typeof raw.header === 'string') out.header = Buffer.from(raw.header, 'base64');
  if (typeof raw.date === 'string') out.date = raw.date;
  return out;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isPartMap(value: unknown): value is PartMap {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.headerStart === 'number' &&
    typeof v.bodyStart === 'number' &&
    typeof v.bodyEnd === 'number' &&
    typeof v.lines === 'number' &&
    typeof v.contentType === 'string' &&
    (v.parts === undefined || (Array.isArray(v.parts) && v.parts.every(isPartMap))) &&
    (v.message === undefined || isPartMap(v.message))
  );
}
