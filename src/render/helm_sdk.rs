//! helm-python-sdk as a renderer: Helm's engine in a Python process that
//! loads the chart once and renders values sets sent over a pipe, one
//! process per core, milliseconds a rendering.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rayon::prelude::*;

use super::helm_output::{documents, failure, Parsed};
use super::{HelmRenderer, Release, Rendered};
use crate::diagnostic::{BadInput, Diagnostic};
use crate::progress::Progress;

const SCRIPT: &str = include_str!("helm_sdk.py");

/// How to get helm-python-sdk, for the errors that say it is missing.
pub const HOW_TO_GET_SDK: &str = "install helm-python-sdk (`python3 -m pip install helm-python-sdk`) and set CHARTGEN_PYTHON to that Python if it is not `python3` on PATH; --renderer helm runs the helm binary instead";

pub struct HelmSdk {
    python: OsString,
    chart_dir: PathBuf,
    chart: String,
    parsed: Parsed,
}

impl HelmSdk {
    /// The Python of `CHARTGEN_PYTHON`, else `python3`, after checking it has helm-python-sdk.
    pub fn new(chart_dir: &Path, chart: &str) -> Result<HelmSdk, BadInput> {
        let python = std::env::var_os("CHARTGEN_PYTHON").filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into());
        let probe = Command::new(&python).args(["-c", "import helm_python"]).output().map_err(|e| {
            Diagnostic::plain(format!("cannot run Python `{}` for the helm-sdk renderer: {e}", python.to_string_lossy())).with_help(HOW_TO_GET_SDK)
        })?;
        if !probe.status.success() {
            return Err(Diagnostic::plain(format!("Python `{}` has no helm-python-sdk", python.to_string_lossy())).with_help(HOW_TO_GET_SDK).into());
        }
        Ok(HelmSdk { python, chart_dir: chart_dir.to_path_buf(), chart: chart.to_string(), parsed: Parsed::default() })
    }

    /// Renders `values` (by index) in one process.
    fn render_batch(&self, batch: &[(usize, &serde_json::Value)], release: &Release, progress: &Progress) -> Result<Vec<(usize, Rendered)>, BadInput> {
        let broken = |what: String| -> BadInput { Diagnostic::plain(format!("the helm-sdk renderer {what}")).with_help(HOW_TO_GET_SDK).into() };
        let mut child = Command::new(&self.python)
            .args(["-c", SCRIPT])
            .arg(&self.chart_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| broken(format!("cannot start: {e}")))?;
        let mut stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        // Read aside, so that warnings Helm writes there never fill the pipe and stall the renderings.
        let mut stderr_pipe = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr_pipe, &mut text);
            text
        });
        let mut line = String::new();
        let mut answer = |line: &mut String| -> Option<serde_json::Value> {
            line.clear();
            stdout.read_line(line).ok().filter(|n| *n > 0)?;
            serde_json::from_str(line).ok()
        };
        let mut stderr = Some(stderr);
        let mut died = |child: &mut std::process::Child| {
            let _ = child.kill();
            let _ = child.wait();
            let said = stderr.take().and_then(|reader| reader.join().ok()).unwrap_or_default();
            broken(format!("stopped: {}", said.trim()))
        };
        if answer(&mut line).is_none() {
            return Err(died(&mut child));
        }
        let mut out = Vec::with_capacity(batch.len());
        for (index, values) in batch {
            let request = serde_json::json!({"values": values, "name": release.name, "namespace": release.namespace});
            if writeln!(stdin, "{request}").and_then(|()| stdin.flush()).is_err() {
                return Err(died(&mut child));
            }
            let Some(reply) = answer(&mut line) else { return Err(died(&mut child)) };
            let rendered = match (&reply["manifests"], reply["error"].as_str()) {
                (serde_json::Value::Object(files), _) => {
                    let mut files: Vec<(String, String)> = files.iter().map(|(path, text)| (path.clone(), text.as_str().unwrap_or_default().to_string())).collect();
                    files.sort();
                    documents(&self.chart, files, &self.parsed)
                }
                (_, Some(error)) => Err(failure(&self.chart, error)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(broken(format!("answered what it should not: {}", line.trim())));
                }
            };
            out.push((*index, rendered));
            progress.advance();
        }
        drop(stdin);
        let _ = child.wait();
        Ok(out)
    }
}

impl HelmRenderer for HelmSdk {
    fn render_all(&self, values: &[serde_json::Value], release: &Release, progress: &Progress) -> Result<Vec<Rendered>, BadInput> {
        let processes = rayon::current_num_threads().clamp(1, values.len().max(1));
        // Every n-th values set to the same process, so that each gets a share of every part of the matrix.
        let batches: Vec<Vec<(usize, &serde_json::Value)>> = (0..processes).map(|p| values.iter().enumerate().skip(p).step_by(processes).collect()).collect();
        let rendered = batches.par_iter().map(|batch| self.render_batch(batch, release, progress)).collect::<Result<Vec<_>, BadInput>>()?;
        let mut all: Vec<(usize, Rendered)> = rendered.into_iter().flatten().collect();
        all.sort_by_key(|(index, _)| *index);
        Ok(all.into_iter().map(|(_, rendered)| rendered).collect())
    }
}
