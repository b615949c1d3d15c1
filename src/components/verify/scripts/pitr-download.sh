# Download the newest finished base backup of the Barman archive, and the WAL
# archived since it began, into the staging directory.
set -eu
aws_cli() {
  if [ -n "${S3_ENDPOINT:-}" ]; then aws --endpoint-url "$S3_ENDPOINT" "$@"; else aws "$@"; fi
}
path=${DESTINATION_PATH#s3://}
bucket=${path%%/*}
prefix=${path#"$bucket"}
prefix=${prefix#/}
prefix=${prefix%/}
prefix="$prefix${prefix:+/}$SERVER_NAME/"
archive="s3://$bucket/$prefix"
# Unlike `aws s3 ls`, list-objects-v2 succeeds on an empty prefix, so a
# failure here is a failed listing, never "no backup yet".
if ! keys=$(aws_cli s3api list-objects-v2 --bucket "$bucket" --prefix "${prefix}base/" --query 'Contents[].Key' --output text); then
  echo "cannot list ${archive}base/; check the bucket, the endpoint and the credentials Secret" >&2
  exit 1
fi
# Backup ids are start times (20261124T020000), so the newest sorts last.
ids=$(printf '%s\n' "$keys" | tr '\t' '\n' | sed -n "s|^${prefix}base/\([0-9]\{8\}T[0-9]\{6\}\)/backup.info\$|\1|p" | sort -r)
for id in $ids; do
  aws_cli s3 cp "${archive}base/$id/backup.info" "$STAGING/backup.info" --only-show-errors
  if grep -qx 'status=DONE' "$STAGING/backup.info"; then
    mkdir -p "$STAGING/base"
    aws_cli s3 cp --recursive "${archive}base/$id/" "$STAGING/base/$id/" --only-show-errors
    # WAL from the hash directory of the backup's first segment on, and every history file.
    first=$(sed -n 's/^begin_wal=//p' "$STAGING/backup.info" | cut -c 1-16)
    aws_cli s3 cp --recursive "${archive}wals/" "$STAGING/wals/" --exclude '*/*' --only-show-errors
    dirs=$(aws_cli s3api list-objects-v2 --bucket "$bucket" --prefix "${prefix}wals/" --delimiter / --query 'CommonPrefixes[].Prefix' --output text)
    for dir in $(printf '%s\n' "$dirs" | tr '\t' '\n' | sed -n "s|^${prefix}wals/\([0-9A-F]\{16\}\)/\$|\1|p"); do
      if [ "$(printf '%s\n%s\n' "$dir" "$first" | sort | head -n 1)" = "$first" ]; then
        aws_cli s3 cp --recursive "${archive}wals/$dir/" "$STAGING/wals/$dir/" --only-show-errors
      fi
    done
    echo "downloaded base backup $id and the WAL since $first"
    exit 0
  fi
  rm -f "$STAGING/backup.info"
done
echo "no finished base backup yet under ${archive}base/"
