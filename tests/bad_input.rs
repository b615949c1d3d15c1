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
    assert_mentions(&run, &[&format!("{path}:2:9"), "`postgresql.port`: expected an integer from 1 to 65535, found the string \"5432\"", "remove the quotes"]);
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
    assert_mentions(&run, &["--set:1:29", "`backup.s3.credentialsSecret`: expected a map of credentialsSecret settings, found the string", "give the keys under it"]);
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
    assert!(run.stdout.contains(&format!("the argument is {} bytes long, over the limit of 1048576 bytes", (1 << 20) + 17)), "{}", run.stdout);
    assert!(run.stdout.contains("runbook.md:2\n"), "{}", run.stdout);
    assert!(run.stdout.len() < 2000, "the argument is not echoed: {} bytes", run.stdout.len());
}

/// The positions of `parts` in `text`, which must all be there.
fn positions(text: &str, parts: &[&str]) -> Vec<usize> {
    parts.iter().map(|part| text.find(part).unwrap_or_else(|| panic!("{part:?} missing from:\n{text}"))).collect()
}

#[test]
fn every_mistake_of_a_values_file_is_reported_in_file_order_with_a_count() {
    let (run, path) = rejected_file(b"backup:\n  enabled: true\n  schedule: \"61 2 * * *\"\n  pvc:\n    keep: 0\n  sink: s4\npostgresql:\n  port: 70000\n");
    let at = positions(&run.stderr, &[&format!("{path}:3:13"), &format!("{path}:5:11"), &format!("{path}:6:9"), &format!("{path}:8:9")]);
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in file order:\n{}", run.stderr);
    assert_mentions(&run, &["expected an integer from 1 to 2147483647, found 0", "`s4` is not a valid choice", "expected an integer from 1 to 65535, found 70000"]);
    assert!(run.stderr.trim_end().ends_with("4 errors"), "{}", run.stderr);
}

#[test]
fn mistakes_of_every_input_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = display(&temp_file(&dir, "values.yaml", b"backup:\n  enabled: maybe\n"));
    let run = rejected(&["-f", &path, "--set", "postgresql.port=0", "--set", "migrations.viaHok=true"]);
    positions(&run.stderr, &[&format!("{path}:2:12"), "--set:1:17", "unknown key `viaHok`", "3 errors"]);
}

#[test]
fn a_list_or_null_where_settings_belong_is_said_plainly() {
    let (run, path) = rejected_file(b"backup: []\npostgresql: null\n");
    assert_mentions(&run, &[
        &format!("{path}:1:9"),
        "`backup`: expected a map of backup settings, found a list",
        &format!("{path}:2:13"),
        "`postgresql` is null, which deletes it and its defaults, but the chart needs it",
    ]);
    assert!(!run.stderr.contains("struct") && !run.stderr.contains("unit value") && !run.stderr.contains("invalid length"), "{}", run.stderr);
}

#[test]
fn values_the_api_server_or_the_pod_would_refuse_are_refused_here() {
    for (set, said) in [
        ("postgresql.securityContext.runAsUser=0", "`postgresql.securityContext.runAsUser`: expected an integer from 1 to"),
        ("backup.pvc.keep=0", "`backup.pvc.keep`: expected an integer from 1 to"),
        ("backup.activeDeadlineSeconds=0", "`backup.activeDeadlineSeconds`: expected an integer from 1 to"),
        ("backup.startingDeadlineSeconds=0", "`backup.startingDeadlineSeconds`: expected an integer from 1 to"),
        ("migrations.waitForDatabaseSeconds=0", "`migrations.waitForDatabaseSeconds`: expected an integer from 1 to"),
        ("backup.timeZone=Mars/Olympus", "is not an IANA time zone"),
        ("backup.rpo=0s", "`backup.rpo`: `0s` is zero"),
        ("backup.s3.prefix=certctl-prod-", "is not a key prefix that is empty or ends with `/`"),
        ("backup.nodeSelector.disk=fast ssd", "is not a valid label value"),
    ] {
        let run = rejected(&["--set", set]);
        assert_mentions(&run, &[said, "1 error"]);
    }
}

