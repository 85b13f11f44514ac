/**
 * Schema versions. Each migration runs once, in order, inside the same write transaction as
 * its `schema_version` row, so a crash mid-migration leaves the previous version intact.
 * Migrations only ever move forward; never edit one that has shipped — add the next.
 */
import { SchemaTooNew } from '../errors';
import type { SqliteDb } from './database';
import { importArchiveFiles } from './evidence-import';

/** What a migration step may need besides the database. */
export interface MigrationEnv {
  /** The evidence archive directory (evidence files of schema versions before 4). */
  archiveDir: string;
}

/** SQL, or code for what SQL cannot do (reading files); steps run in order, in one transaction. */
type MigrationStep = string | ((db: SqliteDb, env: MigrationEnv) => void);

interface Migration {
  version: number;
  steps: MigrationStep[];
}

const V1 = `
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;

CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  address       TEXT NOT NULL UNIQUE,
  type          TEXT NOT NULL CHECK (type IN ('person', 'entity')),
  national_id   TEXT,
  display_name  TEXT,
  password_hash TEXT NOT NULL,
  receive_only  INTEGER NOT NULL,
  quota_bytes   INTEGER NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'active', 'closed')),
  created_at    INTEGER NOT NULL,
  used_bytes    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Every address ever given out: a closed account's address is never issued again.
CREATE TABLE issued_addresses (
  address    TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  issued_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE mailboxes (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id),
  path         TEXT NOT NULL,
  special_use  TEXT,
  subscribed   INTEGER NOT NULL DEFAULT 1,
  uid_validity INTEGER NOT NULL,
  uid_next     INTEGER NOT NULL DEFAULT 1,
  modify_index INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  UNIQUE (account_id, path)
) STRICT;

-- Registered blob files. A row is written before its file is linked into place, so a blob
-- file without a row is never the store's own; touched_at protects in-flight blobs from the sweep.
CREATE TABLE blobs (
  hash       TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  touched_at INTEGER NOT NULL
) STRICT;

CREATE TABLE messages (
  id                  TEXT PRIMARY KEY,
  mailbox_id          TEXT NOT NULL REFERENCES mailboxes(id),
  account_id          TEXT NOT NULL REFERENCES accounts(id),
  uid                 INTEGER NOT NULL,
  modseq              INTEGER NOT NULL,
  flags               TEXT NOT NULL,
  -- flags is a JSON array of canonical spellings; EXPUNGE selects on this.
  deleted             INTEGER GENERATED ALWAYS AS (instr(flags, '"\\\\Deleted"') > 0) VIRTUAL,
  internal_date       INTEGER NOT NULL,
  size                INTEGER NOT NULL,
  blob_hash           TEXT NOT NULL REFERENCES blobs(hash),
  kind                TEXT NOT NULL CHECK (kind IN ('dispatch', 'receipt', 'sent', 'appended')),
  provider_message_id TEXT,
  recipient_index     INTEGER,
  evidence_id         TEXT,
  meta                TEXT,
  created_at          INTEGER NOT NULL,
  UNIQUE (mailbox_id, uid)
) STRICT;
CREATE INDEX messages_blob ON messages(blob_hash);
CREATE INDEX messages_account ON messages(account_id);
CREATE INDEX messages_provider ON messages(provider_message_id) WHERE provider_message_id IS NOT NULL;

-- Quota usage is maintained by the database itself, so no code path can forget it.
CREATE TRIGGER messages_usage_insert AFTER INSERT ON messages BEGIN
  UPDATE accounts SET used_bytes = used_bytes + NEW.size WHERE id = NEW.account_id;
END;
CREATE TRIGGER messages_usage_delete AFTER DELETE ON messages BEGIN
  UPDATE accounts SET used_bytes = used_bytes - OLD.size WHERE id = OLD.account_id;
END;
CREATE TRIGGER messages_usage_update AFTER UPDATE OF size, account_id ON messages BEGIN
  UPDATE accounts SET used_bytes = used_bytes - OLD.size WHERE id = OLD.account_id;
  UPDATE accounts SET used_bytes = used_bytes + NEW.size WHERE id = NEW.account_id;
END;

-- Append idempotency keys outlive the message (a replayed delivery must not redeliver).
CREATE TABLE message_keys (
  key        TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  record     TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE journal (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id),
  modseq     INTEGER NOT NULL,
  command    TEXT NOT NULL CHECK (command IN ('EXISTS', 'EXPUNGE', 'FETCH')),
  uid        INTEGER NOT NULL,
  message_id TEXT,
  flags      TEXT
) STRICT;
CREATE INDEX journal_mailbox ON journal(mailbox_id, modseq);

CREATE TABLE submissions (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts(id),
  sender         TEXT NOT NULL,
  operator       TEXT,
  recipients     TEXT NOT NULL,
  blob_hash      TEXT NOT NULL REFERENCES blobs(hash),
  blob_size      INTEGER NOT NULL,
  subject        TEXT NOT NULL,
  ua_message_id  TEXT,
  ileti_tip      TEXT NOT NULL,
  ileti_id       TEXT,
  submitted_at   INTEGER NOT NULL,
  signer_cert    BLOB,
  created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX submissions_account ON submissions(account_id, submitted_at);
CREATE INDEX submissions_blob ON submissions(blob_hash);

CREATE TABLE evidence (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT NOT NULL UNIQUE,
  unique_key      TEXT UNIQUE,
  type            TEXT NOT NULL,
  event           TEXT NOT NULL,
  message_id      TEXT,
  recipient_index INTEGER,
  reason_code     INTEGER,
  account_id      TEXT,
  event_time      INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  xml_hash        TEXT NOT NULL,
  xml_size        INTEGER NOT NULL,
  file            TEXT NOT NULL
) STRICT;
CREATE INDEX evidence_message ON evidence(message_id);
CREATE INDEX evidence_account ON evidence(account_id);
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence BEGIN
  SELECT RAISE(ABORT, 'evidence is append-only');
END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence BEGIN
  SELECT RAISE(ABORT, 'evidence is append-only');
END;

CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  payload     TEXT NOT NULL,
  unique_key  TEXT UNIQUE,
  state       TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done')),
  run_at      INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT,
  lease_until INTEGER,
  last_error  TEXT,
  created_at  INTEGER NOT NULL,
  done_at     INTEGER
) STRICT;
CREATE INDEX jobs_pending ON jobs(run_at) WHERE state = 'pending';
CREATE INDEX jobs_running ON jobs(lease_until) WHERE state = 'running';
`;

