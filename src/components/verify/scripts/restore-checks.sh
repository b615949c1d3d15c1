# What every restore check shares: its JSON line, the RPO in seconds, and the
# spec's sanity queries against the restored server.
set -eu
# What the check is about (the JSON key and its value), set as soon as known.
about_key=${about_key:-restored}
about=""
# A JSON string: tabs and carriage returns as spaces, other control
# characters dropped, backslashes and quotes escaped, line breaks as `\n`.
json_string() {
  printf '%s' "$1" | tr '\011\015' '  ' | tr -d '\001-\010\013\014\016-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'BEGIN { ORS = "" } { if (NR > 1) print "\\n"; print }'
}
fail() {
  printf '{"ok":false,"%s":"%s","error":"%s"}\n' "$about_key" "$(json_string "$about")" "$(json_string "$1")"
  exit 1
}
# MAX_AGE (a duration such as 26h or 1h30m) in whole seconds.
max_age_seconds() {
  printf '%s' "$MAX_AGE" | awk '{
    total = 0; rest = $0
    while (match(rest, /^[0-9]+(ms|[smhdwy])/)) {
      part = substr(rest, 1, RLENGTH); rest = substr(rest, RLENGTH + 1)
      number = part + 0; unit = part; sub(/^[0-9]+/, "", unit)
      factor = unit == "ms" ? 0.001 : unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : unit == "w" ? 604800 : 31536000
      total += number * factor
    }
    printf "%d", total
  }'
}
# Runs SANITY_QUERIES with psql (PG* set by the caller); sets `results` (JSON
# objects) and `ok` (true unless a query's condition fails), which the script
# after this one prints.
# shellcheck disable=SC2034
run_sanity_queries() {
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
}
