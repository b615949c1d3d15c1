//! Helpers shared by the integration tests: run the real binary, find fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of `chartgen` produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the built `chartgen` with `args`, with colour off.
pub fn chartgen<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_chartgen"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("chartgen runs");
    Run {
        code: output.status.code().expect("chartgen exits with a code"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The two example specs: the built-in certctl one (no `--spec`) and the ledger fixture.
pub fn specs() -> Vec<(&'static str, Vec<String>)> {
    let ledger = root().join("fixtures/specs/ledger.yaml");
    vec![("certctl", vec![]), ("ledger", vec!["--spec".to_string(), ledger.display().to_string()])]
}

/// A file in a fresh temporary directory.
pub fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("the temp file is written");
    path
}

pub fn display(path: &Path) -> String {
    path.display().to_string()
}
