#!/bin/sh
# Restores the rows of one table from a custom-format dump (made by backup.sh) into an existing
# database whose schema already has the table: the original description's "restore specific table", made safe.
#
# In ONE transaction (psql --single-transaction, ON_ERROR_STOP):
#   TRUNCATE ONLY the table(s); load the dump's rows (pg_restore --data-only, selected entries);
#   move the tables' serial/identity sequences forward past the restored ids if needed.
# Any error (missing table, foreign-key violation, lock timeout...) rolls everything back: either
# the whole table is restored or nothing changes. TRUNCATE takes an ACCESS EXCLUSIVE lock, so
# readers and writers of the table (the worker) wait until the restore commits.
#
# Foreign keys. A table that other tables reference (users: data_entries.user_id and
# events.user_id) cannot be truncated alone, and deleting its rows would orphan or block the
# referencing rows. So by default the script REFUSES and names the referencing tables. With
# --cascade it restores the table AND every table that references it, directly or not
# (users -> data_entries, events), all from the same dump, so they are consistent with each other
# as of the dump's time: rows added to any of them since the dump are lost. It never disables
# triggers or constraints. Restoring a referencing table alone (e.g. data_entries) works as long
# as every user_id in the dump still exists in users; otherwise the foreign key fails and nothing
# changes.
#
# Environment: PGHOST PGPORT PGUSER PGPASSWORD (libpq); PGDATABASE is the default TARGET_DB;
# TMPDIR for the temporary SQL (it holds the table's rows uncompressed; default /tmp).
set -eu

prog=restore-table.sh
usage() {
    cat <<'EOF'
Usage: restore-table.sh [--cascade] DUMP TABLE [TARGET_DB]
Replaces the rows of TABLE ([schema.]name, default schema public) in TARGET_DB (default
$PGDATABASE) with the rows in the custom-format dump DUMP (from backup.sh), in one
transaction: TRUNCATE + load, so either the whole table is restored or nothing changes.
The table must already exist in TARGET_DB (use restore-full.sh for a whole database).
  --cascade  TABLE is referenced by foreign keys from other tables (e.g. users): restore those
             tables too, from the same dump (their newer rows are lost). Without it such a
             table is refused.
Connection: PGHOST, PGPORT, PGUSER, PGPASSWORD (libpq environment variables).
EOF
}

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }
usage_error() { usage >&2; printf '\n' >&2; die "$*"; }

cascade=0
dump=
table=
target=
npos=0
for arg in "$@"; do
    case $arg in
        -h|--help) usage; exit 0 ;;
        --cascade) cascade=1 ;;
        -*) usage_error "unknown option: $arg" ;;
        *)
            npos=$((npos + 1))
            case $npos in
                1) dump=$arg ;;
                2) table=$arg ;;
                3) target=$arg ;;
                *) usage_error "too many arguments" ;;
            esac ;;
    esac
done

[ -n "$dump" ] || usage_error "missing DUMP"
[ -n "$table" ] || usage_error "missing TABLE"
[ -n "$target" ] || target=${PGDATABASE:-}
[ -n "$target" ] || usage_error "no TARGET_DB given and PGDATABASE is not set"
case $table in
    *.*.*|.*|*.) usage_error "TABLE '$table': expected name or schema.name" ;;
    *.*) schema=${table%%.*}; tname=${table#*.} ;;
    *) schema=public; tname=$table ;;
esac
[ -e "$dump" ] || die "dump file not found: $dump"
if [ ! -f "$dump" ] || [ ! -r "$dump" ]; then
    die "dump file is not a readable file: $dump"
fi
for tool in pg_restore psql; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found in PATH"
done

