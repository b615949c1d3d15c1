# Wait, for a bounded time, until the database accepts connections.
set -eu
deadline=$(( $(date +%s) + WAIT_SECONDS ))
until pg_isready --quiet --timeout=5; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "the database at $PGHOST:$PGPORT did not accept connections within $WAIT_SECONDS seconds" >&2
    exit 1
  fi
  sleep 2
done
echo "the database at $PGHOST:$PGPORT accepts connections"
