/**
 * The SQLite connection's settings (src/store/embedded/database.ts): database pages are read
 * with read(), not through a memory map, and a connection still sees every commit another
 * connection makes, including ones the WAL checkpoint has already copied into the file.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SqliteDb } from '../../src/store/embedded/database';
import { tempDataDir } from '../support/store-fixtures';

describe('SQLite connection', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDataDir();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the database file without a memory map and sees the commits of another connection', () => {
    const file = join(dir, 'x.sqlite');
    const writer = new SqliteDb({ file });
    const reader = new SqliteDb({ file });
    try {
      expect(reader.raw.pragma('mmap_size', { simple: true })).toBe(0);
      writer.raw.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)');
      const insert = writer.raw.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
      const sum = reader.raw.prepare('SELECT count(*) AS n, sum(length(v)) AS bytes FROM t');
      for (let round = 1; round <= 5; round++) {
        writer.raw.transaction(() => {
          for (let i = 0; i < 200; i++) insert.run(round * 1000 + i, Buffer.alloc(3000, round));
        })();
        // Every other round, the frames go into the database file itself before the read.
        if (round % 2 === 0) writer.raw.pragma('wal_checkpoint(TRUNCATE)');
        expect(sum.get()).toEqual({ n: round * 200, bytes: round * 200 * 3000 });
        const last = reader.raw.prepare('SELECT v FROM t WHERE k = ?').get(round * 1000 + 199) as { v: Buffer };
        expect(last.v.equals(Buffer.alloc(3000, round))).toBe(true);
      }
    } finally {
      reader.raw.close();
      writer.raw.close();
    }
  });
});
