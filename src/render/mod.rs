//! Templates to manifests, in either of two modes.
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

mod helpers;
pub use helpers::define_name;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use minijinja::value::Serde;
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};

use crate::diagnostic::{BadInput, Diagnostic};
use crate::source::load_str;
use crate::extract::{digest, Manifest};
use crate::spec::Spec;
use crate::values::Values;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The release a rendering is for, as `helm template NAME --namespace NS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    pub namespace: String,
}

/// Longest release name Helm accepts; object names are sized for it.
pub const MAX_RELEASE_NAME: usize = 53;

impl Release {
    /// Checks the names as Kubernetes will: DNS-1123 labels (no dots, since
    /// Service names derive from the release name), a release at most 53 characters.
    pub fn new(name: &str, namespace: &str) -> Result<Release, Diagnostic> {
        let label = crate::scalars::is_dns_label;
        if !label(name) || name.len() > MAX_RELEASE_NAME {
            return Err(Diagnostic::plain(format!("`{name}` is not a valid release name"))
                .with_help(format!("use lowercase letters, digits and `-`, starting and ending with a letter or digit, at most {MAX_RELEASE_NAME} characters")));
        }
        if !label(namespace) || namespace.len() > 63 {
            return Err(Diagnostic::plain(format!("`{namespace}` is not a valid namespace"))
                .with_help("use lowercase letters, digits and `-`, at most 63 characters"));
        }
        Ok(Release { name: name.to_string(), namespace: namespace.to_string() })
    }
}

/// The compiled templates.
pub struct Renderer {
    env: Environment<'static>,
    /// Where the templates are: built in, or the directory given.
    place: crate::place::Place,
    names: Vec<String>,
    sources: BTreeMap<String, String>,
    /// Documents already parsed, by digest: combinations share most of theirs.
    parsed: Mutex<std::collections::HashMap<u64, Arc<serde_json::Value>>>,
}

/// Helm's install order of kinds (`releaseutil.InstallOrder`); others go last.
const INSTALL_ORDER: [&str; 37] = [
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
    "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    "MutatingWebhookConfiguration",
];

/// Which rendering the helpers produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Native,
    Helm,
}

impl Renderer {
    /// The templates built into chartgen.
    pub fn builtin() -> Renderer {
        Renderer::from_sources(TEMPLATES.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect(), crate::place::Place::Builtin("templates".into()))
            .expect("the built-in templates compile")
    }

    /// Templates read from a directory (`*.j2`), for trying template changes.
    pub fn from_dir(dir: &Path) -> Result<Renderer, BadInput> {
        let entries = std::fs::read_dir(dir).map_err(|e| Diagnostic::plain(format!("cannot read {}: {e}", dir.display())))?;
        let mut sources = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".j2") {
                let bytes = crate::source::read_limited(&entry.path()).map_err(|e| Diagnostic::plain(format!("cannot read {name}: {e}")))?;
                let text = String::from_utf8(bytes).map_err(|_| Diagnostic::plain(format!("{name} is not UTF-8")))?;
                sources.push((name, text));
            }
        }
        Renderer::from_sources(sources, crate::place::Place::Disk(dir.to_path_buf()))
    }

    fn from_sources(mut sources: Vec<(String, String)>, place: crate::place::Place) -> Result<Renderer, BadInput> {
        sources.sort();
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
        let texts: BTreeMap<String, String> = sources.iter().cloned().collect();
        for (name, text) in sources {
            if name.ends_with(".yaml.j2") && !name.starts_with('_') {
                names.push(name.clone());
            }
            env.add_template_owned(name.clone(), text)
                .map_err(|e| Diagnostic::plain(format!("template {name}: {e}")))?;
        }
        Ok(Renderer { env, place, names, sources: texts, parsed: Mutex::default() })
    }

    /// Where a template file is, for a finding to point at.
    pub fn template_place(&self, name: &str) -> crate::place::Place {
        self.place.join(name)
    }

    /// The text of a template file.
    pub fn source(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(String::as_str)
    }

    /// Manifest template file names (`*.yaml.j2`, without the leading-underscore helper files).
    pub fn template_names(&self) -> &[String] {
        &self.names
    }

    /// Renders every template natively and returns the documents in Helm's order.
    pub fn render(&self, spec: &Spec, values: &Values, release: &Release) -> Result<Vec<Manifest>, BadInput> {
        let mut manifests = Vec::new();
        for name in &self.names {
            manifests.extend(self.render_template(name, spec, values, release)?);
        }
        install_order(&mut manifests);
        Ok(manifests)
    }

    /// The documents of one template, in the order it writes them.
    pub fn render_template(&self, name: &str, spec: &Spec, values: &Values, release: &Release) -> Result<Vec<Manifest>, BadInput> {
        let ctx = context! {
            mode => "native",
            spec => Value::from(Serde(spec)),
            values => Value::from(Serde(values)),
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
        if let Some(object) = self.parsed.lock().expect("not poisoned").get(&digest) {
            return Ok(object.clone());
        }
        let object = Arc::new(
            load_str(&crate::diagnostic::Source::new(source, document))
                .map_err(|d| Diagnostic::plain(format!("{source} rendered invalid YAML: {d}\n{document}")))?
                .to_json(),
        );
        self.parsed.lock().expect("not poisoned").insert(digest, object.clone());
        Ok(object)
    }

    /// Renders one template in helm mode for one (possibly partial)
    /// assignment of the flags, and reports which flags it read.
    pub fn render_helm(&self, name: &str, spec: &Spec, assignment: &BTreeMap<String, serde_json::Value>) -> Result<HelmRendering, BadInput> {
        let template = self.env.get_template(name).map_err(|e| Diagnostic::plain(format!("template {name}: {e}")))?;
        self.helm_rendering(name, &template, spec, assignment, "$")
    }

    /// Renders the macro `macro_name` of `_helpers.j2` in helm mode, as the
    /// body of a define: the root context is `$root`, its argument `$arg`.
    pub fn render_helm_partial(&self, macro_name: &str, arity: usize, spec: &Spec, assignment: &BTreeMap<String, serde_json::Value>) -> Result<HelmRendering, BadInput> {
        let call = if arity == 0 { format!("{macro_name}()") } else { format!("{macro_name}(arg)") };
        let source = format!("{{% from \"_helpers.j2\" import {macro_name} %}}{{{{ {call} }}}}");
        let template = self.env.template_from_str(&source).map_err(|e| Diagnostic::plain(format!("partial {macro_name}: {e}")))?;
        self.helm_rendering(macro_name, &template, spec, assignment, "$root")
    }

    fn helm_rendering(&self, name: &str, template: &minijinja::Template<'_, '_>, spec: &Spec, assignment: &BTreeMap<String, serde_json::Value>, root: &str) -> Result<HelmRendering, BadInput> {
        let state = Arc::new(helpers::HelmState {
            assignment: assignment.clone(),
            flag_defaults: crate::values::flags().into_iter().map(|f| (f.path, f.domain[0].clone())).collect(),
            ..Default::default()
        });
        let ctx = context! {
            mode => "helm",
            root => root,
            spec => Value::from(Serde(spec)),
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
    pub flags_read: BTreeSet<String>,
    /// The first flag the template read that the assignment did not fix.
    pub unassigned: Option<String>,
    /// Macros of `_helpers.j2` it includes as partials, with their number of arguments.
    pub partials: BTreeMap<String, usize>,
}

/// Splits rendered text at `---` lines, dropping empty documents and trailing blanks.
fn split_documents(text: &str) -> Vec<String> {
    let mut documents = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim_end() == "---" {
            documents.push(std::mem::take(&mut current));
        } else {
            current.push_str(line.trim_end());
            current.push('\n');
        }
    }
    documents.push(current);
    documents.into_iter().filter(|d| d.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))).collect()
}

/// Orders documents as `helm template` does: by kind in Helm's install order, hooks last.
pub fn install_order(manifests: &mut [Manifest]) {
    let rank = |m: &Manifest| INSTALL_ORDER.iter().position(|k| *k == m.kind()).unwrap_or(INSTALL_ORDER.len());
    manifests.sort_by_key(|m| (m.is_hook(), rank(m)));
}

/// `helm template`-style output: each document under a `# Source:` comment.
pub fn to_stream(chart: &str, manifests: &[Manifest]) -> String {
    let mut out = String::new();
    for m in manifests {
        out.push_str(&format!("---\n# Source: {chart}/{}\n{}", m.source, m.text));
    }
    out
}
