import type { JobHandler } from '../worker';
import type { Runtime } from '../runtime';
import { runDispatchJob } from './dispatch';
import { runReceiptJob } from './receipt';
import { runRejectionJob } from './rejection';
import { runRetrievalJob } from './retrieval';

export function createJobHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    dispatch: (job) => runDispatchJob(rt, job),
    receipt: (job) => runReceiptJob(rt, job),
    retrieval: (job) => runRetrievalJob(rt, job),
    rejection: (job) => runRejectionJob(rt, job),
  };
}
