/** The fields every later evidence about a submission repeats from its acceptance. */
import type { EvidenceData } from '../../evidence/model';
import type { SubmissionRecord } from '../../store/types';
import type { EvidenceDraft } from '../issue';

export function submissionEvidenceBase(
  submission: SubmissionRecord,
  acceptance: EvidenceData,
): Pick<EvidenceDraft, 'submissionTime' | 'sender' | 'recipients' | 'message' | 'extension' | 'senderAuthentication'> {
  return {
    senderAuthentication: acceptance.senderAuthentication,
    submissionTime: submission.submittedAt,
    sender: acceptance.sender,
    recipients: acceptance.recipients,
    message: acceptance.message,
    extension: acceptance.extension,
  };
}
