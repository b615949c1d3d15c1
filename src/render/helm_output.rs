//! What Helm gives back, read the same way whichever renderer ran it: its
//! rendered files as documents, and its refusals as located failures.

use std::sync::{Arc, OnceLock};

use regex::Regex;

use super::{install_order, split_documents, RenderFailure};
use crate::extract::{digest, ByDigest, Manifest};

/// Parsed documents by text: most documents are the same in many combinations.
pub type Parsed = ByDigest<u64, Result<Arc<serde_json::Value>, String>>;

/// The documents of Helm's rendered files (`chart/templates/x.yaml` and
/// its text), in Helm's install order. NOTES.txt is not a manifest.
pub fn documents(chart: &str, files: Vec<(String, String)>, parsed: &Parsed) -> Result<Vec<Manifest>, RenderFailure> {
    let mut manifests = Vec::new();
    for (path, text) in files {
        let source = inside_chart(chart, &path);
        if source.ends_with("NOTES.txt") {
            continue;
        }
        // Helm keeps the blank line a template's leading `{{- if }}` leaves; the document does not need it.
        for document in split_documents(&text).into_iter().map(|d| d.trim_start_matches('\n').to_string()) {
            let digest = digest(&document);
            let object = parsed.get_or(digest, || {
                crate::source::load_str(&crate::diagnostic::Source::new(source.clone(), document.clone())).map(|node| Arc::new(node.to_json())).map_err(|d| d.message)
            });
            let object = object.map_err(|message| RenderFailure { message: format!("Helm wrote a document that is not YAML: {message}"), file: Some(source.clone()), line: None })?;
            manifests.push(Manifest { source: source.clone(), text: document, object, digest });
        }
    }
    install_order(&mut manifests);
    Ok(manifests)
}

/// The files of `helm template`'s output: each document under its `# Source:`
/// comment. Output that is not in that shape is a failure, never dropped.
pub fn stream_files(stdout: &str) -> Result<Vec<(String, String)>, RenderFailure> {
    let stdout = stdout.replace("\r\n", "\n");
    let mut files: Vec<(String, String)> = Vec::new();
    for part in stdout.split("\n---\n").flat_map(|p| p.strip_prefix("---\n").or(Some(p))) {
        if part.trim().is_empty() {
            continue;
        }
        let (first, rest) = part.split_once('\n').unwrap_or((part, ""));
        let Some(path) = first.strip_prefix("# Source: ") else {
            return Err(RenderFailure { message: format!("`helm template` wrote a document without its `# Source:` line: {}", first.trim()), file: None, line: None });
        };
        files.push((path.trim().to_string(), rest.to_string()));
    }
    Ok(files)
}

/// A path of Helm's output inside the chart: `storefront/templates/x.yaml` is `templates/x.yaml`.
fn inside_chart(chart: &str, path: &str) -> String {
    path.strip_prefix(chart).and_then(|p| p.strip_prefix('/')).unwrap_or(path).to_string()
}

/// Helm's refusal, with the template and line it names: `execution error at
/// (chart/templates/x.yaml:3:4): message`, `parse error at (chart/templates/x.yaml:5): ...`,
/// `YAML parse error on chart/templates/x.yaml: ...`.
pub fn failure(chart: &str, error: &str) -> RenderFailure {
    static AT: OnceLock<Regex> = OnceLock::new();
    static TEMPLATE: OnceLock<Regex> = OnceLock::new();
    static ON: OnceLock<Regex> = OnceLock::new();
    let at = AT.get_or_init(|| Regex::new(r"\(([^()\s:]+):(\d+)(?::\d+)?\)").expect("a valid pattern"));
    let template = TEMPLATE.get_or_init(|| Regex::new(r"template: ([^\s:]+):(\d+):(?:\d+:)?").expect("a valid pattern"));
    let on = ON.get_or_init(|| Regex::new(r"error on ([^\s:]+):").expect("a valid pattern"));
    // Warnings Helm prints before its error (`coalesce.go:...: warning: ...`) are not the error.
    let error = error.find("Error: ").map_or(error, |start| &error[start..]);
    let message: Vec<&str> = error.lines().map(|l| l.strip_prefix("Error: ").unwrap_or(l)).filter(|l| !l.trim().is_empty() && !l.starts_with("Use --debug flag")).collect();
    let message = message.join("\n");
    let (file, line) = match at.captures(&message).or_else(|| template.captures(&message)) {
        Some(c) => (Some(inside_chart(chart, &c[1])), c[2].parse().ok()),
        None if message.contains("values don't meet the specifications of the schema") => (Some("values.schema.json".to_string()), None),
        None => (on.captures(&message).map(|c| inside_chart(chart, &c[1])), None),
    };
    RenderFailure { message, file, line }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_s_errors_name_the_template_and_line() {
        let fail = failure("storefront", "Error: execution error at (storefront/templates/ingress.yaml:3:4): ingress.tls.enabled needs ingress.host\n\nUse --debug flag to render out invalid YAML\n");
        assert_eq!((fail.file.as_deref(), fail.line), (Some("templates/ingress.yaml"), Some(3)));
        assert_eq!(fail.message, "execution error at (storefront/templates/ingress.yaml:3:4): ingress.tls.enabled needs ingress.host");
        let yaml = failure("shop", "Error: YAML parse error on shop/templates/cm.yaml: error converting YAML to JSON: yaml: line 4: did not find expected key");
        assert_eq!((yaml.file.as_deref(), yaml.line), (Some("templates/cm.yaml"), None));
        let runtime = failure("shop", "coalesce.go:298: warning: cannot overwrite table with non table for shop.x (map[])\nError: template: shop/templates/deploy.yaml:12:3: executing \"shop/templates/deploy.yaml\" at <.Values.x.y>: nil pointer evaluating interface {}.y\n");
        assert_eq!((runtime.file.as_deref(), runtime.line), (Some("templates/deploy.yaml"), Some(12)));
        assert!(runtime.message.starts_with("template: shop/templates/deploy.yaml:12:3: executing"), "{}", runtime.message);
        let schema = failure("s", "values don't meet the specifications of the schema(s) in the following chart(s):\ns:\n- at '/replicas': got string, want integer\n");
        assert_eq!(schema.file.as_deref(), Some("values.schema.json"));
    }

    #[test]
    fn a_template_stream_splits_into_its_files() {
        let files = stream_files("---\r\n# Source: c/templates/a.yaml\r\nkind: A\r\n---\n# Source: c/templates/b.yaml\nkind: B\n").unwrap();
        assert_eq!(files, [("c/templates/a.yaml".to_string(), "kind: A".to_string()), ("c/templates/b.yaml".to_string(), "kind: B\n".to_string())]);
        let headless = stream_files("---\nkind: A\n").unwrap_err();
        assert!(headless.message.contains("without its `# Source:` line"), "{}", headless.message);
    }
}
