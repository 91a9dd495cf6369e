-- The original description's least-privilege roles: app_user (connect, DML on every table, sequences) and
-- readonly_user (SELECT only). Run as the owner of the tables (the role that runs `migrate`),
-- in the application's database, once the tables exist:
--
--   psql -v app_password=... -v readonly_password=... -f database/roles.sql
--
-- Optional: -v app_user=NAME -v readonly_user=NAME (defaults app_user, readonly_user) and
-- -v migrator=ROLE (default: the connecting user), the role whose future tables the default
-- privileges cover. Running it again keeps the roles and sets their passwords again.

\set ON_ERROR_STOP on
\if :{?app_user}
\else
  \set app_user app_user
\endif
\if :{?readonly_user}
\else
  \set readonly_user readonly_user
\endif
\if :{?migrator}
\else
  \set migrator :USER
\endif
\if :{?app_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'set the passwords: psql -v app_password=... -v readonly_password=...'; END $$;
\endif
\if :{?readonly_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'set the passwords: psql -v app_password=... -v readonly_password=...'; END $$;
\endif

BEGIN;

-- The statements below carry passwords: keep them out of the server log (log_statement = 'mod'
-- logs role changes). Only a superuser may change log_statement; others log nothing of it
-- unless their server logs DDL.
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    PERFORM set_config('log_statement', 'none', true);
  END IF;
END $$;

SELECT format('CREATE ROLE %I LOGIN', :'app_user')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'readonly_user')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'readonly_user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'app_user', :'app_password') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'readonly_user', :'readonly_password') \gexec

SELECT format('GRANT CONNECT ON DATABASE %I TO %I, %I', current_database(), :'app_user', :'readonly_user') \gexec
GRANT USAGE ON SCHEMA public TO :"app_user", :"readonly_user";

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_user";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_user";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"readonly_user";

-- Tables and sequences created later by the migrator (the worker's migrations) get the same.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT SELECT ON TABLES TO :"readonly_user";

-- Only the owner creates, alters or drops objects in public (PostgreSQL 15's default for new
-- databases; made explicit for databases upgraded from older versions).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

COMMIT;
