//! Every kind of bad input: a clear message naming file:line:column (or the
//! `--set` argument) and what would be right, exit code 2, nothing on stdout.

mod common;

use common::{chartgen, display, temp_file, Run};

/// Runs `chartgen render` with `args` and checks the bad-input contract.
fn rejected(args: &[&str]) -> Run {
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    let run = chartgen(&all);
    assert_eq!(run.code, 2, "exit code for {args:?}; stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "no partial output for {args:?}");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Runs `chartgen render -f FILE` with a values file holding `contents`.
fn rejected_file(contents: &[u8]) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = display(&temp_file(&dir, "values.yaml", contents));
    (rejected(&["-f", &path]), path)
}

fn assert_mentions(run: &Run, parts: &[&str]) {
    for part in parts {
        assert!(run.stderr.contains(part), "stderr lacks {part:?}:\n{}", run.stderr);
    }
}

#[test]
fn malformed_yaml_names_the_line_and_column() {
    let (run, path) = rejected_file(b"backup:\n  enabled: true\n   sink: s3\n");
    assert_mentions(&run, &[&format!("{path}:3:"), "invalid YAML", "indentation"]);
}

#[test]
fn an_unknown_key_suggests_the_nearest_valid_name() {
    let (run, path) = rejected_file(b"backup:\n  pvc:\n    storageClass: fast\n");
    assert_mentions(&run, &[&format!("{path}:3:5"), "unknown key `storageClass`", "did you mean `storageClassName`?"]);
}

#[test]
fn a_wrong_type_says_what_was_expected() {
    let (run, path) = rejected_file(b"postgresql:\n  port: \"5432\"\n");
    assert_mentions(&run, &[&format!("{path}:2:9"), "`postgresql.port`: expected u16, found string \"5432\"", "remove the quotes"]);
}

#[test]
fn a_number_where_a_string_belongs_says_to_quote_it() {
    let (run, path) = rejected_file(b"postgresql:\n  image:\n    tag: 16\n");
    assert_mentions(&run, &[&format!("{path}:3:10"), "expected a string", "quote the value"]);
}

#[test]
fn a_bad_enum_value_lists_the_choices() {
    let run = rejected(&["--set", "backup.enabled=true,backup.sink=ftp"]);
    assert_mentions(&run, &["--set:1:33", "`ftp` is not a valid choice", "`pvc`, `s3`"]);
}

#[test]
fn a_six_field_cron_shows_the_five_field_form() {
    let run = rejected(&["--set", "backup.schedule=0 30 2 * * *"]);
    assert_mentions(&run, &["--set:1:17", "has 6 fields", "\"30 2 * * *\""]);
}

#[test]
fn an_invalid_cron_field_is_rejected() {
    let run = rejected(&["--set", "backup.schedule=61 2 * * *"]);
    assert_mentions(&run, &["not a valid cron schedule", "minute hour day-of-month month day-of-week"]);
}

#[test]
fn an_invalid_duration_shows_the_units() {
    let (run, path) = rejected_file(b"backup:\n  rpo: 1 day\n");
    assert_mentions(&run, &[&format!("{path}:2:8"), "`1 day` is not a duration", "\"1h30m\""]);
}

#[test]
fn a_quantity_in_gigabytes_suggests_gibibytes() {
    let run = rejected(&["--set", "backup.pvc.size=20Gb"]);
    assert_mentions(&run, &["--set:1:17", "`20Gb` is not a Kubernetes quantity", "did you mean \"20Gi\""]);
}

#[test]
fn an_invalid_bucket_name_says_why() {
    let run = rejected(&["--set", "backup.s3.bucket=My_Bucket"]);
    assert_mentions(&run, &["--set:1:18", "not a valid S3 bucket name", "lowercase"]);
}

#[test]
fn an_empty_bucket_with_the_s3_sink_points_at_the_sink_choice() {
    let run = rejected(&["--set", "backup.enabled=true,backup.sink=s3"]);
    assert_mentions(&run, &["--set:1:33", "`backup.s3.bucket` is empty, but backup.sink is s3", "--set backup.s3.bucket="]);
}

#[test]
fn an_alias_bomb_is_stopped() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let prev = if i == 0 { "a".to_string() } else { ["b", "c", "d", "e", "f", "g", "h"][i - 1].to_string() };
        bomb.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let (run, path) = rejected_file(bomb.as_bytes());
    assert_mentions(&run, &[&format!("{path}:"), "aliases expand to more than", "alias bomb"]);
}

#[test]
fn a_file_that_is_not_utf8_names_the_byte() {
    let (run, path) = rejected_file(b"backup:\n  enabled: tr\xffue\n");
    assert_mentions(&run, &[&format!("{path}:2:14"), "not valid UTF-8", "0xff"]);
}

