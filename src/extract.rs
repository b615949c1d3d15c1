//! Reading rendered documents: the neutral layer every stage that looks
//! inside manifests uses (validation, lint rules, the drill, the chart
//! compiler), so that none of them borrows from another. A document, its
//! workloads' pods and containers, the scripts those run, the images they
//! name, the alerting rules of a PrometheusRule.

use std::sync::Arc;

use serde_json::Value;

/// One rendered document.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Template file it came from, as Helm names it: `templates/backup-cronjob.yaml`.
    pub source: String,
    /// The YAML text of the document.
    pub text: String,
    /// The parsed document, shared by the renderings that hold the same text.
    pub object: Arc<serde_json::Value>,
    /// A hash of `text`, which caches of per-document results are keyed by.
    pub digest: u64,
}

/// A 64-bit hash of a document: with the few hundred distinct documents of a
/// check, two colliding is as likely as a cosmic-ray bit flip.
pub fn digest(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// A map keyed by digests (and small codes beside them), which are hashes
/// already: hashing them again would cost more than the lookup.
pub type ByDigest<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<DigestHasher>>;

/// Folds the bytes of a key that is a digest into itself.
#[derive(Default)]
pub struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(8) ^ n;
    }
}

impl Manifest {
    pub fn new(source: String, text: String, object: serde_json::Value) -> Manifest {
        let digest = digest(&text);
        Manifest { source, text, object: Arc::new(object), digest }
    }

    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or("")
    }

    pub fn is_hook(&self) -> bool {
        self.object["metadata"]["annotations"]["helm.sh/hook"].is_string()
    }
}

/// A container of a workload in a rendering.
pub struct Container<'a> {
    pub document: usize,
    /// JSON pointer of the container.
    pub pointer: String,
    pub value: &'a Value,
    /// The pod spec it runs in, and its pointer.
    pub pod: &'a Value,
    pub pod_pointer: &'static str,
}

/// The pod template's spec of a workload, and its pointer.
pub fn pod_spec(object: &Value) -> Option<(&Value, &'static str)> {
    match object["kind"].as_str()? {
        "StatefulSet" | "Deployment" | "Job" => Some((&object["spec"]["template"]["spec"], "/spec/template/spec")),
        "CronJob" => Some((&object["spec"]["jobTemplate"]["spec"]["template"]["spec"], "/spec/jobTemplate/spec/template/spec")),
        _ => None,
    }
}

/// Every container (init containers first) of every workload.
pub fn containers(manifests: &[Manifest]) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    for (document, manifest) in manifests.iter().enumerate() {
        let Some((pod, pod_pointer)) = pod_spec(&manifest.object) else { continue };
        for list in ["initContainers", "containers"] {
            for (i, value) in pod[list].as_array().into_iter().flatten().enumerate() {
                out.push(Container { document, pointer: format!("{pod_pointer}/{list}/{i}"), value, pod, pod_pointer });
            }
        }
    }
    out
}

/// A shell script a container runs with `sh -c`.
pub struct Script<'a> {
    pub text: String,
    /// JSON pointer of the script's word in `command` or `args`.
    pub pointer: String,
    pub container: Container<'a>,
}

/// The shell script a container runs with `sh -c`, and its pointer.
pub fn script(container: &Container<'_>) -> Option<(String, String)> {
    let words = |v: &Value| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>()).unwrap_or_default();
    let command = words(&container.value["command"]);
    let args = words(&container.value["args"]);
    let all: Vec<String> = command.iter().chain(args.iter()).cloned().collect();
    let at = all.iter().position(|w| w == "-c")?;
    let shell = all.get(at.checked_sub(1)?)?;
    if !shell.ends_with("sh") {
        return None;
    }
    let text = all.get(at + 1)?.clone();
    let pointer = if at + 1 < command.len() { format!("{}/command/{}", container.pointer, at + 1) } else { format!("{}/args/{}", container.pointer, at + 1 - command.len()) };
    Some((text, pointer))
}

/// Every container's shell script, in container order.
pub fn scripts(manifests: &[Manifest]) -> Vec<Script<'_>> {
    containers(manifests).into_iter().filter_map(|container| script(&container).map(|(text, pointer)| Script { text, pointer, container })).collect()
}

/// `repository` and `tag` of an image reference (the tag is empty when absent;
/// a digest counts as a tag).
pub fn image_parts(image: &str) -> (&str, &str) {
    if let Some((repository, digest)) = image.split_once('@') {
        return (repository, digest);
    }
    match image.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => (image, ""),
    }
}

/// A rule of a PrometheusRule's group: an alert, or a recording rule, whose
/// expression is checked alike.
pub struct Alert<'a> {
    /// JSON pointer of the rule in its document: `/spec/groups/G/rules/R`.
    pub pointer: String,
    pub rule: &'a Value,
}

/// Every rule of every group of a PrometheusRule (none for other documents).
pub fn alerts(manifest: &Manifest) -> Vec<Alert<'_>> {
    if manifest.kind() != "PrometheusRule" {
        return Vec::new();
    }
    let groups = manifest.object["spec"]["groups"].as_array().into_iter().flatten().enumerate();
    groups
        .flat_map(|(g, group)| group["rules"].as_array().into_iter().flatten().enumerate().map(move |(r, rule)| Alert { pointer: format!("/spec/groups/{g}/rules/{r}"), rule }))
        .collect()
}

/// A JSON pointer segment, escaped.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_parts_split_the_tag_and_keep_registry_ports() {
        assert_eq!(image_parts("postgres:16.6"), ("postgres", "16.6"));
        assert_eq!(image_parts("registry:5000/postgres"), ("registry:5000/postgres", ""));
        assert_eq!(image_parts("postgres@sha256:abc"), ("postgres", "sha256:abc"));
    }
}
