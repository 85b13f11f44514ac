import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { createStore, openEmbeddedStore, SchemaTooNew, StoreBackendUnavailable } from '../../src/store';
import { SqliteDb } from '../../src/store/embedded/database';
import { SCHEMA_VERSION } from '../../src/store/embedded/migrations';
import { createAccount, putSample, newMessage, tempDataDir } from '../support/store-fixtures';

describe('opening the store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDataDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('createStore opens the embedded backend from the config; data survives reopening', async () => {
    const config = { ...defaultConfig(dir), domain: 'kep.test' };
    const store = await createStore(config);
    const account = await createAccount(store);
    const blob = await putSample(store);
    await store.commit([{ op: 'appendMessage', message: newMessage(account.id, blob) }]);
    await store.close();

    const again = await createStore(config);
    try {
      expect(await again.accounts.getById(account.id)).toEqual(account);
      expect(await again.accounts.usage(account.id)).toBe(blob.size);
      expect((await again.integrityCheck()).ok).toBe(true);
    } finally {
      await again.close();
    }
  });

  it('refuses the mongodb backend with a typed configuration error', async () => {
    const config = defaultConfig(dir);
    config.store.backend = 'mongodb';
    const attempt = createStore(config);
    await expect(attempt).rejects.toBeInstanceOf(StoreBackendUnavailable);
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/mongodb.*not available in this build/);
  });

  it('uses WAL with synchronous=FULL and records the schema version', async () => {
    const store = await openEmbeddedStore({ dataDir: dir });
    await store.close();
    const raw = new Database(join(dir, 'db', 'kepd.sqlite'));
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      // every migration applied once, in order, up to the newest
      const versions = Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 }));
      expect(raw.prepare('SELECT version FROM schema_version ORDER BY version').all()).toEqual(versions);
    } finally {
      raw.close();
    }
    // synchronous and foreign_keys are per connection: check the connection class the store uses.
    const conn = new SqliteDb({ file: join(dir, 'db', 'kepd.sqlite') });
    try {
      expect(conn.raw.pragma('synchronous', { simple: true })).toBe(2);
      expect(conn.raw.pragma('foreign_keys', { simple: true })).toBe(1);
      // statement journals (a savepoint per group-commit request) in memory, not a temp file
      expect(conn.raw.pragma('temp_store', { simple: true })).toBe(2);
      expect(conn.raw.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    } finally {
      conn.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const store = await openEmbeddedStore({ dataDir: dir });
    await store.close();
    const raw = new Database(join(dir, 'db', 'kepd.sqlite'));
    raw.prepare('INSERT INTO schema_version (version, applied_at) VALUES (99, 0)').run();
    raw.close();
    await expect(openEmbeddedStore({ dataDir: dir })).rejects.toBeInstanceOf(SchemaTooNew);
  });
});
