/** Evidence drafts as JSON job payloads (the codec of src/evidence/json.ts). */
import { fromJsonValue, toJsonValue } from '../evidence/json';
import type { JsonObject, JsonValue } from '../store/types';
import type { EvidenceDraft } from './issue';

export function draftToJson(draft: EvidenceDraft): JsonObject {
  return toJsonValue(draft) as JsonObject;
}

export function draftFromJson(json: JsonValue): EvidenceDraft {
  return fromJsonValue(json) as EvidenceDraft;
}
