//! The matrix settings of a hand-written chart: `chartgen-matrix.yaml`
//! beside its Chart.yaml, or the file `--matrix` names. Everything the
//! chart's own files cannot say: what a combination needs to render, which
//! flags depend on which, which combinations the chart refuses on purpose,
//! and which objects live outside it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diagnostic::{BadInput, Diagnostic, Origin};
use crate::source::{load_file, Node};
use crate::values::flags::{FlagValue, ValuePath};

/// The file read beside Chart.yaml when `--matrix` is not given.
pub const FILE_NAME: &str = "chartgen-matrix.yaml";

/// The settings, as the file writes them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    values: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    flags: BTreeMap<String, Vec<serde_json::Value>>,
    #[serde(default)]
    requires: BTreeMap<String, BTreeMap<String, OneOrMore>>,
    #[serde(default)]
    expected_failures: Vec<RawFailure>,
    #[serde(default)]
    external: Vec<String>,
    #[serde(default)]
    metrics: Vec<String>,
}

/// A value, or a list of the values any of which will do.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMore {
    More(Vec<serde_json::Value>),
    One(serde_json::Value),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFailure {
    when: BTreeMap<String, serde_json::Value>,
    message: String,
}

/// The matrix settings of a chart.
#[derive(Debug, Clone, Default)]
pub struct MatrixConfig {
    /// Companion values every combination is rendered with, under its flags.
    pub values: serde_json::Value,
    /// Found flags to leave out of the matrix.
    pub ignore: Vec<ValuePath>,
    /// Flags to vary with these values, found or not (the default first).
    pub flags: Vec<(ValuePath, Vec<FlagValue>)>,
    /// A flag that matters only when another flag holds one of these values.
    pub requires: Vec<(ValuePath, (ValuePath, Vec<FlagValue>))>,
    /// Combinations the chart refuses on purpose, with a `fail` message.
    pub expected_failures: Vec<ExpectedFailure>,
    /// Objects that exist outside the chart, as (kind, name).
    pub external: std::collections::BTreeSet<(String, String)>,
    /// Metric names the chart's alerts may use besides the known exporters'.
    pub metrics: Vec<String>,
}

/// A combination the chart's `fail` guards refuse on purpose.
#[derive(Debug, Clone)]
pub struct ExpectedFailure {
    /// The flag values that select it; every one must hold.
    pub when: Vec<(ValuePath, FlagValue)>,
    /// Where the settings say so, for messages about it.
    pub at: Origin,
    /// Text Helm's error must contain.
    pub message: String,
}

impl ExpectedFailure {
    pub fn matches(&self, flags: &crate::values::flags::Assignment, error: &str) -> bool {
        self.when.iter().all(|(path, value)| flags.get(path) == Some(value)) && error.contains(&self.message)
    }

    /// Whether the flags select it, whatever the message.
    pub fn selects(&self, flags: &crate::values::flags::Assignment) -> bool {
        self.when.iter().all(|(path, value)| flags.get(path) == Some(value))
    }
}

