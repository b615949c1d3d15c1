//! `chartgen docs`: runbook commands are checked against the values model,
//! with file and line, in the formats and exit codes of `check`.

mod common;

use common::{chartgen, root};

fn seed_runbook() -> String {
    root().join("tests/data/runbook-seed-000.md").display().to_string()
}

#[test]
fn a_misspelt_set_key_is_caught_with_its_line_and_the_right_name() {
    let run = chartgen(&["docs", &seed_runbook()]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[docs-values] `backup.pvc.storageClas`: unknown key `storageClas`; did you mean `storageClassName`?"), "{}", run.stdout);
    assert!(run.stdout.contains("runbook-seed-000.md:9\n"), "{}", run.stdout);
}

#[test]
fn a_string_where_the_model_wants_a_map_is_caught() {
    let run = chartgen(&["docs", &seed_runbook()]);
    assert!(run.stdout.contains("`backup.s3.credentialsSecret`: expected a map of credentialsSecret settings, found the string \"certctl-backup-aws\""), "{}", run.stdout);
    assert!(run.stdout.contains("runbook-seed-000.md:21\n"), "{}", run.stdout);
}

#[test]
fn a_runbook_s_findings_are_listed_under_the_file_without_trailing_blanks() {
    let run = chartgen(&["docs", &seed_runbook()]);
    assert!(!run.stdout.contains("(combination)"), "{}", run.stdout);
    assert!(run.stdout.lines().all(|l| l == l.trim_end()), "{:?}", run.stdout);
}

#[test]
fn a_pg_dump_without_the_canonical_options_is_caught() {
    let run = chartgen(&["docs", &seed_runbook()]);
    assert!(run.stdout.contains("error[docs-pg-dump] this pg_dump lacks --format=custom, --no-owner, --no-acl"), "{}", run.stdout);
    assert!(run.stdout.contains("runbook-seed-000.md:27\n"), "{}", run.stdout);
    assert!(run.stdout.contains("1 runbook, 3 findings in"), "{}", run.stdout);
}

#[test]
fn the_shipped_runbook_passes_and_check_reads_it() {
    let run = chartgen(&["docs", "docs/runbook.md"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let check = chartgen(&["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    // The built-in example's runbook is this file, built into chartgen.
    assert_eq!(report["runbooks"][0]["file"], "<built-in>/docs/runbook.md");
}

#[test]
fn runbook_findings_become_github_annotations_with_file_and_line() {
    let run = chartgen(&["docs", &seed_runbook(), "--format", "github"]);
    assert_eq!(run.code, 1);
    let first = run.stdout.lines().next().unwrap();
    assert!(first.starts_with(&format!("::error file={},line=9,title=chartgen docs-values", seed_runbook())), "{first}");
}

#[test]
fn a_values_file_the_command_names_is_read_when_it_exists() {
    let dir = tempfile::tempdir().unwrap();
    common::temp_file(&dir, "prod.yaml", b"backup:\n  pvc:\n    keep: many\n");
    let runbook = common::temp_file(&dir, "runbook.md", b"```sh\nhelm upgrade certctl ./certctl -f prod.yaml -f missing.yaml\n```\n");
    let run = chartgen(&["docs", runbook.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("`backup.pvc.keep`: expected"), "{}", run.stdout);
}

#[test]
fn a_missing_runbook_is_bad_input() {
    let run = chartgen(&["docs", "no-such-runbook.md"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read no-such-runbook.md"), "{}", run.stderr);
}

#[test]
fn every_drifting_key_of_one_command_is_reported_at_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = common::temp_file(
        &dir,
        "runbook.md",
        b"```sh\nhelm upgrade certctl ./certctl \\\n  --set backup.enabled=true \\\n  --set backup.retentionDays=7 \\\n  --set-string backup.pvc.keep=3 \\\n  --set backup.pvc.storageClasss=fast\n```\n",
    );
    let run = chartgen(&["docs", &common::display(&runbook)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let at = |line: usize| format!("runbook.md:{line}\n");
    assert!(run.stdout.contains("unknown key `retentionDays`") && run.stdout.contains(&at(4)), "{}", run.stdout);
    assert!(run.stdout.contains("unknown key `storageClasss`") && run.stdout.contains(&at(6)), "{}", run.stdout);
    // --set-string is applied last, as Helm applies it, and a string is not a count.
    assert!(run.stdout.contains("`backup.pvc.keep`: expected an integer") && run.stdout.contains(&at(5)), "{}", run.stdout);
    assert!(run.stdout.contains("3 findings"), "{}", run.stdout);
}