/**
 * Accounts as KEP defines them (kep-rem.md §8.2–8.3): lifecycle times, directory fields,
 * authorised operators of legal entities, and an append-only history of every transition.
 */
const V2 = `
ALTER TABLE accounts ADD COLUMN closed_at INTEGER;
-- Shown in the KEP directory: legal entities always, persons only when they opt in.
ALTER TABLE accounts ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN mersis TEXT;
UPDATE accounts SET listed = 1 WHERE type = 'entity';
CREATE INDEX accounts_mersis ON accounts(mersis) WHERE mersis IS NOT NULL;

-- Authorised operators (işlem yetkilisi) of entity accounts. A login is never given out again,
-- even after removal: evidence names operators by login.
CREATE TABLE operators (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  login         TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  certificate   BLOB NOT NULL,
  national_id   TEXT,
  name          TEXT,
  added_at      INTEGER NOT NULL,
  removed_at    INTEGER
) STRICT;
CREATE INDEX operators_account ON operators(account_id);

-- Who changed what and when, for every account: append-only, like the evidence index.
CREATE TABLE account_events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  kind       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  at         INTEGER NOT NULL,
  details    TEXT,
  document   BLOB,
  document_sha256 TEXT
) STRICT;
CREATE INDEX account_events_account ON account_events(account_id, seq);
CREATE TRIGGER account_events_no_update BEFORE UPDATE ON account_events BEGIN
  SELECT RAISE(ABORT, 'account history is append-only');
END;
CREATE TRIGGER account_events_no_delete BEFORE DELETE ON account_events BEGIN
  SELECT RAISE(ABORT, 'account history is append-only');
END;
INSERT INTO account_events (account_id, kind, actor, at, details)
  SELECT id, 'created', 'schema-migration', created_at, json_object('state', state) FROM accounts ORDER BY created_at;
`;

/** The login audit trail: every SMTP/IMAP login attempt, append-only like the evidence index. */
const V3 = `
CREATE TABLE login_audit (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  protocol   TEXT NOT NULL,
  client     TEXT NOT NULL,
  username   TEXT NOT NULL,
  account_id TEXT,
  outcome    TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'refused', 'lockout')),
  detail     TEXT
) STRICT;
CREATE INDEX login_audit_username ON login_audit(username, seq);
CREATE INDEX login_audit_client ON login_audit(client, seq);
CREATE TRIGGER login_audit_no_update BEFORE UPDATE ON login_audit BEGIN
  SELECT RAISE(ABORT, 'the login audit trail is append-only');
END;
CREATE TRIGGER login_audit_no_delete BEFORE DELETE ON login_audit BEGIN
  SELECT RAISE(ABORT, 'the login audit trail is append-only');
END;
`;