#[test]
fn credentials_secret_as_a_string_is_rejected() {
    // Seed 000's runbook set backup.s3.credentialsSecret to a Secret name.
    let run = rejected(&["--set", "backup.s3.credentialsSecret=certctl-backup-aws"]);
    assert_mentions(&run, &["--set:1:29", "`backup.s3.credentialsSecret`: expected a map of settings, found string", "give the keys under it"]);
}

#[test]
fn an_unknown_threshold_suggests_the_parameter() {
    let run = rejected(&["--set", "monitoring.prometheusRules.thresholds.jobFailureRate=1"]);
    assert_mentions(&run, &["--set:1:39", "unknown key `jobFailureRate`", "did you mean `jobFailureRatio`?"]);
}

#[test]
fn a_decimal_given_with_set_is_a_string_as_in_helm() {
    let run = rejected(&["--set", "monitoring.prometheusRules.thresholds.jobFailureRatio=0.1"]);
    assert_mentions(&run, &["--set:1:55", "expected a number, found the string \"0.1\"", "use --set-json"]);
}

#[test]
fn a_threshold_out_of_range_names_its_bounds() {
    let run = rejected(&["--set-json", "monitoring.prometheusRules.thresholds.jobFailureRatio=5"]);
    assert_mentions(&run, &["--set-json:1:", "5 is out of range: it must be from 0 to 1"]);
}

#[test]
fn bad_set_syntax_points_into_the_argument() {
    let run = rejected(&["--set", "backup.enabled=true,backup.pvc[x]=1"]);
    assert_mentions(&run, &["--set:1:32", "list index `x` is not a number"]);
}

#[test]
fn a_missing_values_file_is_named() {
    let run = rejected(&["-f", "/nonexistent/values.yaml"]);
    assert_mentions(&run, &["cannot read /nonexistent/values.yaml"]);
}

#[test]
fn an_invalid_release_name_says_what_is_allowed() {
    let run = rejected(&["--release-name", "Prod_DB"]);
    assert_mentions(&run, &["`Prod_DB` is not a valid release name", "at most 53 characters"]);
}

#[test]
fn a_password_is_required_when_the_chart_creates_the_secret() {
    let run = rejected(&["--set", "postgresql.auth.create=true"]);
    assert_mentions(&run, &["`postgresql.auth.password` is empty", "existingSecret"]);
}

#[test]
fn an_unknown_key_in_the_spec_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string(common::root().join("fixtures/specs/ledger.yaml")).unwrap().replace("  migrateCommand:", "  migrateComand:");
    let path = display(&temp_file(&dir, "chartgen.yaml", spec.as_bytes()));
    let run = chartgen(&["--spec", &path, "render"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert_mentions(&run, &[&format!("{path}:"), "unknown key `migrateComand`", "did you mean `migrateCommand`?"]);
}

#[test]
fn a_usage_error_exits_2() {
    let run = chartgen(&["render", "--no-such-flag"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
}

#[test]
fn a_set_nested_past_the_depth_limit_is_refused_where_it_goes_too_deep_not_a_crash() {
    // 14,000 nested indexes once overflowed the stack (exit 134).
    let run = rejected(&["--set", &format!("a{}=1", "[0]".repeat(14_000))]);
    assert_mentions(&run, &["--set:1:599", "nested deeper than 200 levels"]);
}

#[test]
fn set_json_nested_past_the_depth_limit_is_refused_where_it_goes_too_deep() {
    let run = rejected(&["--set-json", &format!("backup={}", "[".repeat(14_000))]);
    assert_mentions(&run, &["--set-json:1:207", "nested deeper than 200 levels"]);
}

#[test]
fn a_set_at_the_depth_limit_goes_through_every_check_without_crashing() {
    let deepest = format!("backup.x={}1{}", "{\"k\":".repeat(198), "}".repeat(198));
    let run = rejected(&["--set-json", &deepest]);
    assert_mentions(&run, &["unknown key `x`"]);
}

#[test]
fn a_set_over_the_size_limit_is_refused_without_echoing_it() {
    // The command line cannot carry it (Linux caps one argument at 128 KiB);
    // a runbook command can.
    let dir = tempfile::tempdir().unwrap();
    let runbook = format!("```sh\nhelm upgrade --install db ./chart --set backup.s3.prefix={}\n```\n", "x".repeat(1 << 20));
    let path = display(&temp_file(&dir, "runbook.md", runbook.as_bytes()));
    let run = chartgen(&["docs", &path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains(&format!("--set:1:1: the argument is {} bytes long, over the limit of 1048576 bytes", (1 << 20) + 17)), "{}", run.stdout);
    assert!(run.stdout.len() < 2000, "the argument is not echoed: {} bytes", run.stdout.len());
}
