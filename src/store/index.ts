/**
 * The store: the `MailStore` contract and the factory that opens the configured backend.
 * Only this module touches the database and the message/evidence files.
 */
import type { KepdConfig } from '../config/schema';
import type { Logger } from '../log';
import type { MailStore } from './types';
import { StoreBackendUnavailable } from './errors';
import { openEmbeddedStore, type EmbeddedStoreOptions } from './embedded/open';

export * from './types';
export * from './errors';
export { openEmbeddedStore } from './embedded/open';
export type { CheckpointMode, EmbeddedStoreOptions } from './embedded/open';
export { MAILBOX_DELIMITER } from './embedded/mailbox-paths';
/** For the daemon's worker threads: the same database, the same write gate (write-gate.ts). */
export { adoptWriteGates, exportWriteGates } from './embedded/write-gate';
/** For the daemon's worker threads: the process's lease identity (lease-owner.ts). */
export { adoptLeaseInstance, leaseInstance } from './embedded/lease-owner';

/** What differs between the store connections of one daemon's threads (open.ts says what each means). */
export type StoreThreadOptions = Pick<EmbeddedStoreOptions, 'checkpoints' | 'yieldWritesAfterMs'>;

/** Opens the backend named by `store.backend`. */
export async function createStore(config: KepdConfig, logger?: Logger, options: StoreThreadOptions = {}): Promise<MailStore> {
  switch (config.store.backend) {
    case 'embedded':
      return openEmbeddedStore({ ...options, dataDir: config.data_dir, logger, inlineBlobBytes: config.store.inline_blob_bytes });
    case 'mongodb':
      throw new StoreBackendUnavailable('mongodb');
    default:
      throw new StoreBackendUnavailable(String(config.store.backend));
  }
}
