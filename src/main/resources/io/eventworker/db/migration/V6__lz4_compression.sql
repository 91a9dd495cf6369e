-- Large payloads (over about 2 kB) are compressed when stored. PostgreSQL's own method, pglz,
-- compresses a megabyte in about 4 ms; LZ4, which PostgreSQL 14 and later can use, in under 1 ms,
-- and as small. A megabyte document is compressed twice on its way through (in events when a
-- producer inserts it, in data_entries when the worker writes it): with pglz, compressing was
-- about a quarter of what processing it cost, worker and server together.
--
-- Only values stored from now on use LZ4; existing ones stay readable as they are. A server built
-- without LZ4 keeps pglz. The ALTERs lock each table for a moment: if a long transaction holds
-- one, give up after 5 s rather than queue every producer behind the wait (run migrate again).
DO $$
BEGIN
  SET LOCAL lock_timeout = '5s';
  ALTER TABLE events ALTER COLUMN data SET COMPRESSION lz4;
  ALTER TABLE data_entries ALTER COLUMN value SET COMPRESSION lz4, ALTER COLUMN metadata SET COMPRESSION lz4;
  ALTER TABLE metrics ALTER COLUMN tags SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'this server was built without LZ4: large values stay compressed with pglz';
END
$$;
