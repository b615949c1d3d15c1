# Restore the newest base backup, replay the archived WAL to its end in a
# throwaway PostgreSQL, check that the newest commit is within the RPO, run the
# sanity queries, print one JSON line, and fail on any problem.
# The chart runs restore-checks.sh before it: fail, max_age_seconds and
# run_sanity_queries are its, and so are the variables they read and set.
# shellcheck disable=SC2034,SC2154
about_key=backup
ARCHIVE="${DESTINATION_PATH%/}/$SERVER_NAME"
base=$(find "$STAGING/base" -mindepth 1 -maxdepth 1 -type d -exec basename {} \; 2>/dev/null | head -n 1 || true)
[ -n "$base" ] || fail "no finished base backup yet under $ARCHIVE: the operator has not taken one, or none has succeeded"
about=$base
data="$SCRATCH/data"
sockets="$SCRATCH/run"
mkdir -p "$sockets" "$data"
chmod 700 "$data"
started=$(date +%s)
for part in "$STAGING/base/$base"/*; do
  case $part in
    */backup.info) ;;
    */data.tar.gz) tar -xzf "$part" -C "$data" || fail "$part does not extract" ;;
    */data.tar) tar -xf "$part" -C "$data" || fail "$part does not extract" ;;
    *) fail "the base backup holds ${part##*/}: the check restores one data.tar, uncompressed or gzip (the tools of the server's image), without tablespaces" ;;
  esac
done
mkdir -p "$data/pg_wal"
other=$(find "$STAGING/wals" -type f ! -name '*.gz' ! -name '*.history' ! -name '[0-9A-F]*[0-9A-F]' -exec basename {} \; 2>/dev/null | head -n 1 || true)
[ -z "$other" ] || fail "$ARCHIVE holds $other: the check reads WAL uncompressed or gzip (the tools of the server's image); set backup.barman.objectStore.wal.compression to gzip"
# The restore command: a segment from its hash directory, a history file from
# the top; a file that is there but does not decompress is recorded, so that
# a damaged archive fails the check rather than ending recovery quietly.
cat > "$SCRATCH/restore-wal" <<SCRIPT
#!/bin/sh
case \$1 in
  *.history) source="$STAGING/wals/\$1" ;;
  *) source="$STAGING/wals/\$(printf '%s' "\$1" | cut -c 1-16)/\$1" ;;
esac
if [ -f "\$source.gz" ]; then
  gunzip -c "\$source.gz" > "\$2" && exit 0
elif [ -f "\$source" ]; then
  cp "\$source" "\$2" && exit 0
else
  exit 1
fi
echo "\$1" >> "$SCRATCH/damaged-wal"
exit 1
SCRIPT
chmod 755 "$SCRATCH/restore-wal"
# Socket only, no archiving, trust inside the pod: the server is the check's own.
printf 'local all all trust\n' > "$data/pg_hba.conf"
cat >> "$data/postgresql.auto.conf" <<SETTINGS
listen_addresses = ''
port = 5432
unix_socket_directories = '$sockets'
archive_mode = 'off'
restore_command = '$SCRATCH/restore-wal %f %p'
recovery_target_action = 'promote'
SETTINGS
touch "$data/recovery.signal"
restored=$(date +%s)
pg_ctl --pgdata="$data" --log="$SCRATCH/server.log" --wait --timeout="$REPLAY_TIMEOUT" start > /dev/null || fail "the throwaway server did not start: $(tail -n 1 "$SCRATCH/server.log")"
trap 'pg_ctl --pgdata="$data" --mode=immediate stop > /dev/null 2>&1 || true' EXIT
export PGHOST="$sockets" PGPORT=5432 PGUSER=postgres
unset PGPASSWORD PGSSLMODE
# pg_ctl returns once connections are accepted; recovery has ended only when
# the server has promoted.
while [ "$(psql --no-psqlrc --tuples-only --no-align --dbname=postgres --command='SELECT pg_is_in_recovery()' 2>/dev/null || true)" != f ]; do
  grep -q FATAL "$SCRATCH/server.log" && fail "recovery failed: $(grep FATAL "$SCRATCH/server.log" | tail -n 1)"
  [ $(( $(date +%s) - restored )) -le "$REPLAY_TIMEOUT" ] || fail "recovery did not end within ${REPLAY_TIMEOUT}s"
  sleep 1
done
done_at=$(date +%s)
[ ! -f "$SCRATCH/damaged-wal" ] || fail "WAL segment $(head -n 1 "$SCRATCH/damaged-wal") in $ARCHIVE does not decompress: the archive is damaged from there on"
newest=$(find "$STAGING/wals" -type f -name '[0-9A-F]*' 2>/dev/null | sed 's|.*/||; s|[.].*||' | grep -Ex '[0-9A-F]{24}' | sort | tail -n 1 || true)
replayed=$(sed -n 's/.*restored log file "\([0-9A-F]\{24\}\)".*/\1/p' "$SCRATCH/server.log" | sort | tail -n 1)
segments=$(grep -c 'restored log file "[0-9A-F]\{24\}"' "$SCRATCH/server.log" || true)
[ -z "$newest" ] || [ "$replayed" = "$newest" ] || fail "replay stopped at ${replayed:-the base backup} but $ARCHIVE holds WAL up to $newest"
age=$(psql --no-psqlrc --tuples-only --no-align --dbname=postgres --command='SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::bigint')
[ -n "$age" ] || fail "no commit was replayed from $ARCHIVE: the archive holds no transaction after the base backup"
[ "$age" -le "$(max_age_seconds)" ] || fail "the newest commit in $ARCHIVE is ${age}s old, more than the RPO of $MAX_AGE: the archive is stale"
export PGDATABASE="$APP_DATABASE"
run_sanity_queries
printf '{"ok":%s,"backup":"%s","newestCommitAgeSeconds":%s,"walSegments":%s,"restoreSeconds":%s,"replaySeconds":%s,"queries":[%s]}\n' "$ok" "$base" "$age" "$segments" "$(( restored - started ))" "$(( done_at - restored ))" "$results"
[ "$ok" = true ]
