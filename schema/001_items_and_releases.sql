-- Migration 1: versioned items, releases, and verification runs.
-- Nothing is updated in place or deleted: triggers refuse it, and the hash
-- chain (item_version.row_hash) lets `kb audit` find rows altered anyway.

CREATE TABLE item_version (
  seq          INTEGER PRIMARY KEY,          -- global order; the hash chain follows it
  kind         TEXT    NOT NULL CHECK (kind IN ('reference','fact','define','constraint','param','action','rule','property')),
  name         TEXT    NOT NULL CHECK (length(name) > 0),
  version      INTEGER NOT NULL CHECK (version >= 1),
  retired      INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
  strength     TEXT    CHECK (strength IN ('recommend','consider','avoid')),
  action       TEXT,
  source       TEXT    NOT NULL,           -- canonical text of the item (empty when retired)
  author       TEXT    NOT NULL CHECK (length(author) > 0),
  created_utc  TEXT    NOT NULL,           -- ISO 8601, UTC
  reason       TEXT    NOT NULL CHECK (length(reason) > 0),
  content_hash TEXT    NOT NULL CHECK (length(content_hash) = 64),  -- sha256(source)
  prev_hash    TEXT    NOT NULL CHECK (length(prev_hash) = 64),     -- row_hash of seq-1, zeros for the first
  row_hash     TEXT    NOT NULL UNIQUE CHECK (length(row_hash) = 64),
  UNIQUE (kind, name, version),
  CHECK ((kind = 'rule' AND retired = 0) = (strength IS NOT NULL AND action IS NOT NULL))
);

CREATE TRIGGER item_version_no_update BEFORE UPDATE ON item_version
BEGIN SELECT RAISE(ABORT, 'item versions are append-only'); END;
CREATE TRIGGER item_version_no_delete BEFORE DELETE ON item_version
BEGIN SELECT RAISE(ABORT, 'item versions are append-only'); END;

-- The latest version of every item, retired or not.
CREATE VIEW latest_item AS
SELECT v.* FROM item_version v
WHERE v.version = (SELECT max(w.version) FROM item_version w WHERE w.kind = v.kind AND w.name = v.name);

-- What the knowledge base holds now: the latest version of each live item.
CREATE VIEW current_item AS
SELECT seq, kind, name, version, strength, action, source, author, created_utc, reason, content_hash
FROM latest_item WHERE retired = 0;

-- Current rules, one line each, for reading in the sqlite3 shell.
CREATE VIEW current_rule AS
SELECT name, version, strength, action, author, created_utc, reason FROM current_item WHERE kind = 'rule';

CREATE TABLE release (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL UNIQUE CHECK (length(name) > 0),
  author       TEXT    NOT NULL,
  created_utc  TEXT    NOT NULL,
  reason       TEXT    NOT NULL,
  content_hash TEXT    CHECK (content_hash IS NULL OR length(content_hash) = 64),  -- set once when sealed
  sealed       INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1))
);

CREATE TABLE release_item (
  release_id  INTEGER NOT NULL REFERENCES release(id),
  version_seq INTEGER NOT NULL REFERENCES item_version(seq),
  PRIMARY KEY (release_id, version_seq)
);

-- A release is built unsealed inside one transaction, then sealed; after
-- that neither it nor its pins change.
CREATE TRIGGER release_seal_only BEFORE UPDATE ON release
WHEN NOT (OLD.sealed = 0 AND NEW.sealed = 1 AND OLD.id = NEW.id AND OLD.name = NEW.name
          AND OLD.author = NEW.author AND OLD.created_utc = NEW.created_utc AND OLD.reason = NEW.reason
          AND OLD.content_hash IS NULL AND NEW.content_hash IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'releases are immutable'); END;
CREATE TRIGGER release_no_delete BEFORE DELETE ON release
BEGIN SELECT RAISE(ABORT, 'releases are immutable'); END;
CREATE TRIGGER release_item_sealed BEFORE INSERT ON release_item
WHEN (SELECT sealed FROM release WHERE id = NEW.release_id) = 1
BEGIN SELECT RAISE(ABORT, 'releases are immutable'); END;
CREATE TRIGGER release_item_no_update BEFORE UPDATE ON release_item
BEGIN SELECT RAISE(ABORT, 'releases are immutable'); END;
CREATE TRIGGER release_item_no_delete BEFORE DELETE ON release_item
BEGIN SELECT RAISE(ABORT, 'releases are immutable'); END;

-- The pinned versions of each release, for the sqlite3 shell.
CREATE VIEW release_content AS
SELECT r.name AS release, v.kind, v.name, v.version, v.content_hash
FROM release r JOIN release_item ri ON ri.release_id = r.id JOIN item_version v ON v.seq = ri.version_seq;

-- kb-verify results, stored against the release (or draft) they checked.
CREATE TABLE verify_run (
  id            INTEGER PRIMARY KEY,
  release_id    INTEGER REFERENCES release(id),  -- NULL: the current draft
  content_hash  TEXT    NOT NULL,                -- hash of the rule set checked
  tool_version  TEXT    NOT NULL,
  z3_version    TEXT    NOT NULL,
  started_utc   TEXT    NOT NULL,
  exit_code     INTEGER NOT NULL
);

CREATE TABLE verify_result (
  run_id         INTEGER NOT NULL REFERENCES verify_run(id),
  obligation     TEXT    NOT NULL,   -- e.g. property:NO-MDT-WITHOUT-RESPONSE, conflict:mdt, dead:RULE
  verdict        TEXT    NOT NULL CHECK (verdict IN ('proved','violated','conflict','no-conflict','unknown',
                                                 'translator-disagreement','warning','ok')),
  millis         REAL    NOT NULL,
  core           TEXT,               -- JSON array of item@version
  counterexample TEXT,               -- JSON patient
  detail         TEXT,
  PRIMARY KEY (run_id, obligation)
);
