/**
 * Makes committed transactions durable by fsyncing SQLite's write-ahead log from the libuv
 * thread pool, so the event loop keeps running while the disk works.
 *
 * Why this is as safe as `synchronous=FULL`: the connection runs with `synchronous=NORMAL`,
 * where a COMMIT appends its frames to the WAL without fsync and SQLite itself syncs only
 * around checkpoints (WAL before copying frames into the database, the database before the WAL
 * may be restarted). After our fsync of the WAL file, every frame committed before it is on
 * stable storage, and recovery replays the WAL up to its last valid commit frame. Frames a
 * checkpoint has copied are durable in the database file by then, so a WAL restart in between
 * loses nothing. The store resolves a write only after this fsync (group-commit.ts).
 *
 * The WAL file is the one SQLite keeps open beside the database for as long as any connection
 * is open; should it ever be replaced (a new inode), the new one is opened and its directory
 * entry fsynced before it counts.
 */
import { promises as fs, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, isErrno } from './files';

export interface WalSyncer {
  /** Resolves when everything committed before the call is on stable storage. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export class WalFileSyncer implements WalSyncer {
  private handle?: fs.FileHandle;
  private ino?: number;
  /** fsync calls made (for the benchmark and tests). */
  syncs = 0;

  constructor(private readonly walPath: string) {}

  async sync(): Promise<void> {
    let ino: number;
    try {
      // Synchronous: a local stat costs microseconds, a trip through the thread pool far more.
      ino = statSync(this.walPath).ino;
    } catch (err) {
      // No WAL: SQLite removes it only after checkpointing every frame into the synced database.
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    if (!this.handle || ino !== this.ino) await this.reopen();
    this.syncs += 1;
    await this.handle!.sync();
  }

  private async reopen(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    // Replaced again between stat and open: this opens the newer one, the one in use.
    const handle = await fs.open(this.walPath, 'r');
    this.ino = (await handle.stat()).ino;
    this.handle = handle;
    await fsyncDir(dirname(this.walPath));
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
