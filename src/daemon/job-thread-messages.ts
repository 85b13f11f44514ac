/** What the main thread gives a job thread, and the messages between them. */
import type { KepdConfig } from '../config';
import type { MailboxChangeEvent } from '../store/types';

export interface JobThreadData {
  config: KepdConfig;
  /** The main thread's write gates (write-gate.ts). */
  writeGates?: Record<string, SharedArrayBuffer>;
  /** The process's lease identity (lease-owner.ts): leases of sibling threads are not abandoned. */
  leaseInstance?: string;
}

export type ToJobThread = { type: 'wake' } | { type: 'stop' };

export type FromJobThread = { type: 'mailbox-change'; event: MailboxChangeEvent };
