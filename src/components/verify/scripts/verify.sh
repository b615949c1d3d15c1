# Restore the newest dump into a throwaway PostgreSQL, run the sanity queries,
# print one JSON line, and fail on any problem.
set -eu
dump=""
# A JSON string: tabs and carriage returns as spaces, other control
# characters dropped, backslashes and quotes escaped, line breaks as `\n`.
json_string() {
  printf '%s' "$1" | tr '\011\015' '  ' | tr -d '\001-\010\013\014\016-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'BEGIN { ORS = "" } { if (NR > 1) print "\\n"; print }'
}
fail() {
  printf '{"ok":false,"dump":"%s","error":"%s"}\n' "$dump" "$(json_string "$1")"
  exit 1
}
dump=$(ls -1 "$BACKUP_DIR" 2>/dev/null | grep -E '^backup-[0-9]{8}T[0-9]{6}Z[.]dump$' | sort -r | head -n 1 || true)
[ -n "$dump" ] || fail "no dump yet in $BACKUP_DIR: the backup has not run or has not succeeded"
taken=$(date -u -d "$(printf '%s' "$dump" | sed -E 's/^backup-(....)(..)(..)T(..)(..)(..)Z[.]dump$/\1-\2-\3 \4:\5:\6/')" +%s)
age=$(( $(date -u +%s) - taken ))
max=$(printf '%s' "$MAX_AGE" | awk '{
  total = 0; rest = $0
  while (match(rest, /^[0-9]+(ms|[smhdwy])/)) {
    part = substr(rest, 1, RLENGTH); rest = substr(rest, RLENGTH + 1)
    number = part + 0; unit = part; sub(/^[0-9]+/, "", unit)
    factor = unit == "ms" ? 0.001 : unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : unit == "w" ? 604800 : 31536000
    total += number * factor
  }
  printf "%d", total
}')
[ "$age" -le "$max" ] || fail "the newest dump $dump is ${age}s old, more than the RPO of $MAX_AGE"
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
results=""
ok=true
tab=$(printf '\t')
# One query per line: name TAB comparison TAB sql. The spec allows no tab or
# line break inside any of them, and names of letters, digits, `-` and `_`.
while IFS="$tab" read -r name expect sql; do
  [ -n "$name" ] || continue
  op=${expect%% *}
  expected=${expect#* }
  value=$(psql --no-psqlrc --tuples-only --no-align --command="$sql" 2>&1) || fail "sanity query $name failed: $value"
  # One row of one number, compared as a number: text or several rows fail.
  printf '%s\n' "$value" | grep -Eqx -- '-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?' && [ "$(printf '%s\n' "$value" | wc -l)" -eq 1 ] \
    || fail "sanity query $name returned \"$value\", not one number"
  if awk -v a="$value" -v b="$expected" -v op="$op" 'BEGIN { a += 0; b += 0; exit !((op == ">" && a > b) || (op == ">=" && a >= b) || (op == "=" && a == b) || (op == "<" && a < b) || (op == "<=" && a <= b) || (op == "!=" && a != b)) }'; then
    passed=true
  else
    passed=false
    ok=false
  fi
  results="$results${results:+,}{\"name\":\"$name\",\"value\":\"$value\",\"expect\":\"$op $expected\",\"ok\":$passed}"
done <<QUERIES
$SANITY_QUERIES
QUERIES
printf '{"ok":%s,"dump":"%s","ageSeconds":%s,"restoreSeconds":%s,"queries":[%s]}\n' "$ok" "$dump" "$age" "$restore" "$results"
[ "$ok" = true ]
