/**
 * Evidence identifiers: `ev-` + a 26-character time-sortable id (src/common/ulid), so ids sort
 * by creation time and are valid NCNames.
 */
import { newSortableId } from '../common/ulid';

/** `id` is the root @Id (NCName); `identifier` is the globally unique EvidenceIdentifier. */
export function newEvidenceId(domain: string, now: number = Date.now()): { id: string; identifier: string } {
  const id = 'ev-' + newSortableId(now);
  return { id, identifier: `${id}@${domain}` };
}
