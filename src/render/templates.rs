//! chartgen's templates, compiled once, rendered in either of two modes.
//!
//! The minijinja templates under `templates/` are the single source of both
//! renderings. In *native* mode `values` is the typed values and every
//! helper writes concrete YAML; in *helm* mode `values` is a path object and
//! every helper writes the Go-template expression Helm would evaluate
//! (`{{ $.Values.backup.schedule | toJson }}`), except for the flags, which
//! take the concrete values of one assignment. Templates may print nothing
//! but helper output: the formatter rejects a raw value, so the rule "every
//! value through a typed helper" cannot be broken by accident. Native
//! output is split into documents, parsed, and ordered as `helm template`
//! orders them (by kind, hooks last).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use minijinja::value::Serde;
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};

use super::helpers;
use super::{install_order, split_documents, Release};
use crate::diagnostic::{BadInput, Diagnostic};
use crate::extract::{digest, Manifest};
use crate::place::Place;
use crate::source::load_str;
use crate::spec::Spec;
use crate::values::flags::{model_flags, Assignment};
use crate::values::Values;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The built-in templates by name, each with its file in chartgen's repository.
fn builtin_sources() -> BTreeMap<String, (Place, String)> {
    TEMPLATES.iter().map(|(name, path, text)| (name.to_string(), (Place::Builtin(path.to_string()), text.to_string()))).collect()
}

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
    names: Vec<String>,
    /// Each template's file and text, by name.
    sources: BTreeMap<String, (Place, String)>,
    /// The helper file (`_*.j2`) defining each macro, for compiling it as a partial.
    macro_files: BTreeMap<String, String>,
    /// Documents already parsed, by digest: combinations share most of theirs.
    parsed: crate::extract::ByDigest<u64, Arc<serde_json::Value>>,
}

impl Templates {
    /// The templates built into chartgen.
    pub fn builtin() -> Templates {
        Templates::from_sources(builtin_sources()).expect("the built-in templates compile")
    }

