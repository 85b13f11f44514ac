/** Job `rejection`: a rejection evidence that could not be time-stamped at once, issued later. */
import type { ClaimedJob } from '../../store/types';
import { draftFromJson } from '../draft-json';
import { evidenceOps, issueEvidence } from '../issue';
import type { Runtime } from '../runtime';

export async function runRejectionJob(rt: Runtime, job: ClaimedJob): Promise<void> {
  const draft = draftFromJson(job.payload.draft ?? null);
  const messageId = typeof job.payload.messageId === 'string' ? job.payload.messageId : undefined;
  const accountId = typeof job.payload.accountId === 'string' ? job.payload.accountId : undefined;
  const ev = await issueEvidence(rt, draft);
  await rt.store.commit([...evidenceOps(ev, { messageId, accountId, uniqueKey: `rejection:${job.id}` }), { op: 'completeJob', job }]);
}
