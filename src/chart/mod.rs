//! A Helm chart written by hand: what `check --chart` and `lint --chart`
//! read of it before Helm renders it. Its metadata, its default values
//! (located, for findings about them), its values schema when it has one,
//! its template texts (to find flags and to place findings) and its
//! scenario files; the flags found in them ([`flags`]); and the matrix
//! settings beside it ([`config`]).

pub mod config;
pub mod flags;

use std::path::{Path, PathBuf};

use crate::diagnostic::{BadInput, Diagnostic, Origin, Source};
use crate::place::Place;
use crate::source::{load_file, Node};

/// A chart directory, read.
#[derive(Debug, Clone)]
pub struct HelmChart {
    pub dir: PathBuf,
    /// `name` of Chart.yaml: the first segment of Helm's `# Source:` paths.
    pub name: String,
    /// values.yaml, located.
    pub values: Node,
    /// values.schema.json, when the chart has one.
    pub schema: Option<serde_json::Value>,
    /// Each template file, by its path inside the chart (`templates/x.yaml`,
    /// `charts/sub/templates/y.yaml`), with its text.
    pub templates: Vec<(String, String)>,
    /// The chart's example values: `ci/*-values.yaml` (chart-testing's
    /// convention) and `examples/*.yaml`, each a scenario of the check.
    pub scenarios: Vec<Place>,
}

/// The largest template file read; Helm's own limit for a chart file is larger, but no template is.
const MAX_TEMPLATE_BYTES: u64 = 4 << 20;

impl HelmChart {
    /// Reads a chart directory: Chart.yaml (apiVersion v1 or v2, a name),
    /// values.yaml, values.schema.json, templates and scenarios. Every
    /// problem is reported at once.
    pub fn load(dir: &Path) -> Result<HelmChart, BadInput> {
        let chart_file = dir.join("Chart.yaml");
        if !chart_file.is_file() {
            return Err(Diagnostic::plain(format!("{} is not a Helm chart: it has no Chart.yaml", dir.display()))
                .with_help("give --chart the directory that holds Chart.yaml, values.yaml and templates/")
                .into());
        }
        let mut problems = Vec::new();
        let name = match load_file(&chart_file) {
            Ok(meta) => chart_name(&meta).map_err(|d| problems.push(d)).unwrap_or_default(),
            Err(d) => {
                problems.push(d);
                String::new()
            }
        };
        let values_file = dir.join("values.yaml");
        let values = if values_file.is_file() {
            load_file(&values_file).map_err(|d| problems.push(d)).unwrap_or_else(|()| Node::empty_map(Origin::Default))
        } else {
            Node::empty_map(Origin::Default)
        };
        let schema_file = dir.join("values.schema.json");
        let schema = if schema_file.is_file() { read_schema(&schema_file).map_err(|d| problems.push(d)).ok() } else { None };
        let mut templates = Vec::new();
        read_templates(dir, Path::new("templates"), &mut templates, &mut problems);
        for sub in sorted_entries(&dir.join("charts")).into_iter().filter(|p| p.is_dir()) {
            let relative = sub.strip_prefix(dir).expect("a child of the chart").join("templates");
            read_templates(dir, &relative, &mut templates, &mut problems);
        }
        let mut scenarios: Vec<Place> = sorted_entries(&dir.join("ci"))
            .into_iter()
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("-values.yaml")))
            .chain(sorted_entries(&dir.join("examples")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml")))
            .map(Place::Disk)
            .collect();
        scenarios.dedup();
        if !problems.is_empty() {
            return Err(BadInput::sorted(problems));
        }
        Ok(HelmChart { dir: dir.to_path_buf(), name, values, schema, templates, scenarios })
    }

    /// The default values as JSON.
    pub fn default_values(&self) -> serde_json::Value {
        self.values.to_json()
    }

    /// The text of a template, by its path inside the chart.
    pub fn template(&self, path: &str) -> Option<&str> {
        self.templates.iter().find(|(p, _)| p == path).map(|(_, text)| text.as_str())
    }

    /// A template path as findings name it: under the chart's directory as given.
    pub fn display_path(&self, path: &str) -> String {
        self.dir.join(path).display().to_string()
    }
}