/**
 * The evidence XML moves into the database: one append-only table holds the index row, the
 * signed XML and its JSON rendering source, so archiving an evidence is part of the commit
 * that issues it (no file, no staging, no extra fsync). Evidence archived as files before is
 * imported (evidence-import.ts); the files stay where they are, named by `file`, untouched.
 * SQLite cannot relax `file NOT NULL` in place, hence the copy; the triggers are re-created.
 */
const V4_CREATE = `
CREATE TABLE evidence_v4 (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT NOT NULL UNIQUE,
  unique_key      TEXT UNIQUE,
  type            TEXT NOT NULL,
  event           TEXT NOT NULL,
  message_id      TEXT,
  recipient_index INTEGER,
  reason_code     INTEGER,
  account_id      TEXT,
  event_time      INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  xml_hash        TEXT NOT NULL,
  xml_size        INTEGER NOT NULL,
  -- The archive file (under archive/) of evidence issued before schema 4; NULL since.
  file            TEXT,
  -- The signed XML exactly as issued. NULL only for an imported row whose file could not be
  -- read or did not match xml_hash: the file stays its only copy (and the integrity check says so).
  xml             BLOB,
  -- JSON rendering source, when the issuer gave one.
  data            TEXT,
  CHECK (xml IS NOT NULL OR file IS NOT NULL)
) STRICT;
`;

const V4_SWAP = `
DROP TABLE evidence;
ALTER TABLE evidence_v4 RENAME TO evidence;
CREATE INDEX evidence_message ON evidence(message_id);
CREATE INDEX evidence_account ON evidence(account_id);
-- Crash recovery of staged archive files (files of older versions) looks rows up by file.
CREATE INDEX evidence_file ON evidence(file) WHERE file IS NOT NULL;
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence BEGIN
  SELECT RAISE(ABORT, 'evidence is append-only');
END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence BEGIN
  SELECT RAISE(ABORT, 'evidence is append-only');
END;

-- Small blobs live in the database, written in the transaction of the commit that first
-- references them; a blobs row without a blob_data row is a file under blobs/.
CREATE TABLE blob_data (
  hash TEXT PRIMARY KEY REFERENCES blobs(hash),
  data BLOB NOT NULL
) STRICT;
`;

/**
 * Composite blobs: a blob whose bytes are its parts in order, each literal bytes or the whole
 * of another stored blob (composite-blobs.ts). The reference keeps that blob from the sweep.
 */
const V5 = `
CREATE TABLE blob_parts (
  hash     TEXT NOT NULL REFERENCES blobs(hash),
  seq      INTEGER NOT NULL,
  size     INTEGER NOT NULL,
  data     BLOB,
  ref_hash TEXT REFERENCES blobs(hash),
  PRIMARY KEY (hash, seq),
  CHECK ((data IS NULL) != (ref_hash IS NULL))
) STRICT;
CREATE INDEX blob_parts_ref ON blob_parts(ref_hash) WHERE ref_hash IS NOT NULL;
`;

const MIGRATIONS: readonly Migration[] = [
  { version: 1, steps: [V1] },
  { version: 2, steps: [V2] },
  { version: 3, steps: [V3] },
  { version: 4, steps: [V4_CREATE, importArchiveFiles, V4_SWAP] },
  { version: 5, steps: [V5] },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings the database to SCHEMA_VERSION (or to `upTo`, for upgrade tests); safe when several
 * processes open it at once.
 */
export function migrate(db: SqliteDb, now: () => Date, upTo: number = SCHEMA_VERSION, env?: MigrationEnv): number {
  return db.write(() => {
    db.raw.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    const row = db.get<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    const current = row?.v ?? 0;
    if (current > SCHEMA_VERSION) throw new SchemaTooNew(current, SCHEMA_VERSION);
    for (const m of MIGRATIONS) {
      if (m.version <= current || m.version > upTo) continue;
      for (const step of m.steps) {
        if (typeof step === 'string') db.raw.exec(step);
        else if (env) step(db, env);
        else throw new Error(`schema migration ${m.version} needs the data directory's layout`);
      }
      db.run('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', m.version, now().getTime());
    }
    return Math.max(current, Math.min(upTo, SCHEMA_VERSION));
  });
}
