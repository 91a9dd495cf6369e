-- Bookkeeping of successful backups, read by monitoring.
-- Applied by deploy/backup/backup.sh before every record (idempotent), in the same transaction as
-- the INSERT of the run. The monitoring side reads
--   SELECT extract(epoch FROM finished_at) FROM backup.runs ORDER BY finished_at DESC LIMIT 1
-- as backup_last_success_timestamp_seconds (alert: no successful backup in 26 hours).
-- backup.sh leaves this schema out of the dumps (pg_dump --exclude-schema=backup), so a restore
-- never rewinds this history.

CREATE SCHEMA IF NOT EXISTS backup;

CREATE TABLE IF NOT EXISTS backup.runs (
    finished_at timestamptz NOT NULL DEFAULT now(),
    file text NOT NULL,
    bytes bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS runs_finished_at_idx ON backup.runs (finished_at DESC);
