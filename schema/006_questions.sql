-- Migration 6: question items (docs/language.md, "Questions"): readings a
-- committee chooses among named alternatives. SQLite cannot change a CHECK
-- constraint in place, so item_version is rebuilt with the same rows in the
-- same order (every hash stays valid), and its views and triggers are created
-- again exactly as before. Runs with foreign keys off and is checked with
-- PRAGMA foreign_key_check before it commits, as migration 4.

DROP VIEW release_content;
DROP VIEW current_rule;
DROP VIEW current_item;
DROP VIEW latest_item;

CREATE TABLE item_version_6 (
  seq          INTEGER PRIMARY KEY,          -- global order; the hash chain follows it
  kind         TEXT    NOT NULL CHECK (kind IN ('reference','fact','define','constraint','param','action','rule',
                                                'property','waiver','question')),
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
  origin_file        TEXT,                 -- repository-relative path, NULL when unknown
  origin_line        INTEGER,
  origin_column      INTEGER,
  origin_end_line    INTEGER,
  origin_end_column  INTEGER,
  hash_format  INTEGER NOT NULL DEFAULT 1 CHECK (hash_format IN (1, 2)),
  UNIQUE (kind, name, version),
  CHECK ((kind = 'rule' AND retired = 0) = (strength IS NOT NULL AND action IS NOT NULL))
);
INSERT INTO item_version_6 (seq, kind, name, version, retired, strength, action, source, author, created_utc, reason,
                            content_hash, prev_hash, row_hash, origin_file, origin_line, origin_column,
                            origin_end_line, origin_end_column, hash_format)
SELECT seq, kind, name, version, retired, strength, action, source, author, created_utc, reason, content_hash,
       prev_hash, row_hash, origin_file, origin_line, origin_column, origin_end_line, origin_end_column, hash_format
FROM item_version ORDER BY seq;
DROP TABLE item_version;
ALTER TABLE item_version_6 RENAME TO item_version;

CREATE TRIGGER item_version_no_update BEFORE UPDATE ON item_version
BEGIN SELECT RAISE(ABORT, 'item versions are append-only'); END;
CREATE TRIGGER item_version_no_delete BEFORE DELETE ON item_version
BEGIN SELECT RAISE(ABORT, 'item versions are append-only'); END;

CREATE VIEW latest_item AS
SELECT v.* FROM item_version v
WHERE v.version = (SELECT max(w.version) FROM item_version w WHERE w.kind = v.kind AND w.name = v.name);
CREATE VIEW current_item AS
SELECT seq, kind, name, version, strength, action, source, author, created_utc, reason, content_hash
FROM latest_item WHERE retired = 0;
CREATE VIEW current_rule AS
SELECT name, version, strength, action, author, created_utc, reason FROM current_item WHERE kind = 'rule';
CREATE VIEW release_content AS
SELECT r.name AS release, v.kind, v.name, v.version, v.content_hash
FROM release r JOIN release_item ri ON ri.release_id = r.id JOIN item_version v ON v.seq = ri.version_seq;
