# Download the newest dump under the S3 prefix into the staging directory.
set -eu
aws_cli() {
  if [ -n "${S3_ENDPOINT:-}" ]; then aws --endpoint-url "$S3_ENDPOINT" "$@"; else aws "$@"; fi
}
# Unlike `aws s3 ls`, list-objects-v2 succeeds on an empty prefix, so a
# failure here is a failed listing, never "no dump yet".
if ! keys=$(aws_cli s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$S3_PREFIX" --query 'Contents[].Key' --output text); then
  echo "cannot list s3://$S3_BUCKET/$S3_PREFIX; check the bucket, the region and the credentials Secret" >&2
  exit 1
fi
dump=$(printf '%s\n' "$keys" | tr '\t' '\n' | while IFS= read -r key; do
  printf '%s\n' "${key#"$S3_PREFIX"}"
done | grep -E '^backup-[0-9]{8}T[0-9]{6}Z[.]dump$' | sort -r | head -n 1 || true)
if [ -z "$dump" ]; then
  echo "no dump yet under s3://$S3_BUCKET/$S3_PREFIX"
  exit 0
fi
aws_cli s3 cp "s3://$S3_BUCKET/$S3_PREFIX$dump" "$BACKUP_DIR/$dump" --only-show-errors
echo "downloaded $dump"
