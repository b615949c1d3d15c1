# Dump the database, check the dump, then move it into place under its final name.
set -eu
umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$BACKUP_DIR/backup-$stamp.dump"
partial="$BACKUP_DIR/.backup-$stamp.dump.partial"
trap 'rm -f "$partial"' EXIT
echo "dumping database $PGDATABASE from $PGHOST:$PGPORT"
pg_dump --format=custom --no-owner --no-acl --file="$partial"
if ! pg_restore --list "$partial" > /dev/null; then
  echo "the dump does not read back with pg_restore --list; not keeping it" >&2
  exit 1
fi
mv "$partial" "$final"
trap - EXIT
echo "wrote $final ($(wc -c < "$final") bytes)"
if [ "${BACKUP_KEEP:-0}" -gt 0 ]; then
  ls -1 "$BACKUP_DIR" | grep -E '^backup-[0-9]{8}T[0-9]{6}Z[.]dump$' | sort -r | tail -n +$((BACKUP_KEEP + 1)) | while read -r old; do
    rm -f "$BACKUP_DIR/$old"
    echo "pruned $old"
  done
fi
