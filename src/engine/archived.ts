/**
 * Reading evidence back from the archive for renderings: the JSON kept beside the signed XML
 * when there is one, else the XML parsed (older records).
 */
import { parseEvidenceXml } from '../evidence';
import { evidenceFromJson } from '../evidence/json';
import type { EvidenceData } from '../evidence/model';
import type { EvidenceRecord } from '../store/types';
import type { Runtime } from './runtime';

export interface ArchivedEvidence {
  record: EvidenceRecord;
  xml: Buffer;
  data: EvidenceData;
}

export async function loadEvidence(rt: Runtime, id: string): Promise<ArchivedEvidence | undefined> {
  const found = await rt.store.evidence.get(id);
  if (!found) return undefined;
  return { record: found.record, xml: found.xml, data: found.data ? evidenceFromJson(found.data) : parseEvidenceXml(found.xml) };
}

/** The acceptance evidence of a submission (its unique key is `acceptance:<id>`). */
export async function loadAcceptance(rt: Runtime, messageId: string): Promise<ArchivedEvidence | undefined> {
  const record = await rt.store.evidence.getByKey(`acceptance:${messageId}`);
  return record ? loadEvidence(rt, record.id) : undefined;
}
