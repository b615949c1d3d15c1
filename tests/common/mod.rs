//! Helpers shared by the integration tests: run the real binary, find
//! fixtures, and find the real tools some tests need. Those tests are
//! `#[ignore]`d with the reason, so `cargo test` lists them as ignored;
//! `bash .ci/run` provides the tools and runs them with `-- --ignored`, and
//! a missing tool then fails the test instead of skipping it.
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

/// The Python with helm-python-sdk (real Helm) that `CHARTGEN_PYTHON` names.
pub fn helm_python() -> std::ffi::OsString {
    std::env::var_os("CHARTGEN_PYTHON").expect("set CHARTGEN_PYTHON to a Python with helm-python-sdk (bash .ci/run does)")
}

/// A program on PATH, which the test cannot run without.
pub fn program(name: &str, package: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{name} is not on PATH: install the Debian package {package} (bash .ci/run does)"))
}

/// The upstream CRDs of `../shared/crds`.
pub fn shared_crds() -> PathBuf {
    let crds = root().join("../shared/crds");
    assert!(crds.is_dir(), "{} is absent: the upstream CRDs are not available here", crds.display());
    crds
}

/// A `--templates` overlay directory holding one built-in template, edited:
/// `from` replaced by `to` once (it must be there).
pub fn template_overlay(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let (_, _, text) = chartgen::render::templates::TEMPLATES.iter().find(|(name, _, _)| *name == file).unwrap_or_else(|| panic!("no built-in template {file}"));
    assert!(text.contains(from), "{file} has no `{from}`");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text.replacen(from, to, 1)).unwrap();
    dir
}
