//! The scripts in the rendered manifests are POSIX sh: they parse under dash
//! and busybox sh, as the images run them. They are taken from the rendered
//! manifests, so what is checked is exactly what ships. The script files
//! they come from pass shellcheck.

mod common;

use std::process::Command;

use chartgen::extract::Manifest;
use chartgen::render::templates::{Templates, SCRIPTS};
use chartgen::render::Release;
use chartgen::spec;
use chartgen::values::{self, ValueInputs};

/// Every `sh -c` script of every container, for the values given by `set`.
fn scripts(set: &str) -> Vec<(String, String)> {
    let loaded = spec::load(None).unwrap();
    let inputs = ValueInputs { set: vec![set.to_string()], ..ValueInputs::default() };
    let values = values::load(&loaded.spec, &inputs).unwrap().values;
    let manifests = Templates::builtin().render(&loaded.spec, &values, &Release::new("prod", "certs").unwrap()).unwrap();
    manifests.iter().flat_map(container_scripts).collect()
}

fn container_scripts(m: &Manifest) -> Vec<(String, String)> {
    let pod = match m.kind() {
        "CronJob" => &m.object["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => &m.object["spec"]["template"]["spec"],
    };
    let containers = pod["initContainers"].as_array().into_iter().chain(pod["containers"].as_array()).flatten();
    containers
        .filter(|c| c["command"] == serde_json::json!(["/bin/sh", "-c"]))
        .map(|c| (format!("{}/{}", m.name(), c["name"].as_str().unwrap()), c["args"][0].as_str().unwrap().to_string()))
        .collect()
}

fn check_with(shell: &[&str], name: &str, script: &str) {
    let output = Command::new(shell[0]).args(&shell[1..]).arg("-n").arg("-c").arg(script).output();
    match output {
        Ok(out) => assert!(out.status.success(), "{name} does not parse under {shell:?}: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => panic!("cannot run {shell:?}: {e}"),
    }
}

fn shells() -> Vec<Vec<&'static str>> {
    common::program("dash", "dash");
    common::program("busybox", "busybox");
    vec![vec!["dash"], vec!["busybox", "sh"]]
}
#[test]
#[ignore = "needs dash and busybox (bash .ci/run installs busybox)"]
fn every_script_parses_under_dash_and_busybox() {
    let mut seen = Vec::new();
    for set in [
        "backup.enabled=true,migrations.viaHook=true,backup.verify.enabled=true",
        "backup.enabled=true,backup.sink=s3,backup.s3.bucket=db-backups,backup.verify.enabled=true",
    ] {
        for (name, script) in scripts(set) {
            for shell in shells() {
                check_with(&shell, &name, &script);
            }
            seen.push(name);
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            "prod-certctl-backup/dump",
            "prod-certctl-backup/upload",
            "prod-certctl-migrate/wait-for-database",
            "prod-certctl-verify/download",
            "prod-certctl-verify/verify",
        ]
    );
}

#[test]
#[ignore = "needs dash and busybox (bash .ci/run installs busybox)"]
fn a_broken_script_would_be_caught() {
    for shell in shells() {
        let out = Command::new(shell[0]).args(&shell[1..]).args(["-n", "-c", "if true; then echo"]).output().unwrap();
        assert!(!out.status.success(), "{shell:?} accepted a script with a missing `fi`");
    }
}

#[test]
#[ignore = "needs shellcheck (bash .ci/run installs it)"]
fn every_script_file_passes_shellcheck_as_posix_sh() {
    let shellcheck = common::program("shellcheck", "shellcheck");
    assert!(!SCRIPTS.is_empty());
    for (_, path, _) in SCRIPTS {
        let out = Command::new(&shellcheck).args(["-s", "sh"]).arg(common::root().join(path)).output().unwrap();
        assert!(out.status.success(), "shellcheck -s sh {path}:\n{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
#[ignore = "needs shellcheck (bash .ci/run installs it)"]
fn shellcheck_with_the_project_settings_still_reports_an_unquoted_expansion() {
    let shellcheck = common::program("shellcheck", "shellcheck");
    // Beside a copy of the settings, as the script files sit under them.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::root().join("src/components/.shellcheckrc"), dir.path().join(".shellcheckrc")).unwrap();
    let (_, _, dump) = SCRIPTS.iter().find(|(name, _, _)| *name == "dump.sh").unwrap();
    let script = dir.path().join("dump.sh");
    std::fs::write(&script, format!("{dump}rm $BACKUP_DIR/old.dump\n")).unwrap();
    let out = Command::new(&shellcheck).args(["-s", "sh"]).arg(&script).output().unwrap();
    assert!(!out.status.success(), "shellcheck accepted an unquoted expansion");
    assert!(String::from_utf8_lossy(&out.stdout).contains("SC2086"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn each_script_file_is_printed_whole_where_a_container_runs_it() {
    let dump = "backup.enabled=true,backup.sink=s3,backup.s3.bucket=db-backups,backup.verify.enabled=true,migrations.viaHook=true";
    let barman = "postgresql.provider=cnpg,backup.enabled=true,backup.method=barman,backup.barman.objectStore.destinationPath=s3://db-backups/x,backup.verify.enabled=true";
    let rendered: Vec<String> = [dump, barman].into_iter().flat_map(scripts).map(|(_, script)| script).collect();
    for (name, _, text) in SCRIPTS {
        // A restore check's container runs restore-checks.sh, then its own script.
        assert!(rendered.iter().any(|script| script == text || script.starts_with(text) || script.ends_with(text)), "{name} is not any container's script");
    }
}
