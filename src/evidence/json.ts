/**
 * EvidenceData (and drafts of it) as plain JSON: Buffers as {$b64}, Dates as {$date}. Used for
 * job payloads and for the rendering source kept beside the signed XML.
 */
import type { JsonObject, JsonValue } from '../store/types';
import type { EvidenceData } from './model';

export function toJsonValue(v: unknown): JsonValue {
  if (v === undefined || v === null) return null;
  if (Buffer.isBuffer(v)) return { $b64: v.toString('base64') };
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === 'object') {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = toJsonValue(x);
    return out;
  }
  return v as JsonValue;
}

export function fromJsonValue(v: JsonValue): unknown {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.map(fromJsonValue);
  if (typeof v === 'object') {
    if (typeof v.$b64 === 'string') return Buffer.from(v.$b64, 'base64');
    if (typeof v.$date === 'string') return new Date(v.$date);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const d = fromJsonValue(x);
      if (d !== undefined) out[k] = d;
    }
    return out;
  }
  return v;
}

export function evidenceToJson(data: EvidenceData): JsonObject {
  return toJsonValue(data) as JsonObject;
}

export function evidenceFromJson(json: JsonObject): EvidenceData {
  return fromJsonValue(json) as EvidenceData;
}
