//! The alerts, checked by Prometheus' own tool: `promtool check rules` on the
//! rule groups of every combination of both example specs that renders a
//! PrometheusRule, and `promtool test rules` on the unit tests in
//! `tests/promtool/`, which feed the rendered rules kube-state-metrics and
//! application series and say which alerts must fire and which must not.
//!
//! promtool is Debian's `prometheus` package (2.42 here: older than 2.54,
//! so a bare duration in arithmetic is refused, as older servers refuse it).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use chartgen::matrix;
use chartgen::render::templates::Templates;
use chartgen::render::Release;
use chartgen::spec::{self, LoadedSpec};
use chartgen::values::{self, ValueInputs};

fn promtool() -> PathBuf {
    common::program("promtool", "prometheus")
}

fn specs() -> Vec<(&'static str, LoadedSpec)> {
    vec![
        ("certctl", spec::load(None).unwrap()),
        ("ledger", spec::load(Some(&common::root().join("fixtures/specs/ledger.yaml"))).unwrap()),
    ]
}

/// The rule groups of the PrometheusRule a values set renders, as a rules file.
fn rules_file(spec: &LoadedSpec, values: &values::Values) -> Option<String> {
    let release = Release::new("release-name", "default").unwrap();
    let manifests = Templates::builtin().render(&spec.spec, values, &release).unwrap();
    let rule = manifests.iter().find(|m| m.kind() == "PrometheusRule")?;
    // A PrometheusRule's spec is a Prometheus rules file; JSON is YAML.
    Some(serde_json::to_string_pretty(&rule.object["spec"]).unwrap())
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("promtool runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

#[test]
#[ignore = "needs promtool: Debian package prometheus (bash .ci/run installs it)"]
fn promtool_accepts_the_rules_of_every_combination_and_rpo() {
    let promtool = promtool();
    let dir = tempfile::tempdir().unwrap();
    let mut distinct = BTreeSet::new();
    for (_, spec) in specs() {
        for combination in matrix::full(&spec.spec, chartgen::values::flags::model_flags()) {
            if combination.flags.get(&chartgen::values::flags::ValuePath::parse("monitoring.prometheusRules.enabled")) != Some(&true.into()) {
                continue;
            }
            let loaded = matrix::values(&spec, &combination).unwrap();
            distinct.extend(rules_file(&spec, &loaded.values));
        }
        // RPOs in every unit a duration may have, as the threshold in seconds.
        for rpo in ["26h", "90m", "1h30m", "1500ms", "2w", "1y2d"] {
            let inputs = ValueInputs {
                set: vec![format!("backup.enabled=true,monitoring.prometheusRules.enabled=true,backup.rpo={rpo}")],
                ..Default::default()
            };
            let loaded = values::load(&spec.spec, &inputs).unwrap();
            distinct.extend(rules_file(&spec, &loaded.values));
        }
    }
    assert!(distinct.len() >= 6, "{} distinct rule files", distinct.len());
    let files: Vec<PathBuf> = distinct
        .iter()
        .enumerate()
        .map(|(i, text)| common::temp_file(&dir, &format!("rules-{i}.yaml"), text.as_bytes()))
        .collect();
    let output = run(Command::new(&promtool).arg("check").arg("rules").args(&files));
    assert_eq!(output.matches("SUCCESS").count(), files.len(), "{output}");
}

/// Runs a unit-test file of `tests/promtool/` against the rules a values set renders.
fn unit_tests(promtool: &Path, spec: &LoadedSpec, set: &str, test_file: &str, names: &[(&str, String)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let loaded = values::load(&spec.spec, &ValueInputs { set: vec![set.to_string()], ..Default::default() }).unwrap();
    let rules = rules_file(spec, &loaded.values).expect("the values render a PrometheusRule");
    common::temp_file(&dir, "rules.yaml", rules.as_bytes());
    let mut tests = std::fs::read_to_string(common::root().join("tests/promtool").join(test_file)).unwrap();
    for (placeholder, value) in names {
        tests = tests.replace(placeholder, value);
    }
    let path = common::temp_file(&dir, test_file, tests.as_bytes());
    run(Command::new(promtool).arg("test").arg("rules").arg(&path).current_dir(dir.path()))
}

#[test]
#[ignore = "needs promtool: Debian package prometheus (bash .ci/run installs it)"]
fn backup_alerts_fire_exactly_when_their_unit_tests_say() {
    let promtool = promtool();
    for (name, spec) in specs() {
        let chart = &spec.spec.chart.name;
        let app = spec.spec.app.name.clone();
        let names = [
            ("__APP__", app[..1].to_uppercase() + &app[1..]),
            ("__BACKUP__", format!("release-name-{chart}-backup")),
            ("__VERIFY__", format!("release-name-{chart}-verify")),
        ];
        let set = "backup.enabled=true,backup.verify.enabled=true,backup.rpo=2h,monitoring.prometheusRules.enabled=true";
        let output = unit_tests(&promtool, &spec, set, "backup-alerts.yaml", &names);
        assert!(output.contains("SUCCESS"), "{name}: {output}");
    }
}

#[test]
#[ignore = "needs promtool: Debian package prometheus (bash .ci/run installs it)"]
fn barman_alerts_fire_exactly_when_their_unit_tests_say_for_either_integration() {
    let promtool = promtool();
    let series = [
        ("plugin", "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp", "barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp"),
        ("inTree", "cnpg_collector_last_available_backup_timestamp", "cnpg_collector_last_failed_backup_timestamp"),
    ];
    for (name, spec) in specs() {
        let chart = &spec.spec.chart.name;
        let app = spec.spec.app.name.clone();
        for (integration, last_available, last_failed) in series {
            let names = [
                ("__APP__", app[..1].to_uppercase() + &app[1..]),
                ("__CLUSTER__", format!("release-name-{chart}-postgresql")),
                ("__LAST_AVAILABLE__", last_available.to_string()),
                ("__LAST_FAILED__", last_failed.to_string()),
            ];
            let set = format!(
                "postgresql.provider=cnpg,backup.enabled=true,backup.method=barman,backup.barman.integration={integration},\
                 backup.barman.objectStore.destinationPath=s3://wal-archive/{chart},backup.barman.pitr.schedule=0 0 * * * *,\
                 backup.barman.pitr.maxAge=2h,monitoring.prometheusRules.enabled=true"
            );
            let output = unit_tests(&promtool, &spec, &set, "barman-alerts.yaml", &names);
            assert!(output.contains("SUCCESS"), "{name} {integration}: {output}");
        }
    }
}

#[test]
#[ignore = "needs promtool: Debian package prometheus (bash .ci/run installs it)"]
fn velero_alerts_fire_exactly_when_their_unit_tests_say() {
    let promtool = promtool();
    for (name, spec) in specs() {
        let chart = &spec.spec.chart.name;
        let app = spec.spec.app.name.clone();
        let names = [("__APP__", app[..1].to_uppercase() + &app[1..]), ("__SCHEDULE__", format!("release-name-{chart}-volumes"))];
        let set = "velero.enabled=true,velero.schedule=0 * * * *,velero.maxAge=2h,monitoring.prometheusRules.enabled=true";
        let output = unit_tests(&promtool, &spec, set, "velero-alerts.yaml", &names);
        assert!(output.contains("SUCCESS"), "{name}: {output}");
    }
}

#[test]
#[ignore = "needs promtool: Debian package prometheus (bash .ci/run installs it)"]
fn application_alerts_fire_exactly_when_their_unit_tests_say() {
    let promtool = promtool();
    for (name, spec) in specs() {
        let output = unit_tests(&promtool, &spec, "monitoring.prometheusRules.enabled=true", &format!("{name}-alerts.yaml"), &[]);
        assert!(output.contains("SUCCESS"), "{name}: {output}");
    }
}
