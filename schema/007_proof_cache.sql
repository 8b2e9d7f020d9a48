-- Migration 7: the proof cache (docs/kb-verify.md, "Proof cache"). Per
-- obligation of a run, the key of everything its solver answers depend on
-- (the items of its slice, the tool build, the Z3 version) and the answers
-- themselves, so that a later run reuses them while the key matches (a run
-- keeps only what it computed; what it reused stays with the run that
-- computed it). `obligation` is an obligation id, or "completion" (with the
-- reading's suffix) for the valid patient that completes slices' witnesses.
-- Rows are part of their run's ledger entry, and append-only like it.
CREATE TABLE verify_answer (
  run_id      INTEGER NOT NULL REFERENCES verify_run(id),
  obligation  TEXT    NOT NULL,
  cache_key   TEXT    NOT NULL CHECK (length(cache_key) = 64),
  answer      TEXT    NOT NULL,   -- JSON: verdict, core, the witness's slice values, failing values, deciding facts
  PRIMARY KEY (run_id, obligation)
);
CREATE INDEX verify_answer_by_key ON verify_answer(cache_key, run_id);
CREATE TRIGGER verify_answer_no_update BEFORE UPDATE ON verify_answer
BEGIN SELECT RAISE(ABORT, 'verification results are append-only'); END;
CREATE TRIGGER verify_answer_no_delete BEFORE DELETE ON verify_answer
BEGIN SELECT RAISE(ABORT, 'verification results are append-only'); END;