#[test]
fn control_characters_are_refused_where_they_enter() {
    let (run, path) = rejected_file(b"postgresql:\n  auth:\n    password: \"p\\u007fw\"\n  nodeSelector:\n    disk: \"ssd\\u0007\"\n");
    assert_mentions(&run, &[&format!("{path}:3:15"), "control character U+007F", &format!("{path}:5:11"), "2 errors"]);
    let run = rejected(&["--set-json", "backup.s3.region=\"us\\u0000\""]);
    assert_mentions(&run, &["--set-json:1:18", "control character U+0000"]);
}

#[test]
fn a_threshold_that_is_not_a_number_is_refused() {
    let (run, path) = rejected_file(b"monitoring:\n  prometheusRules:\n    thresholds:\n      jobFailureRatio: .inf\n");
    assert_mentions(&run, &[&format!("{path}:4:24"), "expected a finite number"]);
}

#[test]
fn files_over_the_size_limit_are_refused_at_once() {
    let run = rejected(&["-f", "/dev/zero"]);
    assert_mentions(&run, &["cannot read /dev/zero", "larger than 8 MiB"]);
    let run = chartgen(&["--spec", "/dev/urandom", "values"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("larger than 8 MiB"), "{}", run.stderr);
}

/// The built-in spec with each `(from, to)` replaced, in a directory of its own.
fn spec_with(dir: &tempfile::TempDir, replacements: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(common::root().join("fixtures/specs/certctl.yaml")).unwrap();
    for (from, to) in replacements {
        assert!(text.contains(from), "{from:?} is not in the spec");
        text = text.replacen(from, to, 1);
    }
    display(&temp_file(dir, "chartgen.yaml", text.as_bytes()))
}

/// The 1-based line of the first occurrence of `needle` in the spec file.
fn line_of(path: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text[..text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {path}"))].matches('\n').count() + 1
}

fn spec_rejected(spec: &str) -> Run {
    let run = chartgen(&["--spec", spec, "values"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    run
}

#[test]
fn every_mistake_of_a_spec_is_reported_at_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_with(&dir, &[
        ("  version: 0.1.0", "  version: \"1.0\""),
        ("  database: certctl", "  database: \"\""),
        ("    minimum: 0\n    maximum: 1", "    minimum: 2\n    maximum: 1"),
        ("    type: integer\n    default: 0\n    minimum: 0\n    description: Alert when more agents", "    type: integer\n    default: -3\n    minimum: 0\n    description: Alert when more agents"),
        ("certctl_agent_online) > ${agentsOfflineThreshold}", "certctl_agent_online) > ${agentsOfflineThreshhold}"),
        ("increase(certctl_issuance_failures_total[15m]) > ${issuanceFailuresThreshold}", "increase(certctl_issuance_failures_total[15m]) > ${jobFailureWindow}"),
        ("    severity: warning\n    summary: certctl agents are offline", "    severity: warning\n    sumary: certctl agents are offline"),
    ]);
    let run = spec_rejected(&spec);
    let located = |needle: &str| format!("{spec}:{}:", line_of(&spec, needle));
    positions(&run.stderr, &[
        &located("  version:"),
        "is not a SemVer 2 version",
        &located("  database: \"\""),
        "`app.database`",
        &located("    minimum: 2"),
        "the minimum 2 is above the maximum 1",
        &located("    default: -3"),
        "the default -3 is outside the parameter's own range",
    ]);
    // A range turned upside down leaves its default outside it too.
    assert_mentions(&run, &[&located("    default: 0.05"), "the default 0.05 is outside"]);
    assert_mentions(&run, &[
        &located("sumary:"),
        "unknown key `sumary`",
        &located("${agentsOfflineThreshhold}"),
        "did you mean `${agentsOfflineThreshold}`?",
        &located("> ${jobFailureWindow}"),
        "the duration parameter `${jobFailureWindow}` is used outside a range selector",
        "8 errors",
    ]);
    assert!(!run.stderr.contains("missing key `summary`"), "a misspelt key is said once: {}", run.stderr);
}

#[test]
fn spec_text_helm_cannot_carry_is_refused_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_with(&dir, &[
        ("  description: \"PostgreSQL operations for certctl", "  description: \"PostgreSQL\\u2028operations\\e for certctl"),
        ("  - name: certificates-readable\n    sql: SELECT count(*) FROM managed_certificates", "  - name: \"certificates\\nreadable\"\n    sql: \"SELECT count(*)\\tFROM managed_certificates\""),
    ]);
    let run = spec_rejected(&spec);
    assert_mentions(&run, &[
        &format!("{spec}:{}:", line_of(&spec, "  description: \"PostgreSQL")),
        "`chart.description` holds the character U+2028",
        "`sanityQueries.1.name`",
        "is not a sanity query name",
        "a sanity query must be one line of SQL without tabs",
    ]);
}

/// The CloudNativePG database with Barman backups into a valid object store.
const BARMAN: &str = "postgresql.provider=cnpg,backup.enabled=true,backup.method=barman,backup.barman.objectStore.destinationPath=s3://my-backups/certctl";

#[test]
fn barman_backups_of_a_statefulset_database_name_the_provider_they_need() {
    let run = rejected(&["--set", "backup.enabled=true,backup.method=barman"]);
    assert_mentions(&run, &["--set:1:35", "`backup.method` is barman, which needs postgresql.provider=cnpg", "set postgresql.provider=cnpg, or choose another backup.method"]);
}

#[test]
fn barman_backups_without_a_destination_point_at_the_method_choice() {
    let run = rejected(&["--set", "postgresql.provider=cnpg,backup.enabled=true,backup.method=barman"]);
    assert_mentions(&run, &["--set:1:60", "`backup.barman.objectStore.destinationPath` is empty, but backup.method is barman", "s3://my-backups/certctl"]);
    // Tier none archives nothing, so it needs no destination.
    assert_eq!(chartgen(&["render", "--set", "postgresql.provider=cnpg,backup.enabled=true,backup.method=barman,backup.barman.tier=none"]).code, 0);
}

#[test]
fn a_recovery_target_time_must_be_a_real_rfc3339_instant_with_a_zone() {
    for (time, column) in [("2026-02-30T00:00:00Z", 203), ("2026-05-04T15:30:00", 203), ("yesterday", 203)] {
        let run = rejected(&["--set", &format!("{BARMAN},backup.barman.recovery.enabled=true,backup.barman.recovery.targetTime={time}")]);
        assert_mentions(&run, &[&format!("--set:1:{column}"), &format!("`backup.barman.recovery.targetTime`: `{time}` is not an RFC 3339 time"), "2026-05-04T15:30:00Z"]);
    }
}

#[test]
fn a_five_field_base_backup_schedule_shows_the_six_field_form() {
    let run = rejected(&["--set", &format!("{BARMAN},backup.barman.pitr.schedule=0 2 * * *")]);
    assert_mentions(&run, &["`backup.barman.pitr.schedule`: `0 2 * * *` has 5 fields; CloudNativePG reads the first as seconds", "\"0 0 2 * * *\""]);
}

#[test]
fn a_recovery_outside_tier_pitr_names_only_the_missing_setting() {
    let run = rejected(&["--set", &format!("{BARMAN},backup.barman.tier=daily,backup.barman.recovery.enabled=true,backup.barman.recovery.backupID=20260504T020000")]);
    assert_mentions(&run, &["`backup.barman.recovery.enabled` is true, but a recovery Cluster needs the continuous backups of tier pitr, and backup.barman.tier=pitr does not hold", "help: set backup.barman.tier=pitr, or turn the recovery off", "1 error"]);
}

#[test]
fn a_recovery_without_a_target_time_or_backup_is_refused() {
    let run = rejected(&["--set", &format!("{BARMAN},backup.barman.recovery.enabled=true")]);
    assert_mentions(&run, &["the recovery has no target: `backup.barman.recovery.targetTime` and `backupID` are both empty", "1 error"]);
}

#[test]
fn a_stale_alert_shorter_than_the_schedule_s_gap_is_refused() {
    let run = rejected(&["--set", &format!("{BARMAN},backup.barman.pitr.maxAge=2h")]);
    assert_mentions(&run, &["`backup.barman.pitr.maxAge` is 2h, but the schedule \"0 0 2 * * *\" leaves 1d between base backups", "set backup.barman.pitr.maxAge to at least 1d"]);
}

#[test]
fn a_velero_ttl_in_days_is_refused_with_its_hours() {
    let run = rejected(&["--set", "velero.enabled=true,velero.ttl=30d"]);
    assert_mentions(&run, &["--set:1:32", "`velero.ttl`: `30d` is not a Go duration: Go has no unit above `h`", "help: write \"720h\"", "1 error"]);
}

#[test]
fn velero_backups_that_expire_or_alert_before_the_next_one_are_refused_together() {
    let run = rejected(&["--set", "velero.enabled=true,velero.schedule=0 3 * * 0,velero.ttl=48h"]);
    assert_mentions(&run, &[
        "`velero.maxAge` is 26h, but the schedule \"0 3 * * 0\" leaves 7d between backups",
        "`velero.ttl` is 48h, but the schedule \"0 3 * * 0\" leaves 7d between backups (from 2026-01-04 03:00 UTC): each backup expires before the next one is taken",
        "set velero.ttl to more than 168h, such as \"720h\"",
        "2 errors",
    ]);
}

#[test]
fn cloudnative_pg_credentials_need_the_basic_auth_keys() {
    let run = rejected(&["--set", "postgresql.provider=cnpg,postgresql.auth.existingSecret=app-db,postgresql.auth.usernameKey=user,postgresql.auth.passwordKey=pass"]);
    assert_mentions(&run, &["`postgresql.auth.usernameKey` is `user`, but CloudNativePG reads the credentials from a basic-auth Secret's `username` key", "`postgresql.auth.passwordKey` is `pass`", "2 errors"]);
}

#[test]
fn the_pitr_check_of_tier_none_is_refused_where_the_tier_is_set() {
    let run = chartgen(&["drill", "--verify-only", "--s3-endpoint", "http://127.0.0.1:1", "--set", &format!("{BARMAN},backup.barman.tier=none")]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty());
    assert_mentions(&run, &["--set:1:", "backup.barman.tier is none: the Cluster archives nothing, and the chart renders no point-in-time recovery check", "help: choose tier daily or pitr"]);
}

#[test]
fn the_pitr_drill_refuses_an_empty_destination_and_a_target_it_cannot_reach_before_starting_anything() {
    let run = chartgen(&["drill", "--s3-endpoint", "http://127.0.0.1:1", "--set", "postgresql.provider=cnpg,backup.method=barman"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_mentions(&run, &["--set:1:40", "`backup.barman.objectStore.destinationPath` is empty, but backup.method is barman"]);
    let set = "postgresql.provider=cnpg,backup.method=barman,backup.barman.objectStore.destinationPath=s3://drill/x";
    let run = chartgen(&["drill", "--s3-endpoint", "http://127.0.0.1:1", "--set", set, "--target-time", "2999-01-01T00:00:00+02:00"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_mentions(&run, &["--target-time 2999-01-01 00:00:00 +02:00 is past the end of the archive the drill writes"]);
    let run = chartgen(&["drill", "--set", set, "--target-time", "2026-11-24 10:00"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_mentions(&run, &["invalid value '2026-11-24 10:00' for '--target-time <TIME>'", "give an RFC 3339 time with its zone"]);
    assert!(run.stdout.is_empty());
}
