# Restore the newest dump into a throwaway PostgreSQL, run the sanity queries,
# print one JSON line, and fail on any problem.
# The chart runs restore-checks.sh before it: fail, max_age_seconds and
# run_sanity_queries are its, and so are the variables they read and set.
# shellcheck disable=SC2034,SC2154
about_key=dump
dump=$(ls -1 "$BACKUP_DIR" 2>/dev/null | grep -E '^backup-[0-9]{8}T[0-9]{6}Z[.]dump$' | sort -r | head -n 1 || true)
[ -n "$dump" ] || fail "no dump yet in $BACKUP_DIR: the backup has not run or has not succeeded"
about=$dump
taken=$(date -u -d "$(printf '%s' "$dump" | sed -E 's/^backup-(....)(..)(..)T(..)(..)(..)Z[.]dump$/\1-\2-\3 \4:\5:\6/')" +%s)
age=$(( $(date -u +%s) - taken ))
[ "$age" -le "$(max_age_seconds)" ] || fail "the newest dump $dump is ${age}s old, more than the RPO of $MAX_AGE"
pg_restore --list "$BACKUP_DIR/$dump" > /dev/null 2>&1 || fail "$dump does not read back as a custom-format dump"
data="$SCRATCH/data"
sockets="$SCRATCH/run"
mkdir -p "$sockets"
initdb --pgdata="$data" --username=verify --auth=trust > "$SCRATCH/initdb.log" 2>&1 || fail "initdb failed: $(tail -n 1 "$SCRATCH/initdb.log")"
pg_ctl --pgdata="$data" --log="$SCRATCH/server.log" --wait --options="-c listen_addresses= -c unix_socket_directories=$sockets" start > /dev/null || fail "the throwaway server did not start: $(tail -n 1 "$SCRATCH/server.log")"
trap 'pg_ctl --pgdata="$data" --mode=immediate stop > /dev/null 2>&1 || true' EXIT
export PGHOST="$sockets" PGPORT=5432 PGUSER=verify PGDATABASE=restored
unset PGPASSWORD PGSSLMODE
createdb restored || fail "createdb failed"
started=$(date +%s)
pg_restore --no-owner --no-acl --exit-on-error --dbname=restored "$BACKUP_DIR/$dump" 2> "$SCRATCH/restore.log" || fail "pg_restore failed: $(tail -n 1 "$SCRATCH/restore.log")"
restore=$(( $(date +%s) - started ))
run_sanity_queries
printf '{"ok":%s,"dump":"%s","ageSeconds":%s,"restoreSeconds":%s,"queries":[%s]}\n' "$ok" "$dump" "$age" "$restore" "$results"
[ "$ok" = true ]