impl MatrixConfig {
    /// The settings of `file`, or of `chartgen-matrix.yaml` in `chart_dir`
    /// when there is one; none otherwise.
    /// The paths it names must be values of the chart (`defaults`).
    pub fn load(chart_dir: &Path, file: Option<&Path>, defaults: &serde_json::Value) -> Result<MatrixConfig, BadInput> {
        let beside = chart_dir.join(FILE_NAME);
        let path = match file {
            Some(path) => path.to_path_buf(),
            None if beside.is_file() => beside,
            None => return Ok(MatrixConfig { values: serde_json::json!({}), ..MatrixConfig::default() }),
        };
        let tree = load_file(&path)?;
        let reading = crate::de::read_all::<Raw>(&tree, &Node::empty_map(Origin::Default));
        let mut problems: Vec<Diagnostic> = reading.problems.into_iter().map(|p| p.diagnostic).collect();
        let Some(raw) = reading.value else { return Err(BadInput::sorted(problems)) };
        // Where a section's key was written; the keys are dotted paths, so they are looked up whole.
        let at = |section: &str, key: &str| match tree.get(section).map(|n| &n.value) {
            Some(crate::source::Value::Map(map)) => map.get(key).map_or_else(|| tree.origin.clone(), |m| m.key.clone()),
            _ => tree.origin.clone(),
        };
        let flag_value = |value: &serde_json::Value, at: Origin, problems: &mut Vec<Diagnostic>| {
            let read = FlagValue::from_json(value);
            if read.is_none() {
                problems.push(Diagnostic::new(at, format!("`{value}` is not a flag value")).with_help("a flag is true or false, or one of an enum's strings"));
            }
            read
        };
        let mut config = MatrixConfig { values: serde_json::Value::Object(raw.values), metrics: raw.metrics, ..MatrixConfig::default() };
        let known = |path: &str, at: Origin, problems: &mut Vec<Diagnostic>| {
            let parsed = ValuePath::parse(path);
            if !exists(defaults, &parsed) {
                problems.push(Diagnostic::new(at, format!("`{path}` is not a value of the chart's values.yaml")).with_help("name a value by its dotted path, such as ingress.enabled"));
            }
            parsed
        };
        for (index, path) in raw.ignore.iter().enumerate() {
            let at = tree.get(&format!("ignore.{index}")).map_or_else(|| tree.origin.clone(), |n| n.origin.clone());
            config.ignore.push(known(path, at, &mut problems));
        }
        for (path, values) in &raw.flags {
            let domain: Vec<FlagValue> = values.iter().filter_map(|v| flag_value(v, at("flags", path), &mut problems)).collect();
            if domain.len() < 2 {
                problems.push(Diagnostic::new(at("flags", path), format!("flag `{path}` lists {} value(s)", domain.len())).with_help("list at least two values, the default first"));
            }
            config.flags.push((known(path, at("flags", path), &mut problems), domain));
        }
        for (path, conditions) in &raw.requires {
            let here = at("requires", path);
            let flag = known(path, here.clone(), &mut problems);
            if conditions.len() != 1 {
                problems.push(Diagnostic::new(here.clone(), format!("`requires.{path}` names {} flags", conditions.len())).with_help("name the one flag it depends on, with the value or list of values under which it matters"));
            }
            for (on, values) in conditions {
                let values = match values {
                    OneOrMore::One(value) => std::slice::from_ref(value),
                    OneOrMore::More(values) => values.as_slice(),
                };
                let values: Vec<FlagValue> = values.iter().filter_map(|value| flag_value(value, here.clone(), &mut problems)).collect();
                config.requires.push((flag.clone(), (known(on, here.clone(), &mut problems), values)));
            }
        }
        for (index, failure) in raw.expected_failures.iter().enumerate() {
            let when = failure.when.iter().filter_map(|(on, value)| Some((ValuePath::parse(on), flag_value(value, tree.get(&format!("expectedFailures.{index}.when")).map_or_else(|| tree.origin.clone(), |n| n.origin.clone()), &mut problems)?))).collect();
            let at = tree.get(&format!("expectedFailures.{index}.when")).map_or_else(|| tree.origin.clone(), |n| n.origin.clone());
            config.expected_failures.push(ExpectedFailure { when, message: failure.message.clone(), at });
        }
        for (index, object) in raw.external.iter().enumerate() {
            match object.split_once('/') {
                Some((kind, name)) if !kind.is_empty() && !name.is_empty() => {
                    config.external.insert((kind.to_string(), name.to_string()));
                }
                _ => problems.push(
                    Diagnostic::new(tree.get(&format!("external.{index}")).map_or_else(|| tree.origin.clone(), |n| n.origin.clone()), format!("`{object}` is not Kind/name"))
                        .with_help("name an object outside the chart as its kind and name, such as Secret/database-credentials"),
                ),
            }
        }
        if !problems.is_empty() {
            return Err(BadInput::sorted(problems));
        }
        Ok(config)
    }
}

/// Whether values.yaml has the value at `path` (`null` included).
fn exists(tree: &serde_json::Value, path: &ValuePath) -> bool {
    let mut node = tree;
    for key in path.keys() {
        match node.get(key.as_str()) {
            Some(child) => node = child,
            None => return false,
        }
    }
    true
}

