/** Messages between the main thread and a job thread. */
import type { MailboxChangeEvent } from '../store/types';

export type ToJobThread = { type: 'wake' } | { type: 'stop' };

export type FromJobThread = { type: 'mailbox-change'; event: MailboxChangeEvent };
