/** Opens the configuration and the store of a data directory for one CLI command. */
import { loadConfig, type KepdConfig } from '../config';
import { silentLogger } from '../log';
import { createStore } from '../store';
import type { MailStore } from '../store/types';

export async function withStore<T>(dataDir: string, fn: (store: MailStore, config: KepdConfig) => Promise<T>): Promise<T> {
  const config = loadConfig(dataDir);
  const store = await createStore(config, silentLogger);
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}
