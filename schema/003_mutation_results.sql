-- Migration 3: mutation analysis results (kb-verify --mutate), stored with
-- the verification run they belong to.
ALTER TABLE verify_run ADD COLUMN mutation_score REAL;  -- percent; NULL when the run did no mutation analysis

CREATE TABLE mutation_result (
  run_id    INTEGER NOT NULL REFERENCES verify_run(id),
  mutant    TEXT    NOT NULL,   -- M1, M2, ... in generation order
  op        TEXT    NOT NULL,   -- shift-bound, drop-conjunct, ...
  site      TEXT    NOT NULL,   -- the edited item, kind:name@version
  status    TEXT    NOT NULL CHECK (status IN ('killed','survived','equivalent','unknown','translator-disagreement')),
  killed_by TEXT    NOT NULL,   -- JSON array of property:ID / conflict:ACTION
  restating_only INTEGER NOT NULL CHECK (restating_only IN (0, 1)),
  summary   TEXT    NOT NULL,   -- the edit in one line
  witness   TEXT,               -- survived: JSON patient whose advice changes
  PRIMARY KEY (run_id, mutant)
);