work=
cleanup() {
    if [ -n "$work" ] && [ -d "$work" ]; then
        rm -rf -- "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d "${TMPDIR:-/tmp}/restore-table.XXXXXX") || die "cannot create a temporary directory"

log "check: $dump"
pg_restore --list "$dump" > "$work/toc" || die "$dump is not a readable pg_dump custom-format (-Fc) archive"

tab=$(printf '\t')
sql() { psql -X -q -At -F "$tab" -v ON_ERROR_STOP=1 -d "$target" -v schema="$schema" -v table="$tname" "$@"; }

log "check: table $schema.$tname in database $target on ${PGHOST:-<libpq default host>}:${PGPORT:-5432}"
exists=$(sql -f - <<'EOF'
SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema' AND c.relname = :'table' AND c.relkind IN ('r', 'p');
EOF
) || die "cannot query database $target (does it exist?)"
[ "$exists" -eq 1 ] ||
    die "table $schema.$tname does not exist in $target; restore-table.sh only reloads rows (use restore-full.sh to restore a whole database)"

# The table (depth 0) and every table referencing it through foreign keys, directly or not,
# each with its longest distance from the table: loading in that order puts referenced rows
# first. Columns: oid, quoted qualified name, schema, name, depth.
closure=$(sql -f - <<'EOF'
WITH RECURSIVE t(oid, depth) AS (
    SELECT c.oid, 0 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = :'schema' AND c.relname = :'table'
    UNION ALL
    SELECT con.conrelid, t.depth + 1 FROM pg_catalog.pg_constraint con JOIN t ON con.confrelid = t.oid
     WHERE con.contype = 'f' AND con.conrelid <> con.confrelid AND con.conparentid = 0 AND t.depth < 20
)
SELECT c.oid, pg_catalog.format('%I.%I', n.nspname, c.relname), n.nspname, c.relname, max(t.depth)
  FROM t JOIN pg_catalog.pg_class c ON c.oid = t.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 GROUP BY c.oid, n.nspname, c.relname
 ORDER BY max(t.depth), n.nspname, c.relname;
EOF
) || die "cannot read the foreign keys of $schema.$tname"

deps=
while IFS=$tab read -r oid qname s n depth; do
    if [ "$depth" -gt 0 ]; then
        deps="$deps $s.$n"
    fi
done <<EOF
$closure
EOF
if [ -n "$deps" ] && [ "$cascade" -eq 0 ]; then
    die "$schema.$tname is referenced by foreign keys from:$deps. Restoring it alone would break or orphan their rows. Re-run with --cascade to restore those tables too from the same dump (their rows newer than the dump are lost), or restore the whole database with restore-full.sh."
fi

# Select the dump's TABLE DATA entries, in load order (pg_restore -L keeps the list's order).
: > "$work/list"
oids=
qnames=
names=
while IFS=$tab read -r oid qname s n depth; do
    if [ "$depth" -gt 0 ] && [ "$cascade" -eq 0 ]; then
        continue
    fi
    awk -v want=" TABLE DATA $s $n " 'index($0, want) && $0 !~ /^;/ { print; found = 1 } END { exit !found }' \
        "$work/toc" >> "$work/list" || die "the dump has no data for table $s.$n"
    oids="${oids:+$oids, }$oid"
    qnames="${qnames:+$qnames, }$qname"
    names="${names:+$names }$s.$n"
done <<EOF
$closure
EOF

log "extract: rows of $names from $dump"
pg_restore --data-only -L "$work/list" -f "$work/data.sql" "$dump" || die "pg_restore could not extract the rows"

cat > "$work/pre.sql" <<EOF
TRUNCATE TABLE ONLY $qnames;
EOF
# After the load: move each serial/identity sequence of these tables past the largest id, if
# the next value would collide. Runs under the dump's empty search_path: names are qualified.
cat > "$work/post.sql" <<EOF
SELECT pg_catalog.format(
         'SELECT pg_catalog.setval(%L, x.m) FROM (SELECT max(%I) AS m FROM %s) x, %s s'
         ' WHERE x.m >= CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END',
         seq.oid::pg_catalog.regclass::text, a.attname, tbl.oid::pg_catalog.regclass, seq.oid::pg_catalog.regclass)
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
  JOIN pg_catalog.pg_class tbl ON tbl.oid = d.refobjid
  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND d.deptype IN ('a', 'i') AND tbl.oid IN ($oids)
\gexec
EOF

log "restore: TRUNCATE $names and load the dump's rows, in one transaction"
psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$target" \
    -f "$work/pre.sql" -f "$work/data.sql" -f "$work/post.sql" >/dev/null ||
    die "restore failed; the transaction was rolled back and $target is unchanged"

counts=
while IFS=$tab read -r oid qname s n depth; do
    if [ "$depth" -gt 0 ] && [ "$cascade" -eq 0 ]; then
        continue
    fi
    c=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$target" -c "SELECT count(*) FROM $qname") || c='?'
    counts="${counts:+$counts, }$s.$n $c rows"
done <<EOF
$closure
EOF
log "done: $counts"
