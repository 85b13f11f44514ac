/** Evidence drafts as JSON job payloads (Buffers as base64, Dates as ISO strings) and back. */
import type { JsonObject, JsonValue } from '../store/types';
import type { EvidenceDraft } from './issue';

function encode(v: unknown): JsonValue {
  if (v === undefined || v === null) return null;
  if (Buffer.isBuffer(v)) return { $b64: v.toString('base64') };
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map(encode);
  if (typeof v === 'object') {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = encode(x);
    return out;
  }
  return v as JsonValue;
}

function decode(v: JsonValue): unknown {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.map(decode);
  if (typeof v === 'object') {
    if (typeof v.$b64 === 'string') return Buffer.from(v.$b64, 'base64');
    if (typeof v.$date === 'string') return new Date(v.$date);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decode(x);
    return out;
  }
  return v;
}

export function draftToJson(draft: EvidenceDraft): JsonObject {
  return encode(draft) as JsonObject;
}

export function draftFromJson(json: JsonValue): EvidenceDraft {
  return decode(json) as EvidenceDraft;
}
