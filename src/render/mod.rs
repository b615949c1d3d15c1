//! Rendering: values in, documents out, behind one seam.
//!
//! The matrix check asks a [`Renderer`] for the documents of each values
//! set and checks what comes back the same way whoever rendered it.
//! chartgen's own templates render natively ([`native::Native`], over the
//! compiled [`templates::Templates`]); a renderer that runs Helm on a chart
//! written by hand plugs in beside it, as another implementation of the
//! trait. The templates also render in *helm mode*, which the chart
//! compiler (`helm`) turns into Go templates; [`explore`] walks the flags a
//! template reads in that mode.

pub mod explore;
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

/// Renders a chart for one set of values.
pub trait Renderer: Send + Sync {
    /// The documents for a values tree (coalesced over the chart's
    /// defaults and checked), in the order `helm template` prints them.
    /// `values` are the typed reading of `tree`, which both sides already hold.
    fn render(&self, values: &Values, tree: &serde_json::Value, release: &Release) -> Result<Vec<Manifest>, BadInput>;

    /// The template that writes `field` (a key such as `schedule`) of a
    /// document, and the line, as far as the renderer knows.
    fn locate(&self, manifest: &Manifest, field: Option<&str>) -> Option<Location>;
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
    for m in manifests {
        for part in ["---\n# Source: ", chart, "/", &m.source, "\n", &m.text] {
            out.push_str(part);
        }
    }
    out
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
