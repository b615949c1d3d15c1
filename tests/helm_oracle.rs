//! The `--set` table in `tests/data/strvals-helm.json` is real Helm's answer
//! to each case. With a Python that has helm-python-sdk (`CHARTGEN_PYTHON`,
//! which `.ci/run` sets), Helm is asked again and must still agree, so the
//! table cannot drift from the Helm it claims to record.

mod common;

use std::process::Command;

#[test]
#[ignore = "needs real Helm: helm-python-sdk in CHARTGEN_PYTHON (bash .ci/run installs it)"]
fn the_stored_strvals_table_is_what_real_helm_answers() {
    let python = common::helm_python();
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
