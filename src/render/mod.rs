//! Rendering: values in, documents out, behind one seam.
//!
//! The matrix check asks a [`Renderer`] for the documents of each values
//! set and checks what comes back the same way whoever rendered it.
//! chartgen's own templates render natively ([`native::Native`], over the
//! compiled [`templates::Templates`]). A chart written by hand is rendered
//! by Helm itself, many values sets at a time, through [`HelmRenderer`]:
//! the `helm` binary or helm-python-sdk. Both kinds place findings through
//! [`Locate`], and every check after rendering is shared. The templates also render in *helm mode*, which the chart
//! compiler (`helm`) turns into Go templates; [`explore`] walks the flags a
//! template reads in that mode.

pub mod explore;
pub mod helm_binary;
mod helm_output;
pub mod helm_sdk;
mod helpers;
pub mod native;
pub mod templates;

pub use helpers::{define_name, newest_run_define};

use crate::diagnostic::{BadInput, Diagnostic};
use crate::extract::Manifest;
use crate::values::Values;

/// The release a rendering is for, as `helm template NAME --namespace NS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// Where a field of a rendered document is written: a template file, and
/// its line when the renderer can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<usize>,
}

/// Where the documents of a rendering were written, for findings.
pub trait Locate: Send + Sync {
    /// The template that writes a document, and the line of the field at
    /// `keys` (the map keys down to it, such as `spec`, `schedule`), as far
    /// as it can tell.
    fn locate(&self, manifest: &Manifest, keys: &[String]) -> Option<Location>;
}

/// The line of a template that writes the field at `keys`: the keys are
/// followed down the template where it writes them in order (those it
/// does not write itself, through a helper or `toYaml`, are passed over);
/// else the first line that writes the last key.
pub fn field_line(template: &str, keys: &[String]) -> Option<usize> {
    let field = keys.last()?;
    let lines: Vec<&str> = template.lines().collect();
    let writes = |line: &str, key: &str| line.trim_start().trim_start_matches("- ").strip_prefix(key).is_some_and(|rest| rest.starts_with(':'));
    let mut from = 0;
    let mut last = None;
    for key in keys {
        if let Some(offset) = lines[from..].iter().position(|line| writes(line, key)) {
            last = Some((key, from + offset));
            from += offset + 1;
        }
    }
    match last {
        Some((key, index)) if key == field => Some(index + 1),
        _ => lines.iter().position(|line| writes(line, field)).map(|i| i + 1),
    }
}

/// Renders chartgen's templates for one set of values.
pub trait Renderer: Locate {
    /// The documents for a values tree (coalesced over the chart's
    /// defaults and checked), in the order `helm template` prints them.
    /// `values` are the typed reading of `tree`, which both sides already
    /// hold; `without_flags` is [`digest_without_flags`] of `tree`, which a
    /// caller setting many flag combinations over one base knows already.
    ///
    /// [`digest_without_flags`]: crate::values::flags::digest_without_flags
    fn render(&self, values: &Values, tree: &serde_json::Value, without_flags: u64, release: &Release) -> Result<Vec<Manifest>, BadInput>;
}

/// Renders a hand-written chart with Helm, many values sets at a time.
/// The next way of running Helm is another implementation beside
/// [`helm_binary::HelmBinary`] and [`helm_sdk::HelmSdk`].
pub trait HelmRenderer: Send + Sync {
    /// Each values tree's documents, or how Helm refused it, in the order
    /// given. An error is a renderer that cannot run at all.
    fn render_all(&self, values: &[serde_json::Value], release: &Release, progress: &crate::progress::Progress) -> Result<Vec<Rendered>, BadInput>;
}

/// One values set rendered by Helm: its documents, or Helm's refusal.
pub type Rendered = Result<Vec<Manifest>, RenderFailure>;

/// Helm's refusal to render (a `fail` guard, a template or YAML error, the
/// values schema), with the template and line when Helm names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderFailure {
    pub message: String,
    /// The template, as a path inside the chart.
    pub file: Option<String>,
    pub line: Option<usize>,
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

/// Orders documents as `helm template` does: by kind in Helm's install order, hooks last.
pub fn install_order(manifests: &mut [Manifest]) {
    let rank = |m: &Manifest| {
        let kind = m.kind();
        INSTALL_ORDER.iter().position(|k| *k == kind).unwrap_or(INSTALL_ORDER.len())
    };
    manifests.sort_by_cached_key(|m| (m.is_hook(), rank(m)));
}

/// `helm template`-style output: each document under a `# Source:` comment.
pub fn to_stream(chart: &str, manifests: &[Manifest]) -> String {
    let mut out = String::new();
    write_stream(&mut out, chart, manifests);
    out
}

/// [`to_stream`], appended to `out`, which grows once.
pub fn write_stream(out: &mut String, chart: &str, manifests: &[Manifest]) {
    out.reserve(manifests.iter().flat_map(|m| document_parts(chart, m)).map(str::len).sum());
    for part in manifests.iter().flat_map(|m| document_parts(chart, m)) {
        out.push_str(part);
    }
}

/// One document of the stream: its `# Source:` line, then its text.
fn document_parts<'a>(chart: &'a str, m: &'a Manifest) -> [&'a str; 6] {
    ["---\n# Source: ", chart, "/", &m.source, "\n", &m.text]
}

/// Splits rendered text at `---` lines, dropping empty documents and trailing blanks.
pub fn split_documents(text: &str) -> Vec<String> {
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