    /// The built-in templates, with the `*.j2` files of `dir` in place of
    /// those of the same name (and beside them, when new): for trying a
    /// change to a template.
    pub fn builtin_with(dir: &Path) -> Result<Templates, BadInput> {
        let entries = std::fs::read_dir(dir).map_err(|e| Diagnostic::plain(format!("cannot read {}: {e}", dir.display())))?;
        let mut sources = builtin_sources();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".j2") {
                let bytes = crate::place::read_limited(&entry.path()).map_err(|e| Diagnostic::plain(format!("cannot read {name}: {e}")))?;
                let text = String::from_utf8(bytes).map_err(|_| Diagnostic::plain(format!("{name} is not UTF-8")))?;
                sources.insert(name, (Place::Disk(entry.path()), text));
            }
        }
        Templates::from_sources(sources)
    }

    fn from_sources(sources: BTreeMap<String, (Place, String)>) -> Result<Templates, BadInput> {
        let mut env = Environment::new();
        // Output is YAML built by helpers, never escaped by minijinja; a custom mode
        // (rather than None) makes macro output count as helper output.
        env.set_auto_escape_callback(|_| AutoEscape::Custom("chartgen".into()));
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("the default delimiters are valid"),
        );
        env.remove_filter("safe");
        env.set_formatter(helpers::only_helper_output);
        helpers::register(&mut env);
        let mut names = Vec::new();
        let mut macro_files = BTreeMap::new();
        for (name, (_, text)) in &sources {
            if name.ends_with(".yaml.j2") && !name.starts_with('_') {
                names.push(name.clone());
            }
            if name.starts_with('_') {
                for macro_name in macro_names(text) {
                    // A partial becomes one define of the chart, named after its macro alone.
                    if let Some(other) = macro_files.insert(macro_name.to_string(), name.clone()) {
                        return Err(Diagnostic::plain(format!("macro {macro_name} is defined in both {other} and {name}; partials need unique names")).into());
                    }
                }
            }
            env.add_template_owned(name.clone(), text.clone()).map_err(|e| Diagnostic::plain(format!("template {name}: {e}")))?;
        }
        Ok(Templates { env, names, sources, macro_files, parsed: Default::default() })
    }

    /// Where a template file is, for a finding to point at.
    pub fn template_place(&self, name: &str) -> Option<&Place> {
        self.sources.get(name).map(|(place, _)| place)
    }

    /// The text of a template file.
    pub fn source(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(|(_, text)| text.as_str())
    }

    /// Manifest template file names (`*.yaml.j2`, without the leading-underscore helper files).
    pub fn template_names(&self) -> &[String] {
        &self.names
    }

    /// Renders every template natively and returns the documents in Helm's order.
    pub fn render(&self, spec: &Spec, values: &Values, release: &Release) -> Result<Vec<Manifest>, BadInput> {
        let (spec, values) = (Value::from(Serde(spec)), Value::from(Serde(values)));
        let mut manifests = Vec::new();
        for name in &self.names {
            manifests.extend(self.render_template(name, &spec, &values, release)?);
        }
        install_order(&mut manifests);
        Ok(manifests)
    }

    /// The documents of one template, in the order it writes them. `spec`
    /// and `values` are as the templates read them, made once for many renderings.
    pub fn render_template(&self, name: &str, spec: &Value, values: &Value, release: &Release) -> Result<Vec<Manifest>, BadInput> {
        let ctx = context! {
            mode => "native",
            spec => spec,
            values => values,
            release => context! { name => &release.name, namespace => &release.namespace },
        };
        let text = self.render_one(name, &ctx)?;
        let source = format!("templates/{}", name.trim_end_matches(".j2"));
        let mut manifests = Vec::new();
        for document in split_documents(&text) {
            let digest = digest(&document);
            let object = self.parse(&source, &document, digest)?;
            manifests.push(Manifest { source: source.clone(), text: document, object, digest });
        }
        Ok(manifests)
    }

    fn parse(&self, source: &str, document: &str, digest: u64) -> Result<Arc<serde_json::Value>, BadInput> {
        self.parsed.try_get_or(digest, || {
            let object = load_str(&crate::diagnostic::Source::new(source, document))
                .map_err(|d| Diagnostic::plain(format!("{source} rendered invalid YAML: {d}\n{document}")))?;
            Ok(Arc::new(object.to_json()))
        })
    }

    /// Renders one template in helm mode for one (possibly partial)
    /// assignment of the flags, and reports which flags it read.
    pub fn render_helm(&self, name: &str, spec: &Value, assignment: &Assignment) -> Result<HelmRendering, BadInput> {
        let template = self.env.get_template(name).map_err(|e| Diagnostic::plain(format!("template {name}: {e}")))?;
        self.helm_rendering(name, &template, spec, assignment, "$")
    }

    /// Renders the macro `macro_name` of a helper file in helm mode, as the
    /// body of a define: the root context is `$root`, its argument `$arg`.
    pub fn render_helm_partial(&self, macro_name: &str, arity: usize, spec: &Value, assignment: &Assignment) -> Result<HelmRendering, BadInput> {
        let file = self.macro_files.get(macro_name).ok_or_else(|| Diagnostic::plain(format!("partial {macro_name}: no helper file defines it")))?;
        let call = if arity == 0 { format!("{macro_name}()") } else { format!("{macro_name}(arg)") };
        let source = format!("{{% from {file:?} import {macro_name} %}}{{{{ {call} }}}}");
        let template = self.env.template_from_str(&source).map_err(|e| Diagnostic::plain(format!("partial {macro_name}: {e}")))?;
        self.helm_rendering(macro_name, &template, spec, assignment, "$root")
    }

    fn helm_rendering(&self, name: &str, template: &minijinja::Template<'_, '_>, spec: &Value, assignment: &Assignment, root: &str) -> Result<HelmRendering, BadInput> {
        let state = Arc::new(helpers::HelmState {
            assignment: assignment.clone(),
            flags: model_flags().iter().map(|f| (f.path.to_string(), f)).collect(),
            ..Default::default()
        });
        let ctx = context! {
            mode => "helm",
            root => root,
            spec => spec,
            values => helpers::helm_values(&state, root),
            arg => helpers::helm_argument(&state),
            release => context! { name => "", namespace => "" },
        };
        let text = template.render(&ctx).map_err(|e| render_error(name, &e))?;
        let branches = state.non_flag_branches.lock().expect("not poisoned").clone();
        if let Some(path) = branches.iter().next() {
            return Err(Diagnostic::plain(format!(
                "template {name} branches on `{path}`, which is not a flag; only flags may appear in `if`"
            ))
            .into());
        }
        Ok(HelmRendering {
            text,
            flags_read: take(&state.reads),
            unassigned: take(&state.unassigned),
            partials: take(&state.partials),
        })
    }

    fn render_one(&self, name: &str, ctx: &Value) -> Result<String, BadInput> {
        let template = self.env.get_template(name).map_err(|e| Diagnostic::plain(format!("template {name}: {e}")))?;
        template.render(ctx).map_err(|e| render_error(name, &e))
    }
}

/// The macros a template file defines.
fn macro_names(text: &str) -> impl Iterator<Item = &str> {
    text.split("{% macro ").skip(1).filter_map(|rest| rest.split('(').next()).map(str::trim)
}

fn take<T: Default>(cell: &Mutex<T>) -> T {
    std::mem::take(&mut *cell.lock().expect("not poisoned"))
}

fn render_error(name: &str, error: &minijinja::Error) -> BadInput {
    let mut message = format!("template {name}: {error}");
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        message.push_str(&format!(": {c}"));
        cause = c.source();
    }
    Diagnostic::plain(message).into()
}

/// A template rendered in helm mode.
#[derive(Debug, Clone)]
pub struct HelmRendering {
    pub text: String,
    pub flags_read: BTreeSet<crate::values::flags::ValuePath>,
    /// The first flag the template read that the assignment did not fix.
    pub unassigned: Option<crate::values::flags::ValuePath>,
    /// Macros of the helper files it includes as partials, with their number of arguments.
    pub partials: BTreeMap<String, usize>,
}
