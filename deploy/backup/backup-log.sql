-- Bookkeeping of successful backups, read by monitoring.
-- Applied by deploy/backup/record-run.sh before every record (idempotent), in the same
-- transaction as the INSERT of the run. The monitoring side reads the last finished_at of each
-- kind as backup_last_success_timestamp_seconds{kind="dump"|"base"} (alert: none in 26 hours).
-- backup.sh leaves this schema out of the dumps (pg_dump --exclude-schema=backup), so a restore
-- never rewinds this history.

CREATE SCHEMA IF NOT EXISTS backup;

CREATE TABLE IF NOT EXISTS backup.runs (
    finished_at timestamptz NOT NULL DEFAULT now(),
    file text NOT NULL,
    bytes bigint NOT NULL,
    -- dump: pg_dump (backup.sh); base: pg_basebackup (basebackup.sh)
    kind text NOT NULL DEFAULT 'dump'
);
-- Tables made before base backups were recorded: their rows are dumps.
ALTER TABLE backup.runs ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'dump';

CREATE INDEX IF NOT EXISTS runs_finished_at_idx ON backup.runs (finished_at DESC);
