//! Lint rules: the engine and the registry.
//!
//! A rule is one file in `src/rules/` that defines `pub static RULE` (a
//! [`Rule`] with its [`RuleDoc`]); `build.rs` finds the files and lists them,
//! so adding a rule touches nothing here. A rule sees one rendering (the
//! spec, the typed values and the documents) and reports [`Violation`]s;
//! the engine applies the spec's `lint:` configuration (rules disabled,
//! severities changed) and the per-object suppressions
//! (`chartgen/ignore-<CODE>: "<reason>"` annotations; one without a reason
//! is itself a finding). Each rule's doc carries a bad and a good example,
//! which are also its test fixtures.

pub mod support;

use crate::codes::RuleCode;
use crate::extract::Manifest;
use crate::spec::lint::{LintSettings, Severity};
use crate::spec::Spec;
use crate::values::Values;

include!(concat!(env!("OUT_DIR"), "/rules.rs"));

/// A rule's documentation, with the fixed headings `chartgen explain` prints.
#[derive(Debug)]
pub struct RuleDoc {
    /// Its code, whose row in the codes table gives its name and group.
    pub code: RuleCode,
    pub severity: Severity,
    /// What it checks, in one paragraph.
    pub checks: &'static str,
    /// Why it matters, in one paragraph.
    pub why: &'static str,
    pub bad: Example,
    pub good: Example,
}

/// An example rendering: values over the built-in defaults, and documents.
#[derive(Debug)]
pub struct Example {
    /// Values YAML merged over the built-in spec's defaults (often empty).
    pub values: &'static str,
    /// The rendered documents, YAML separated by `---`.
    pub manifests: &'static str,
}

/// What a rule looks at: one rendering.
pub struct Subject<'a> {
    pub spec: &'a Spec,
    pub values: &'a Values,
    /// The values as a JSON tree (what the operator gave, coalesced over the defaults).
    pub values_tree: &'a serde_json::Value,
    pub manifests: &'a [Manifest],
}

/// One problem a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Index of the document, or `None` for the values.
    pub document: Option<usize>,
    /// JSON pointer into the document (or values).
    pub pointer: String,
    pub message: String,
}

impl Violation {
    pub fn at(document: usize, pointer: impl Into<String>, message: impl Into<String>) -> Violation {
        Violation { document: Some(document), pointer: pointer.into(), message: message.into() }
    }
}

/// What a rule needs to see to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One document at a time: its findings depend on nothing else, so the
    /// engine runs it once per distinct document.
    Document,
    /// The whole rendering, or the values.
    Rendering,
}

/// A lint rule.
pub trait Rule: Sync {
    fn doc(&self) -> &'static RuleDoc;
    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>);
    fn scope(&self) -> Scope {
        Scope::Rendering
    }
}

/// Violations of document-scoped rules, by rule and document text, shared by
/// the renderings of one check.
#[derive(Debug, Default)]
pub struct DocumentCache(std::sync::Mutex<std::collections::HashMap<(RuleCode, u64), Vec<Violation>>>);

/// Runs a rule, once per distinct document when it is document-scoped.
fn violations(rule: &dyn Rule, subject: &Subject<'_>, cache: &DocumentCache) -> Vec<Violation> {
    let mut out = Vec::new();
    if rule.scope() == Scope::Rendering {
        rule.check(subject, &mut out);
        return out;
    }
    let code = rule.doc().code;
    for (index, manifest) in subject.manifests.iter().enumerate() {
        let key = (code, manifest.digest);
        let known = cache.0.lock().expect("not poisoned").get(&key).cloned();
        let found = known.unwrap_or_else(|| {
            let alone = Subject { manifests: std::slice::from_ref(manifest), ..*subject };
            let mut found = Vec::new();
            rule.check(&alone, &mut found);
            cache.0.lock().expect("not poisoned").insert(key, found.clone());
            found
        });
        out.extend(found.into_iter().map(|v| Violation { document: v.document.map(|_| index), ..v }));
    }
    out
}

/// Every rule, in code order.
pub fn registry() -> Vec<&'static dyn Rule> {
    let mut rules: Vec<&'static dyn Rule> = RULES.to_vec();
    rules.sort_by_key(|r| r.doc().code);
    rules
}

