-- Migration 5: one hash chain over everything the store keeps (docs/store.md,
-- "The ledger"). Each item version, sealed release and verification run gets
-- one ledger entry, in the order it was written; the entry's body_hash covers
-- the record (an item version's row_hash; a release's metadata and pins; a
-- run's fields, results and mutants) and its entry_hash chains it to the
-- entry before it. The newest entry_hash is the head that `kb audit` prints
-- and `kb audit --expect-head` checks; a release's own entry is the chain head
-- it records, and `kb release --sign-key` signs it (release_signature).
-- Entries of a migrated database are written by the migration (kb/store), in
-- the order items, releases, runs. Verification results become append-only.

CREATE TABLE ledger (
  seq         INTEGER PRIMARY KEY,   -- position in the chain, from 1
  entry       TEXT    NOT NULL CHECK (entry IN ('item','release','verify')),
  ref         INTEGER NOT NULL,      -- item_version.seq, release.id or verify_run.id
  body_hash   TEXT    NOT NULL CHECK (length(body_hash) = 64),
  prev_hash   TEXT    NOT NULL CHECK (length(prev_hash) = 64),   -- entry_hash of seq-1, zeros for the first
  entry_hash  TEXT    NOT NULL UNIQUE CHECK (length(entry_hash) = 64),
  hash_format INTEGER NOT NULL DEFAULT 1 CHECK (hash_format IN (1)),
  UNIQUE (entry, ref)
);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

-- Ed25519 signatures of a release's chain head (its ledger entry_hash).
CREATE TABLE release_signature (
  release_id INTEGER NOT NULL REFERENCES release(id),
  key_id     TEXT    NOT NULL CHECK (length(key_id) = 64),   -- sha256 of the raw public key
  chain_head TEXT    NOT NULL CHECK (length(chain_head) = 64),
  signature  TEXT    NOT NULL CHECK (length(signature) = 128),
  PRIMARY KEY (release_id, key_id)
);
CREATE TRIGGER release_signature_no_update BEFORE UPDATE ON release_signature
BEGIN SELECT RAISE(ABORT, 'release signatures are append-only'); END;
CREATE TRIGGER release_signature_no_delete BEFORE DELETE ON release_signature
BEGIN SELECT RAISE(ABORT, 'release signatures are append-only'); END;

-- Verification results are records too: append-only.
CREATE TRIGGER verify_run_no_update BEFORE UPDATE ON verify_run
BEGIN SELECT RAISE(ABORT, 'verification results are append-only'); END;
CREATE TRIGGER verify_run_no_delete BEFORE DELETE ON verify_run
BEGIN SELECT RAISE(ABORT, 'verification results are append-only'); END;
CREATE TRIGGER verify_result_no_update BEFORE UPDATE ON verify_result
BEGIN SELECT RAISE(ABORT, 'verification results are append-only'); END;
CREATE TRIGGER verify_result_no_delete BEFORE DELETE ON verify_result
BEGIN SELECT RAISE(ABORT, 'verification results are append-only'); END;
CREATE TRIGGER mutation_result_no_update BEFORE UPDATE ON mutation_result
BEGIN SELECT RAISE(ABORT, 'verification results are append-only'); END;
CREATE TRIGGER mutation_result_no_delete BEFORE DELETE ON mutation_result
BEGIN SELECT RAISE(ABORT, 'verification results are append-only'); END;

-- Each release with the chain head it records, for the sqlite3 shell.
CREATE VIEW release_head AS
SELECT r.name AS release, l.seq AS ledger_seq, l.entry_hash AS chain_head
FROM release r JOIN ledger l ON l.entry = 'release' AND l.ref = r.id;
