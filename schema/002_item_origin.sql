-- Migration 2: where each item version was imported from, and the row-hash
-- format that covers it. Rows written before this migration keep
-- hash_format 1 (no origin in the hash); new rows use format 2
-- (docs/store.md, "Row hash").
ALTER TABLE item_version ADD COLUMN origin_file TEXT;        -- repository-relative path, NULL when unknown
ALTER TABLE item_version ADD COLUMN origin_line INTEGER;
ALTER TABLE item_version ADD COLUMN origin_column INTEGER;
ALTER TABLE item_version ADD COLUMN origin_end_line INTEGER;
ALTER TABLE item_version ADD COLUMN origin_end_column INTEGER;
ALTER TABLE item_version ADD COLUMN hash_format INTEGER NOT NULL DEFAULT 1 CHECK (hash_format IN (1, 2));

-- Verification results keep the finding's source location (JSON).
ALTER TABLE verify_result ADD COLUMN location TEXT;
