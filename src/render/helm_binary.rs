//! The `helm` binary as a renderer: `helm template` once per values set,
//! as many processes at a time as there are cores.

use std::path::{Path, PathBuf};
use std::process::Command;

use rayon::prelude::*;

use super::helm_output::{documents, failure, stream_files, Parsed};
use super::{HelmRenderer, Release, Rendered};
use crate::diagnostic::{BadInput, Diagnostic};
use crate::progress::Progress;

pub struct HelmBinary {
    helm: PathBuf,
    chart_dir: PathBuf,
    chart: String,
    parsed: Parsed,
}

/// How to get Helm, for the errors that say it is missing.
pub const HOW_TO_GET_HELM: &str =
    "install Helm 3.8 or later (https://helm.sh/docs/intro/install/) and put `helm` on PATH, or point --helm at the binary; --renderer helm-sdk uses helm-python-sdk instead";

impl HelmBinary {
    /// The binary at `helm` (a path, or a name looked up on PATH), after checking it runs.
    pub fn new(helm: &Path, chart_dir: &Path, chart: &str) -> Result<HelmBinary, BadInput> {
        let version = Command::new(helm).args(["version", "--short"]).output().map_err(|e| {
            Diagnostic::plain(format!("cannot run the helm binary `{}`: {e}", helm.display())).with_help(HOW_TO_GET_HELM)
        })?;
        if !version.status.success() {
            return Err(Diagnostic::plain(format!("`{} version` failed: {}", helm.display(), String::from_utf8_lossy(&version.stderr).trim())).with_help(HOW_TO_GET_HELM).into());
        }
        Ok(HelmBinary { helm: helm.to_path_buf(), chart_dir: chart_dir.to_path_buf(), chart: chart.to_string(), parsed: Parsed::default() })
    }

    fn render_one(&self, work: &Path, index: usize, values: &serde_json::Value, release: &Release) -> Result<Rendered, BadInput> {
        // Helm reads JSON as the YAML it is.
        let file = work.join(format!("values-{index}.json"));
        std::fs::write(&file, values.to_string()).map_err(|e| Diagnostic::plain(format!("cannot write {}: {e}", file.display())))?;
        let output = Command::new(&self.helm)
            .args(["template", &release.name])
            .arg(&self.chart_dir)
            .args(["--namespace", &release.namespace, "--values"])
            .arg(&file)
            .output()
            .map_err(|e| Diagnostic::plain(format!("cannot run `{} template`: {e}", self.helm.display())).with_help(HOW_TO_GET_HELM))?;
        let _ = std::fs::remove_file(&file);
        if !output.status.success() {
            return Ok(Err(failure(&self.chart, &String::from_utf8_lossy(&output.stderr))));
        }
        Ok(stream_files(&String::from_utf8_lossy(&output.stdout)).and_then(|files| documents(&self.chart, files, &self.parsed)))
    }
}

impl HelmRenderer for HelmBinary {
    fn render_all(&self, values: &[serde_json::Value], release: &Release, progress: &Progress) -> Result<Vec<Rendered>, BadInput> {
        let work = tempfile::tempdir().map_err(|e| Diagnostic::plain(format!("cannot create a work directory: {e}")))?;
        values
            .par_iter()
            .enumerate()
            .map(|(index, values)| {
                let rendered = self.render_one(work.path(), index, values, release);
                progress.advance();
                rendered
            })
            .collect()
    }
}
