//! The `--set` table in `tests/data/strvals-helm.json` is real Helm's answer
//! to each case. With a Python that has helm-python-sdk (`CHARTGEN_PYTHON`,
//! which `.ci/run` sets), Helm is asked again and must still agree, so the
//! table cannot drift from the Helm it claims to record.

mod common;

use std::process::Command;

#[test]
fn the_stored_strvals_table_is_what_real_helm_answers() {
    let Some(python) = std::env::var_os("CHARTGEN_PYTHON") else {
        assert!(std::env::var_os("CI").is_none(), "CI must set CHARTGEN_PYTHON (see .ci/run)");
        eprintln!("SKIPPED: set CHARTGEN_PYTHON to a Python with helm-python-sdk (bash .ci/run does) to ask real Helm");
        return;
    };
    let root = common::root();
    let output = Command::new(python)
        .arg(root.join("tests/helm/strvals_oracle.py"))
        .arg(root.join("tests/data/strvals-cases.json"))
        .output()
        .expect("the oracle runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let live: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tests/data/strvals-helm.json")).unwrap()).unwrap();
    assert_eq!(live, stored, "regenerate with: $CHARTGEN_PYTHON tests/helm/strvals_oracle.py tests/data/strvals-cases.json > tests/data/strvals-helm.json");
}
