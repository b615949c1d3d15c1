//! Runbook YAML against the lint rules: the CloudNativePG resources and
//! PrometheusRules of a runbook's fenced `yaml` blocks are checked by the
//! CloudNativePG rules, CG101 and CG606 (`rules::check_runbook`), each
//! finding at the runbook line of what it is about.

mod common;

use chartgen::codes::{Code, RuleCode};
use chartgen::docs::DocFinding;
use chartgen::rules::check_runbook;
use chartgen::spec;

fn findings(markdown: &str) -> Vec<DocFinding> {
    let loaded = spec::load(None).unwrap();
    check_runbook(&loaded.spec, markdown).unwrap()
}

/// The 1-based line of the `nth` (from 1) line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines().enumerate().filter(|(_, l)| l.contains(needle)).nth(nth - 1).map(|(i, _)| i + 1).unwrap_or_else(|| panic!("no {nth}. `{needle}`"))
}

fn codes_and_lines(found: &[DocFinding]) -> Vec<(String, usize)> {
    found.iter().map(|f| (f.code.to_string(), f.line)).collect()
}

#[test]
fn seed_002_s_cnpg_mistakes_are_found_at_their_runbook_lines() {
    let runbook = std::fs::read_to_string(common::root().join("tests/data/runbook-seed-002-cnpg.md")).unwrap();
    let found = findings(&runbook);
    let expected = vec![
        ("CG907".to_string(), line_of(&runbook, "cnpg.io/reload-secrets", 1)),
        ("CG901".to_string(), line_of(&runbook, "barmanObjectStore:", 1)),
        // The fragment of the second block is no resource; the recovery's external cluster is the third.
        ("CG901".to_string(), line_of(&runbook, "barmanObjectStore:", 3)),
        // It reads server `esb-postgres-backup` (the default) where the first block's Cluster archives as `esb-postgres`.
        ("CG908".to_string(), line_of(&runbook, "barmanObjectStore:", 3)),
        ("CG606".to_string(), line_of(&runbook, "expr: |", 1)),
    ];
    assert_eq!(codes_and_lines(&found), expected, "{found:#?}");
    let by_code = |code: &str| found.iter().find(|f| f.code.to_string() == code).unwrap();
    assert!(by_code("CG907").message.starts_with("Cluster/esb-postgres: `cnpg.io/reload-secrets` does nothing"), "{}", by_code("CG907").message);
    assert!(by_code("CG907").message.contains("the real mechanism is the `cnpg.io/reload` label on the Secret"));
    assert!(by_code("CG606").message.contains("`cnpg_pg_stat_archiver_failed_count` is a counter"));
    assert!(by_code("CG908").message.contains("Cluster `esb-postgres` archives as server `esb-postgres`"), "{}", by_code("CG908").message);
    assert_eq!(found.iter().filter(|f| f.code == Code::Rule(RuleCode::CG901)).map(|f| f.severity.as_str()).collect::<Vec<_>>(), ["warning", "warning"]);
}

#[test]
fn a_scheduled_backup_is_checked_against_the_cluster_of_another_block() {
    let runbook = "## Cluster\n\n```yaml\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: esb-postgres\nspec:\n  instances: 1\n  plugins:\n    - name: barman-cloud.cloudnative-pg.io\n      isWALArchiver: true\n      parameters:\n        barmanObjectName: esb-postgres-store\n  storage:\n    size: 10Gi\n```\n\n## Schedule\n\n```yaml\napiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: esb-postgres-daily\nspec:\n  schedule: \"0 0 2 * * *\"\n  cluster:\n    name: esb-postgres\n  method: barmanObjectStore\n```\n";
    let found = findings(runbook);
    assert_eq!(codes_and_lines(&found), [("CG903".to_string(), line_of(runbook, "method: barmanObjectStore", 1))], "{found:#?}");
    assert!(found[0].message.contains("cluster has no backup section"), "{}", found[0].message);
}

#[test]
fn a_block_s_own_cluster_wins_over_one_of_the_same_name_elsewhere() {
    let cluster = |backup: &str| format!("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\nspec:\n  instances: 1\n{backup}  storage:\n    size: 1Gi\n");
    let schedule = "apiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: db-daily\nspec:\n  schedule: \"0 0 2 * * *\"\n  cluster:\n    name: db\n  method: plugin\n  pluginConfiguration:\n    name: barman-cloud.cloudnative-pg.io\n";
    let plugin = "  plugins:\n    - name: barman-cloud.cloudnative-pg.io\n      parameters:\n        barmanObjectName: store\n";
    // The plugin variant and its schedule in one block, an in-tree variant of the same Cluster in another.
    let runbook = format!(
        "```yaml\n{}---\n{schedule}```\n\n```yaml\n{}```\n",
        cluster(plugin),
        cluster("  backup:\n    retentionPolicy: 30d\n    barmanObjectStore:\n      destinationPath: s3://bucket/db\n")
    );
    let found: Vec<DocFinding> = findings(&runbook).into_iter().filter(|f| f.code == Code::Rule(RuleCode::CG903)).collect();
    assert_eq!(found, Vec::new());
}

#[test]
fn the_spec_s_lint_settings_and_suppressions_apply() {
    let runbook = "```yaml\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  annotations:\n    cnpg.io/reload-secrets: \"true\"\n    chartgen/ignore-CG901: \"the runbook shows the setup before the migration\"\nspec:\n  instances: 1\n  backup:\n    retentionPolicy: 30d\n    barmanObjectStore:\n      destinationPath: s3://bucket/db\n  storage:\n    size: 1Gi\n```\n";
    assert_eq!(codes_and_lines(&findings(runbook)), [("CG907".to_string(), 7)]);
    let mut loaded = spec::load(None).unwrap();
    loaded.spec.lint.disable.push(RuleCode::CG907);
    assert_eq!(check_runbook(&loaded.spec, runbook).unwrap(), Vec::new());
}

#[test]
fn only_cnpg_resources_and_prometheus_rules_are_read() {
    // A Secret with the reload annotation is not a CloudNativePG resource; a CronJob's five fields are its own.
    let runbook = "```yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    cnpg.io/reload: \"true\"\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  schedule: \"0 0 2 * * *\"\n```\n```sh\nkubectl apply -f cluster.yaml\n```\n";
    assert_eq!(findings(runbook), Vec::new());
}

#[test]
fn a_five_field_scheduled_backup_in_a_runbook_is_cg101() {
    let runbook = "```yaml\napiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: db-backup\nspec:\n  schedule: \"0 2 * * *\"\n  cluster: {name: db}\n```\n";
    assert_eq!(codes_and_lines(&findings(runbook)), [("CG101".to_string(), 7)]);
}

