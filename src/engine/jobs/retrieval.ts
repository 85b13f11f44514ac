/**
 * Job `retrieval`: the recipient fetched body content of a dispatch for the first time; issue
 * the RetrievalNonRetrievalByRecipient/Retrieval evidence to the sender. The job's unique key
 * (`retrieval:<id>:<n>`) is what makes this once per recipient and message.
 */
import type { EntityDetails } from '../../evidence/model';
import type { ClaimedJob, JsonValue } from '../../store/types';
import { evidenceOps, issueEvidence } from '../issue';
import { loadAcceptance } from '../archived';
import type { Runtime } from '../runtime';
import { PermanentJobError } from './errors';
import { submissionEvidenceBase } from './evidence-base';

export const IMAP_AUTH_METHOD = 'urn:kepd:authentication:imap-password';

/** The operator who read for an entity recipient, as the evidence's delegate (with their certificate). */
async function readerDelegate(rt: Runtime, login: JsonValue | undefined): Promise<EntityDetails | undefined> {
  if (typeof login !== 'string' || !login) return undefined;
  const operator = await rt.store.operators.getByLogin(login);
  if (!operator) return { name: login };
  return { name: operator.name ? `${operator.name} (${operator.login})` : operator.login, certificateDer: operator.certificateDer };
}

export async function runRetrievalJob(rt: Runtime, job: ClaimedJob): Promise<void> {
  const id = String(job.payload.messageId ?? '');
  const index = Number(job.payload.recipientIndex);
  const at = new Date(String(job.payload.at));
  const submission = await rt.store.submissions.get(id);
  if (!submission) throw new PermanentJobError(`submission ${id} not found`);
  const acceptance = await loadAcceptance(rt, id);
  if (!acceptance) throw new PermanentJobError(`acceptance evidence of ${id} not found`);
  const delegate = await readerDelegate(rt, job.payload.operator);
  const ev = await issueEvidence(rt, {
    ...submissionEvidenceBase(submission, acceptance.data),
    type: 'RetrievalNonRetrievalByRecipient',
    event: 'Retrieval',
    recipientAuthentication: { time: at, method: IMAP_AUTH_METHOD },
    eventTime: at,
    refersToRecipient: index,
    ...(delegate ? { recipientsDelegates: [{ delegate, recipients: [index] }] } : {}),
  });
  await rt.store.commit([
    ...evidenceOps(ev, { messageId: id, accountId: submission.accountId, uniqueKey: `retrieval:${id}:${index}` }),
    { op: 'completeJob', job },
  ]);
  rt.logger.info({ messageId: id, recipientIndex: index }, 'retrieval evidence issued');
}
