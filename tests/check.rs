//! `chartgen check`: every check can fail, with the right message, and the
//! goldens are never written silently.

mod common;

use std::path::{Path, PathBuf};

use common::{chartgen, root, template_overlay, Run};

/// A copy of the built-in goldens, to change without touching the project's.
fn golden_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("fixtures/golden/certctl")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn check(args: &[&str]) -> Run {
    let mut all = vec!["check"];
    all.extend(args);
    let run = chartgen(&all);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn check_templates(templates: &Path, only: &str) -> Run {
    let golden = golden_copy();
    check(&["--templates", templates.to_str().unwrap(), "--golden", golden.path().to_str().unwrap(), "--only", only])
}

#[test]
fn every_combination_of_the_builtin_spec_passes() {
    let run = check(&[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.trim_end().ends_with(" ms (built-in certctl example)"), "{}", run.stdout);
    assert!(run.stdout.contains("1010 combinations, 7301 documents, 1 runbook, 0 findings in "), "{}", run.stdout);
}

#[test]
fn every_combination_of_the_second_spec_passes() {
    let spec = root().join("fixtures/specs/ledger.yaml");
    let run = chartgen(&["--spec", spec.to_str().unwrap(), "check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn a_misspelt_field_is_caught_with_the_template_line_and_the_right_name() {
    let templates = template_overlay("backup-cronjob.yaml.j2", "concurrencyPolicy: Forbid", "concurrencyPollicy: Forbid");
    let run = check_templates(templates.path(), "backup");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("CronJob/release-name-certctl-backup"), "{}", run.stdout);
    assert!(run.stdout.contains("error[kube-schema] /spec: unknown field `concurrencyPollicy`; did you mean `concurrencyPolicy`?"), "{}", run.stdout);
    // The finding points into the directory the templates were given in.
    assert!(run.stdout.contains(&format!("--> {}/backup-cronjob.yaml.j2:16", templates.path().display())), "{}", run.stdout);
}

#[test]
fn a_wrong_type_is_caught() {
    let templates = template_overlay("backup-cronjob.yaml.j2", "backoffLimit: {{ backup.backoffLimit | yaml }}", "backoffLimit: {{ backup.backoffLimit | yaml_str }}");
    let run = check_templates(templates.path(), "backup");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[kube-schema] /spec/jobTemplate/spec/backoffLimit: wrong type: \"2\" is not of type \"integer\""), "{}", run.stdout);
}

#[test]
fn a_missing_required_field_is_caught() {
    let templates = template_overlay("postgresql-statefulset.yaml.j2", "  selector:\n    matchLabels: {{ selector_labels(component.database, 6) }}\n", "");
    let run = check_templates(templates.path(), "defaults");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("StatefulSet/release-name-certctl-postgresql"), "{}", run.stdout);
    assert!(run.stdout.contains("/spec: missing required field `selector`"), "{}", run.stdout);
}

#[test]
fn a_bad_enum_is_caught() {
    let templates = template_overlay("postgresql-statefulset.yaml.j2", "type: OnDelete", "type: OnDemand");
    let run = check_templates(templates.path(), "defaults");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("/spec/updateStrategy/type: \"OnDemand\" is not one of [\"RollingUpdate\",\"OnDelete\"]"), "{}", run.stdout);
}

#[test]
fn a_prometheus_rule_with_a_bad_for_is_caught() {
    let templates = template_overlay("prometheusrule.yaml.j2", "for: {{ alert.for | yaml }}", "for: 1 hour");
    let run = check_templates(templates.path(), "prometheusRules");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[crd-schema] /spec/groups/0/rules/0/for: \"1 hour\" does not match"), "{}", run.stdout);
}

#[test]
fn a_dangling_secret_reference_is_caught() {
    let templates = template_overlay(
        "_s3.j2",
        "{name: {{ s3.credentialsSecret.name | yaml }}, key: {{ s3.credentialsSecret.accessKeyIdKey | yaml }}}",
        "{name: uploader-keys, key: {{ s3.credentialsSecret.accessKeyIdKey | yaml }}}",
    );
    let run = check_templates(templates.path(), "backup+sink-s3");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[reference]"), "{}", run.stdout);
    assert!(run.stdout.contains("Secret `uploader-keys` is neither rendered in this combination nor declared external in the values"), "{}", run.stdout);
}