/// The rule of a code.
pub fn rule(code: RuleCode) -> &'static dyn Rule {
    registry().into_iter().find(|r| r.doc().code == code).unwrap_or_else(|| panic!("{code} has no rule file"))
}

/// Annotation prefix that suppresses a rule on one object.
pub const SUPPRESS_PREFIX: &str = "chartgen/ignore-";

/// The rules to run, with their severities, after the spec's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    rules: Vec<(&'static dyn Rule, Severity)>,
}

impl std::fmt::Debug for dyn Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.doc().code.as_str())
    }
}

impl Config {
    /// The rules the spec's `lint:` section leaves on, at their severities.
    pub fn new(settings: &LintSettings) -> Config {
        Config { rules: registry().into_iter().filter_map(|r| Some((r, settings.severity_of(r.doc().code, r.doc().severity)?))).collect() }
    }

    /// The severity a rule runs with, or `None` when it is disabled.
    pub fn severity(&self, code: RuleCode) -> Option<Severity> {
        self.rules.iter().find(|(rule, _)| rule.doc().code == code).map(|(_, severity)| *severity)
    }

    /// Every rule at its own severity.
    pub fn all() -> Config {
        Config::new(&LintSettings::default())
    }
}

/// A violation with its rule's code and severity, after suppressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: RuleCode,
    pub severity: Severity,
    pub violation: Violation,
}

/// Runs the configured rules on one rendering. A rule is suppressed on an
/// object by the annotation `chartgen/ignore-<CODE>` with a reason; one
/// without a reason suppresses nothing (and is itself finding CG000).
pub fn run(config: &Config, subject: &Subject<'_>, cache: &DocumentCache) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (rule, severity) in &config.rules {
        let code = rule.doc().code;
        for violation in violations(*rule, subject, cache) {
            let suppressed = violation.document.and_then(|d| subject.manifests.get(d)).is_some_and(|m| {
                m.object["metadata"]["annotations"][format!("{SUPPRESS_PREFIX}{code}")].as_str().is_some_and(|reason| !reason.trim().is_empty())
            });
            if !suppressed {
                findings.push(Finding { code, severity: *severity, violation });
            }
        }
    }
    findings
}

/// The rules page: every rule's doc, as Markdown.
pub fn markdown() -> String {
    let mut out = String::from(
        "# chartgen lint rules\n\nGenerated by `chartgen rules --markdown`; do not edit. `chartgen explain CODE` prints one rule.\n\n\
         Disable a rule or change its severity in the spec's `lint:` section; suppress it on one object with the\n\
         annotation `chartgen/ignore-CODE: \"why it does not apply\"` (a suppression without a reason is finding CG000).\n\n\
         | code | name | severity | checks |\n| --- | --- | --- | --- |\n",
    );
    for rule in registry() {
        let doc = rule.doc();
        out.push_str(&format!("| [{}](#{}) | {} | {} | {} |\n", doc.code, doc.code.as_str().to_lowercase(), doc.code.name(), doc.severity.as_str(), first_sentence(doc.checks)));
    }
    for rule in registry() {
        out.push('\n');
        out.push_str(&explain(rule.doc()));
    }
    out
}

pub fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(end) => flat[..=end].to_string(),
        None => flat,
    }
}

/// One rule's doc, as `chartgen explain` prints it.
pub fn explain(doc: &RuleDoc) -> String {
    let example = |e: &Example| {
        let mut text = String::new();
        if !e.values.trim().is_empty() {
            text.push_str(&format!("Values:\n\n```yaml\n{}\n```\n\n", e.values.trim_end()));
        }
        text.push_str(&format!("```yaml\n{}\n```\n", e.manifests.trim_end()));
        text
    };
    format!(
        "## {} {}\n\nSeverity: {}\n\n### What it checks\n\n{}\n\n### Why it matters\n\n{}\n\n### Bad\n\n{}\n### Good\n\n{}",
        doc.code,
        doc.code.name(),
        doc.severity.as_str(),
        doc.checks.trim(),
        doc.why.trim(),
        example(&doc.bad),
        example(&doc.good)
    )
}