/// Chart.yaml's name, after checking what Helm needs of the file.
fn chart_name(meta: &Node) -> Result<String, Diagnostic> {
    let at = |key: &str| meta.get(key).map_or_else(|| meta.origin.clone(), |n| n.origin.clone());
    let text = |key: &str| meta.get(key).and_then(|n| n.to_json().as_str().map(str::to_string));
    match text("apiVersion").as_deref() {
        Some("v1" | "v2") => {}
        other => {
            return Err(Diagnostic::new(at("apiVersion"), format!("Chart.yaml's apiVersion is {}, not a chart API version Helm reads", other.map_or("missing".into(), |v| format!("`{v}`"))))
                .with_help("set `apiVersion: v2`"));
        }
    }
    match text("name") {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(Diagnostic::new(at("name"), "Chart.yaml has no name").with_help("set `name:` to the chart's name, such as `name: my-app`")),
    }
}

fn read_schema(path: &Path) -> Result<serde_json::Value, Diagnostic> {
    let name = path.display().to_string();
    let bytes = crate::place::read_limited(path).map_err(|e| Diagnostic::plain(format!("cannot read {name}: {e}")))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    serde_json::from_str(&text).map_err(|e| {
        let source = Source::new(name, text.clone());
        let offset: usize = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum::<usize>() + e.column().saturating_sub(1);
        let offset = offset.min(text.len());
        Diagnostic::new(Origin::span(&source, offset, offset), format!("values.schema.json is not valid JSON: {e}")).with_help("Helm refuses a chart whose schema does not parse; fix the JSON")
    })
}

/// The entries of a directory, sorted; none when it does not exist.
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).map(|read| read.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    entries.sort();
    entries
}

/// The template files under `relative` (a directory of the chart), recursively.
fn read_templates(chart: &Path, relative: &Path, out: &mut Vec<(String, String)>, problems: &mut Vec<Diagnostic>) {
    for path in sorted_entries(&chart.join(relative)) {
        let inside = relative.join(path.file_name().expect("an entry has a name"));
        if path.is_dir() {
            read_templates(chart, &inside, out, problems);
            continue;
        }
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_TEMPLATE_BYTES) {
            problems.push(Diagnostic::plain(format!("{} is larger than {} MiB", path.display(), MAX_TEMPLATE_BYTES >> 20)).with_help("a template this large is not a template; move data into files the chart reads"));
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes) => out.push((inside.to_string_lossy().replace('\\', "/"), String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) => problems.push(Diagnostic::plain(format!("cannot read {}: {e}", path.display()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts").join(name)
    }

    #[test]
    fn a_chart_directory_reads_with_its_templates_schema_and_scenarios() {
        let chart = HelmChart::load(&fixture("storefront")).unwrap();
        assert_eq!(chart.name, "storefront");
        assert!(chart.schema.is_none());
        assert!(chart.template("templates/deployment.yaml").is_some_and(|t| t.contains(".Values.legacyMode.enabled")));
        let scenarios: Vec<String> = chart.scenarios.iter().map(|p| p.stem()).collect();
        assert_eq!(scenarios, ["full-values", "minimal-values"]);
        assert!(HelmChart::load(&fixture("schema-flags")).unwrap().schema.is_some());
    }

    #[test]
    fn a_directory_without_chart_yaml_or_with_a_bad_one_is_refused_with_every_problem() {
        let dir = tempfile::tempdir().unwrap();
        let error = HelmChart::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("it has no Chart.yaml"), "{error}");
        std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v3\nname: x\n").unwrap();
        std::fs::write(dir.path().join("values.schema.json"), "{\n  \"type\": \"object\",\n}\n").unwrap();
        let error = HelmChart::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("Chart.yaml:1:") && error.contains("apiVersion is `v3`"), "{error}");
        assert!(error.contains("values.schema.json:3:") && error.contains("not valid JSON"), "{error}");
    }
}