#[test]
fn a_stale_golden_fails_with_a_diff() {
    let golden = golden_copy();
    let file = golden.path().join("defaults.yaml");
    let text = std::fs::read_to_string(&file).unwrap().replace("type: OnDelete", "type: RollingUpdate");
    std::fs::write(&file, text).unwrap();
    let run = check(&["--golden", golden.path().to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[golden-mismatch]"), "{}", run.stdout);
    assert!(run.stdout.contains("      -    type: RollingUpdate\n") && run.stdout.contains("      +    type: OnDelete\n"), "{}", run.stdout);
    assert!(run.stdout.contains("1010 combinations, 7301 documents, 1 runbook, 1 finding in"), "{}", run.stdout);
}

#[test]
fn a_missing_golden_fails_and_is_not_written() {
    let golden = tempfile::tempdir().unwrap();
    let run = check(&["--golden", golden.path().to_str().unwrap(), "--only", "defaults"]);
    assert_eq!(run.code, 1);
    // The command that fixes it names the directory, so following it updates the right goldens.
    let fix = format!("accept it with `chartgen check --update --golden {}`", golden.path().display());
    assert!(run.stdout.contains(&format!("error[golden-missing] no golden snapshot; review the rendering and {fix}")), "{}", run.stdout);
    assert_eq!(std::fs::read_dir(golden.path()).unwrap().count(), 0);
}

#[test]
fn update_writes_new_goldens_and_deletes_those_of_vanished_combinations() {
    let golden = golden_copy();
    std::fs::remove_file(golden.path().join("defaults.yaml")).unwrap();
    std::fs::write(golden.path().join("no-longer-a-combination.yaml"), vanished_golden()).unwrap();
    let run = check(&["--golden", golden.path().to_str().unwrap(), "--update"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("created golden of defaults"), "{}", run.stdout);
    assert!(run.stdout.contains("deleted stale golden"), "{}", run.stdout);
    assert!(!golden.path().join("no-longer-a-combination.yaml").exists());
    let again = check(&["--golden", golden.path().to_str().unwrap()]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

/// A golden as chartgen wrote it for a combination that no longer exists.
fn vanished_golden() -> String {
    let golden = std::fs::read_to_string(root().join("fixtures/golden/certctl/backup.yaml")).unwrap();
    assert!(golden.starts_with("# chartgen golden snapshot of combination `backup` ("), "{golden}");
    golden.replacen("`backup`", "`no-longer-a-combination`", 1)
}

#[test]
fn update_deletes_only_the_goldens_chartgen_wrote() {
    let golden = golden_copy();
    let theirs = [
        ("values-prod.yaml", "# Production values, kept with the goldens.\nbackup:\n  enabled: true\n".to_string()),
        ("chartgen.yaml", std::fs::read_to_string(root().join("fixtures/specs/certctl.yaml")).unwrap()),
        // A golden copied by hand under another name names another combination.
        ("defaults-reviewed.yaml", std::fs::read_to_string(golden.path().join("defaults.yaml")).unwrap()),
    ];
    for (name, text) in &theirs {
        std::fs::write(golden.path().join(name), text).unwrap();
    }
    std::fs::write(golden.path().join("no-longer-a-combination.yaml"), vanished_golden()).unwrap();
    let run = check(&["--golden", golden.path().to_str().unwrap(), "--update"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(!golden.path().join("no-longer-a-combination.yaml").exists(), "{}", run.stdout);
    for (name, text) in &theirs {
        assert_eq!(&std::fs::read_to_string(golden.path().join(name)).unwrap(), text, "{name} was changed");
    }
    assert_eq!(run.stdout.matches("deleted stale golden").count(), 1, "{}", run.stdout);
}

#[test]
#[ignore = "needs the upstream CRDs in ../shared/crds"]
fn the_upstream_prometheus_operator_crd_accepts_what_chartgen_emits() {
    let crds = common::shared_crds();
    let run = check(&["--crds", crds.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
#[ignore = "needs the upstream CRDs in ../shared/crds"]
fn the_upstream_crd_catches_a_bad_for_too() {
    let crds = common::shared_crds();
    let templates = template_overlay("prometheusrule.yaml.j2", "for: {{ alert.for | yaml }}", "for: 1 hour");
    let golden = golden_copy();
    let run = check(&["--crds", crds.to_str().unwrap(), "--templates", templates.path().to_str().unwrap(), "--golden", golden.path().to_str().unwrap(), "--only", "prometheusRules"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[crd-schema] /spec/groups/0/rules/0/for"), "{}", run.stdout);
}

#[test]
#[ignore = "needs the upstream CRDs in ../shared/crds"]
fn the_upstream_velero_crd_and_chartgen_s_schema_both_catch_a_misspelt_schedule_field() {
    let crds = common::shared_crds();
    let templates = template_overlay("velero-schedule.yaml.j2", "snapshotMoveData:", "snapshotMovesData:");
    let golden = golden_copy();
    let only = "velero";
    let own = check(&["--templates", templates.path().to_str().unwrap(), "--golden", golden.path().to_str().unwrap(), "--only", only]);
    assert_eq!(own.code, 1);
    assert!(own.stdout.contains("error[crd-schema] /spec/template: unknown field `snapshotMovesData`; did you mean `snapshotMoveData`?"), "{}", own.stdout);
    let upstream = check(&["--crds", crds.to_str().unwrap(), "--templates", templates.path().to_str().unwrap(), "--golden", golden.path().to_str().unwrap(), "--only", only]);
    assert_eq!(upstream.code, 1);
    assert!(upstream.stdout.contains("error[crd-schema] /spec/template: unknown field `snapshotMovesData`"), "{}", upstream.stdout);
    // The unchanged Schedule passes the upstream CRD: the_upstream_prometheus_operator_crd_accepts_what_chartgen_emits checks every combination.
}

/// A check whose templates hold a misspelt field, and the misspelt template's path.
fn failing_run(format: &str) -> (Run, String) {
    let templates = template_overlay("backup-cronjob.yaml.j2", "concurrencyPolicy: Forbid", "concurrencyPollicy: Forbid");
    let golden = golden_copy();
    let run = check(&["--templates", templates.path().to_str().unwrap(), "--golden", golden.path().to_str().unwrap(), "--only", "backup", "--format", format]);
    (run, format!("{}/backup-cronjob.yaml.j2", templates.path().display()))
}

#[test]
fn json_output_has_the_documented_shape() {
    let (run, template) = failing_run("json");
    assert_eq!(run.code, 1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["combinations"], 1);
    let combination = &report["combinations"][0];
    assert_eq!(combination["id"], "backup");
    assert_eq!(combination["flags"]["backup.sink"], "pvc");
    let finding = combination["findings"].as_array().unwrap().iter().find(|f| f["check"] == "kube-schema").unwrap();
    assert_eq!(finding["document"], "CronJob/release-name-certctl-backup");
    assert_eq!(finding["pointer"], "/spec");
    assert_eq!(finding["file"], template);
    assert_eq!(finding["line"], 16);
}

#[test]
fn junit_output_has_one_testcase_per_combination_and_runbook() {
    let (run, _) = failing_run("junit");
    assert_eq!(run.code, 1);
    assert!(run.stdout.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"chartgen check\" tests=\"2\" failures=\"1\""), "{}", run.stdout);
    assert_eq!(run.stdout.matches("<testcase ").count(), 2);
    assert!(run.stdout.contains("<testcase classname=\"certctl\" name=\"runbook &lt;built-in&gt;/docs/runbook.md\"/>"), "{}", run.stdout);
    assert!(run.stdout.contains("<failure type=\"kube-schema\""), "{}", run.stdout);
}

#[test]
fn sarif_output_locates_results_in_the_template_files() {
    let (run, template) = failing_run("sarif");
    assert_eq!(run.code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert!(driver["rules"].as_array().unwrap().iter().any(|r| r["id"] == "kube-schema"));
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "kube-schema");
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], template);
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 16);
}

#[test]
fn github_output_is_workflow_annotations() {
    let (run, template) = failing_run("github");
    assert_eq!(run.code, 1);
    let first = run.stdout.lines().next().unwrap();
    assert!(first.starts_with(&format!("::error file={template},line=16,")), "{first}");
    assert!(first.contains(",line=16,title=chartgen kube-schema (backup)::CronJob/release-name-certctl-backup /spec: unknown field"), "{first}");
}

#[test]
fn list_prints_each_combination_with_its_flags() {
    let run = check(&["--list"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("backup+sink-s3 "), "{}", run.stdout);
    let line = run.stdout.lines().find(|l| l.starts_with("backup+sink-s3 ")).unwrap();
    assert!(line.ends_with("backup.enabled=true backup.method=dump backup.sink=s3 backup.verify.enabled=false migrations.viaHook=false monitoring.prometheusRules.enabled=false networkPolicy.enabled=false postgresql.auth.create=false postgresql.enabled=true postgresql.provider=statefulset velero.enabled=false"), "{line}");
    assert!(run.stdout.ends_with("1010 combinations\n"));
}

#[test]
fn pairwise_checks_fewer_combinations() {
    let run = check(&["--list", "--strategy", "pairwise"]);
    assert_eq!(run.code, 0);
    let count: usize = run.stdout.lines().last().unwrap().split(' ').next().unwrap().parse().unwrap();
    // Every pair of values of two flags, against 1010 for every combination.
    assert!(count < 30, "{count}");
    assert_eq!(check(&["--strategy", "pairwise"]).code, 0);
}

#[test]
fn an_only_pattern_that_matches_nothing_is_bad_input() {
    let run = check(&["--only", "nothing-like-this*"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no combination matches --only nothing-like-this*"), "{}", run.stderr);
}

#[test]
fn another_kubernetes_version_is_refused() {
    let run = check(&["--kube-version", "1.30"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Kubernetes 1.33 only"), "{}", run.stderr);
    assert_eq!(check(&["--kube-version", "v1.33.2", "--only", "defaults"]).code, 0);
}

#[test]
fn the_version_names_the_kubernetes_schemas() {
    let run = chartgen(&["--version"]);
    assert!(run.stdout.contains("Kubernetes schemas: 1.33"), "{}", run.stdout);
}

#[test]
fn bad_values_in_a_scenario_are_bad_input_with_their_location() {
    let spec_dir = tempfile::tempdir().unwrap();
    let scenarios = spec_dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::write(scenarios.join("typo.yaml"), "backup:\n  pvc:\n    storageClass: fast\n").unwrap();
    let spec = std::fs::read_to_string(root().join("fixtures/specs/certctl.yaml")).unwrap().replace("scenarios: ../scenarios", "scenarios: scenarios");
    let spec_path: PathBuf = spec_dir.path().join("chartgen.yaml");
    std::fs::write(&spec_path, spec).unwrap();
    let run = chartgen(&["--spec", spec_path.to_str().unwrap(), "check", "--list"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("typo.yaml:3:5"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `storageClassName`?"), "{}", run.stderr);
}

/// `check` renders each template once per value of the flags it reads and
/// reuses that for every combination; `render` renders every template of one
/// values set. Both must give every golden exactly (which `check` itself
/// compares with what it rendered).
#[test]
fn a_full_rendering_of_each_combination_matches_its_golden() {
    use chartgen::render::templates::Templates;
use chartgen::render::Release;
    let specs = [
        chartgen::spec::load(None).unwrap(),
        chartgen::spec::load(Some(&root().join("fixtures/specs/ledger.yaml"))).unwrap(),
    ];
    for spec in &specs {
        let golden = spec.resolve(spec.spec.check.golden.as_deref().unwrap());
        let release = Release::new(chartgen::check::RELEASE.0, chartgen::check::RELEASE.1).unwrap();
        for combination in chartgen::matrix::select(spec, chartgen::matrix::Strategy::Full, None).unwrap() {
            let values = chartgen::matrix::values(spec, &combination).unwrap();
            let manifests = Templates::builtin().render(&spec.spec, &values.values, &release).unwrap();
            let text = chartgen::check::golden_text(&spec.spec.chart.name, &combination, &manifests);
            let path = chartgen::snapshot::path(&golden, &combination.id);
            assert_eq!(path.read_to_string().unwrap(), text, "{path}");
        }
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chartgen"))
        .args(["check", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read ten bytes, then close the pipe, as `| head -c 10` does.
    let mut first = [0u8; 10];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn help_says_what_the_exit_codes_mean() {
    for flag in ["-h", "--help"] {
        let run = chartgen(&[flag]);
        assert!(run.stdout.contains("Exit codes: 0 success"), "{flag}: {}", run.stdout);
        assert!(run.stdout.contains("chartgen.yaml"), "{flag} says which spec is used: {}", run.stdout);
    }
}

#[test]
fn junit_names_no_document_where_a_finding_has_none() {
    let golden = tempfile::tempdir().unwrap();
    let run = check(&["--golden", golden.path().to_str().unwrap(), "--only", "defaults", "--format", "junit"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("[golden-missing] no golden snapshot"), "{}", run.stdout);
    assert!(!run.stdout.contains(" - : ") && !run.stdout.contains("] - "), "{}", run.stdout);
}

/// A Cluster that names both an image and an image catalog.
fn cluster_with_image_and_catalog() -> tempfile::TempDir {
    template_overlay("_cluster.j2", "{{ image_or_catalog(values.postgresql.cnpg.image, values.postgresql.cnpg.imageCatalog, \"postgresql.cnpg.io\", 0) }}", "imageName: postgres:16\nimageCatalogRef: {apiGroup: postgresql.cnpg.io, kind: ClusterImageCatalog, name: postgresql, major: 16}")
}

/// An ObjectStore whose configuration names a server, which only the Cluster's plugin entry may.
fn object_store_with_server_name() -> tempfile::TempDir {
    template_overlay("_barman.j2", "destinationPath: ", "serverName: elsewhere\ndestinationPath: ")
}

#[test]
fn the_own_cloudnative_pg_schemas_refuse_unknown_fields_and_apply_their_cel_rules() {
    let run = check_templates(cluster_with_image_and_catalog().path(), "provider-cnpg");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[crd-schema] /spec: imageName and imageCatalogRef are mutually exclusive (CEL rule"), "{}", run.stdout);
    let misspelt = template_overlay("postgresql-cluster.yaml.j2", "isWALArchiver: true", "isWalArchiver: true");
    let run = check_templates(misspelt.path(), "provider-cnpg+backup+method-barman");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[crd-schema] /spec/plugins/0: unknown field `isWalArchiver`; did you mean `isWALArchiver`?"), "{}", run.stdout);
    let run = check_templates(object_store_with_server_name().path(), "provider-cnpg+backup+method-barman");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[crd-schema] /spec/configuration/serverName: the plugin reads the server name from the Cluster's plugin parameters"), "{}", run.stdout);
}

#[test]
#[ignore = "needs the upstream CRDs in ../shared/crds"]
fn the_upstream_cloudnative_pg_crds_cel_rules_catch_what_they_forbid() {
    let crds = common::shared_crds();
    let golden = golden_copy();
    let with_crds = |templates: &Path, only: &str| {
        check(&["--crds", crds.to_str().unwrap(), "--templates", templates.to_str().unwrap(), "--golden", golden.path().to_str().unwrap(), "--only", only])
    };
    let run = with_crds(cluster_with_image_and_catalog().path(), "provider-cnpg");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[crd-schema] /spec: imageName and imageCatalogRef are mutually exclusive (CEL rule `!(has(self.imageCatalogRef) && has(self.imageName))`)"), "{}", run.stdout);
    assert!(!run.stdout.contains("unknown field `imageCatalogRef`"), "the real CRD knows the field: {}", run.stdout);
    let run = with_crds(object_store_with_server_name().path(), "provider-cnpg+backup+method-barman");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[crd-schema] /spec/configuration/serverName: use the 'serverName' plugin parameter in the Cluster resource (CEL rule `!has(self.serverName)`)"), "{}", run.stdout);
    // The unchanged templates pass the same CRDs: the_upstream_prometheus_operator_crd_accepts_what_chartgen_emits checks every combination.
}
