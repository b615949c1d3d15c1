# Upload the newest dump in the staging directory to S3.
set -eu
dump=$(ls -1 "$BACKUP_DIR" | grep -E '^backup-[0-9]{8}T[0-9]{6}Z[.]dump$' | sort -r | head -n 1 || true)
if [ -z "$dump" ]; then
  echo "no dump found in $BACKUP_DIR" >&2
  exit 1
fi
target="s3://$S3_BUCKET/$S3_PREFIX$dump"
set -- s3 cp "$BACKUP_DIR/$dump" "$target" --only-show-errors
if [ -n "${S3_ENDPOINT:-}" ]; then
  set -- --endpoint-url "$S3_ENDPOINT" "$@"
fi
if ! aws "$@"; then
  echo "upload to $target failed; check the bucket, the region and the credentials Secret" >&2
  exit 1
fi
echo "uploaded $dump to $target"
