//! The command-line entry points: each reads its inputs, runs the stages and
//! returns its output as text, or the diagnostics of bad input. Nothing is
//! printed here, so a failed command writes no partial output.

use std::path::PathBuf;

use crate::diagnostic::BadInput;
use crate::render::{to_stream, Release, Renderer};
use crate::schema::{values_schema, values_yaml};
use crate::spec;
use crate::values::{self, ValueInputs};

/// Options every command shares.
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// The chart spec; the built-in certctl spec when absent.
    pub spec: Option<PathBuf>,
}

/// `chartgen render`: the manifests for one set of values, like `helm template`.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub values: ValueInputs,
    pub release_name: String,
    pub namespace: String,
    /// Templates to use instead of the built-in ones.
    pub templates: Option<PathBuf>,
}

pub fn render(common: &Common, options: &RenderOptions) -> Result<String, BadInput> {
    let loaded = spec::load(common.spec.as_deref())?;
    let release = Release::new(&options.release_name, &options.namespace)?;
    let values = values::load(&loaded.spec, &options.values)?;
    let renderer = match &options.templates {
        Some(dir) => Renderer::from_dir(dir)?,
        None => Renderer::builtin(),
    };
    let manifests = renderer.render(&loaded.spec, &values.values, &release)?;
    Ok(to_stream(&loaded.spec.chart.name, &manifests))
}

/// `chartgen values`: the commented default values.yaml.
pub fn default_values(common: &Common) -> Result<String, BadInput> {
    let loaded = spec::load(common.spec.as_deref())?;
    Ok(values_yaml(&loaded.spec))
}

/// `chartgen schema`: values.schema.json.
pub fn schema(common: &Common) -> Result<String, BadInput> {
    let loaded = spec::load(common.spec.as_deref())?;
    let mut text = serde_json::to_string_pretty(&values_schema(&loaded.spec)).expect("a schema serializes");
    text.push('\n');
    Ok(text)
}
