//! Lint rules: the engine and the registry.
//!
//! A rule is one file in `src/rules/` (or a component's `rules/` folder)
//! that defines `pub static RULE: Rule`: its [`RuleDoc`] and its [`Target`],
//! which says what the rule looks at and holds the check to run on each such
//! object. `build.rs` finds the files and lists them, so adding a rule
//! touches nothing here. The engine walks the rendering, hands each rule its
//! typed objects (documents of some kinds, containers, scripts, alerts, the
//! CloudNativePG resources together from [`crate::extract`], or the whole
//! rendering), caches per-document results across the renderings of a
//! check, applies the spec's `lint:` configuration (rules disabled,
//! severities changed) and the per-object suppressions (`chartgen/ignore-<CODE>: "<reason>"` annotations; one
//! without a reason is itself a finding). [`check_runbook`] runs the
//! CloudNativePG rules (and CG101, CG606) on the resources of a runbook's
//! YAML blocks, placed at their runbook lines.
//!
//! A rule's examples are files of `fixtures/rules/<CODE>/`, embedded by
//! `build.rs`: `bad.yaml` and `good.yaml` (the ones `chartgen explain`
//! prints), and `bad-<case>.yaml`, `good-<case>.yaml` for each further way
//! to fail or pass. Each holds the rendered documents, separated by `---`;
//! a sibling `<name>.values.yaml` holds values merged over the built-in
//! spec's defaults. `tests/rules.rs` runs every one: a bad example must
//! fail its rule (with a reviewed snapshot), a good one must not.

pub mod support;

use crate::codes::RuleCode;
use crate::extract::{alerts, containers, scripts, Alert, Cnpg, Container, Manifest, Script};
use crate::spec::lint::{LintSettings, Severity};
use crate::spec::Spec;
use crate::values::Values;

include!(concat!(env!("OUT_DIR"), "/rules.rs"));
include!(concat!(env!("OUT_DIR"), "/rule_examples.rs"));

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
}

/// A lint rule: what it is, and what it checks how.
pub struct Rule {
    pub doc: RuleDoc,
    pub target: Target,
}

/// What a rule looks at, with the check the engine calls on each such object.
///
/// Every target but `Rendering` sees one document at a time and may read the
/// spec but not the values, so its findings depend on the document's text
/// alone and are computed once per distinct document.
#[derive(Clone, Copy)]
pub enum Target {
    /// Each document whose kind is one of `kinds`, or every document when empty.
    Documents { kinds: &'static [&'static str], check: fn(&Manifest, &Spec, &mut Problems) },
    /// Each container of each workload, init containers first (its
    /// `document` counts in the document alone; the engine places findings).
    Containers(fn(&Container<'_>, &Spec, &mut Problems)),
    /// Each shell script a container runs with `sh -c`.
    Scripts(fn(&Script<'_>, &Spec, &mut Problems)),
    /// Each rule of each group of each PrometheusRule.
    Alerts(fn(&Alert<'_>, &Spec, &mut Problems)),
    /// The whole rendering with its values: for rules that compare documents
    /// or read values.
    Rendering(fn(&Subject<'_>, &mut Vec<Violation>)),
    /// The CloudNativePG resources of the rendering, typed, with the
    /// references between them resolved (a Cluster and its backups, the
    /// ObjectStores and image catalogs it names): for rules that compare them.
    Cnpg(fn(&Cnpg<'_>, &mut Vec<Violation>)),
}

impl Target {
    /// What a per-document target finds in one document.
    fn in_document(self, manifest: &Manifest, spec: &Spec) -> Problems {
        let alone = std::slice::from_ref(manifest);
        let mut out = Problems::default();
        match self {
            Target::Documents { kinds, check } => {
                if kinds.is_empty() || kinds.contains(&manifest.kind()) {
                    check(manifest, spec, &mut out);
                }
            }
            Target::Containers(check) => containers(alone).iter().for_each(|container| check(container, spec, &mut out)),
            Target::Scripts(check) => scripts(alone).iter().for_each(|script| check(script, spec, &mut out)),
            Target::Alerts(check) => alerts(manifest).iter().for_each(|alert| check(alert, spec, &mut out)),
            // `violations` runs these once on the whole rendering instead.
            Target::Rendering(_) | Target::Cnpg(_) => {}
        }
        out
    }
}

/// What a per-document check found: pointers into its document, and messages.
#[derive(Debug, Clone, Default)]
pub struct Problems(Vec<(String, String)>);

impl Problems {
    pub fn add(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push((pointer.into(), message.into()));
    }
}

/// One example of a rule: a file of `fixtures/rules/<CODE>/`.
#[derive(Debug)]
pub struct Example {
    pub code: RuleCode,
    /// The file's name without `.yaml`: `bad`, `bad-<case>`, `good` or `good-<case>`.
    pub case: &'static str,
    /// Values YAML merged over the built-in spec's defaults (often empty).
    pub values: &'static str,
    /// The rendered documents, YAML separated by `---`.
    pub manifests: &'static str,
}

impl Example {
    pub fn is_bad(&self) -> bool {
        self.case.starts_with("bad")
    }
}

/// A rule's examples: the bad ones, then the good ones, each kind's plain
/// `bad` or `good` first.
pub fn examples(code: RuleCode) -> impl Iterator<Item = &'static Example> {
    EXAMPLES.iter().filter(move |e| e.code == code)
}

/// One rendering: what `rules::run` checks, and what a `Rendering` target's check sees.
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

/// Problems of per-document targets, by rule and document text, shared by
/// the renderings of one check.
#[derive(Default)]
pub struct DocumentCache(crate::extract::ByDigest<(RuleCode, u64), Problems>);

/// Runs a rule on a rendering, once per distinct document unless it looks at the whole rendering
/// (or at its CloudNativePG resources together).
fn violations<'a: 'c, 'c>(rule: &Rule, subject: &Subject<'a>, cnpg: impl FnOnce() -> &'c Cnpg<'a>, cache: &DocumentCache) -> Vec<Violation> {
    let mut out = Vec::new();
    match rule.target {
        Target::Rendering(check) => {
            check(subject, &mut out);
            return out;
        }
        Target::Cnpg(check) => {
            check(cnpg(), &mut out);
            return out;
        }
        _ => {}
    }
    for (index, manifest) in subject.manifests.iter().enumerate() {
        let found = cache.0.get_or((rule.doc.code, manifest.digest), || rule.target.in_document(manifest, subject.spec));
        out.extend(found.0.into_iter().map(|(pointer, message)| Violation::at(index, pointer, message)));
    }
    out
}

/// Every rule, in code order.
pub fn registry() -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = RULES.to_vec();
    rules.sort_by_key(|r| r.doc.code);
    rules
}

/// The rule of a code.
pub fn rule(code: RuleCode) -> &'static Rule {
    registry().into_iter().find(|r| r.doc.code == code).unwrap_or_else(|| panic!("{code} has no rule file"))
}

/// Annotation prefix that suppresses a rule on one object.
pub const SUPPRESS_PREFIX: &str = "chartgen/ignore-";

/// The rules to run, with their severities, after the spec's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    rules: Vec<(&'static Rule, Severity)>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.doc.code.as_str())
    }
}

impl Config {
    /// The rules the spec's `lint:` section leaves on, at their severities.
    pub fn new(settings: &LintSettings) -> Config {
        Config { rules: registry().into_iter().filter_map(|r| Some((r, settings.severity_of(r.doc.code, r.doc.severity)?))).collect() }
    }

    /// The severity a rule runs with, or `None` when it is disabled.
    pub fn severity(&self, code: RuleCode) -> Option<Severity> {
        self.rules.iter().find(|(rule, _)| rule.doc.code == code).map(|(_, severity)| *severity)
    }

    /// The rules that read the documents alone, not chartgen's values
    /// model: the ones a chart written by hand is checked with.
    pub fn documents_only(self) -> Config {
        Config { rules: self.rules.into_iter().filter(|(rule, _)| !matches!(rule.target, Target::Rendering(_))).collect() }
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
    // Read once for all the rules that look at the CloudNativePG resources together.
    let cnpg = std::cell::OnceCell::new();
    for (rule, severity) in &config.rules {
        let code = rule.doc.code;
        for violation in violations(rule, subject, || cnpg.get_or_init(|| Cnpg::of(subject.manifests)), cache) {
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

/// The rules a runbook's YAML is checked against: CloudNativePG's, the
/// ScheduledBackup schedule's field count (CG101) and the counters compared
/// by alerts (CG606).
pub const RUNBOOK_RULES: &[RuleCode] =
    &[RuleCode::CG101, RuleCode::CG606, RuleCode::CG901, RuleCode::CG902, RuleCode::CG903, RuleCode::CG904, RuleCode::CG905, RuleCode::CG906, RuleCode::CG907, RuleCode::CG908];

/// Whether a runbook document is one its check reads: a CloudNativePG or
/// barman-cloud plugin resource, or a PrometheusRule.
fn read_in_runbooks(object: &serde_json::Value) -> bool {
    crate::extract::is_cnpg(object) || (object["kind"] == "PrometheusRule" && crate::extract::api_group(object) == "monitoring.coreos.com")
}

/// The CloudNativePG resources and PrometheusRules of a runbook's fenced
/// `yaml` blocks against [`RUNBOOK_RULES`], at the severities and with the
/// rules disabled that the spec's `lint:` says, each finding at the runbook
/// line of what it is about. All the documents of a block are checked
/// together; the other blocks' documents are there to be looked up (the
/// Cluster a ScheduledBackup of a later block names), after the block's own,
/// so that a name the block defines wins. Per-object suppressions apply.
pub fn check_runbook(spec: &Spec, markdown: &str) -> Result<Vec<crate::docs::DocFinding>, crate::diagnostic::BadInput> {
    let documents: Vec<(crate::docs::RunbookDocument, Manifest)> = crate::docs::yaml_documents(markdown)
        .into_iter()
        .filter_map(|document| {
            let object = document.object().filter(read_in_runbooks)?;
            let manifest = Manifest::new(format!("runbook:{}", document.line), document.text.clone(), object);
            Some((document, manifest))
        })
        .collect();
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    let values = crate::values::from_user_tree(spec, crate::source::Node::empty_map(crate::diagnostic::Origin::Default))?;
    let config = Config { rules: Config::new(&spec.lint).rules.into_iter().filter(|(rule, _)| RUNBOOK_RULES.contains(&rule.doc.code)).collect() };
    let cache = DocumentCache::default();
    let mut blocks: Vec<usize> = documents.iter().map(|(d, _)| d.block).collect();
    blocks.dedup();
    let mut findings = Vec::new();
    for block in blocks {
        let (own, others): (Vec<&(crate::docs::RunbookDocument, Manifest)>, Vec<_>) = documents.iter().partition(|(d, _)| d.block == block);
        let manifests: Vec<Manifest> = own.iter().chain(&others).map(|(_, m)| m.clone()).collect();
        let subject = Subject { spec, values: &values.values, values_tree: &values.json, manifests: &manifests };
        for finding in run(&config, &subject, &cache) {
            let Some(document) = finding.violation.document.filter(|d| *d < own.len()) else { continue };
            findings.push(crate::docs::DocFinding {
                code: crate::codes::Code::Rule(finding.code),
                severity: finding.severity,
                line: own[document].0.line_of(&finding.violation.pointer),
                message: format!("{}/{}: {}", own[document].1.kind(), own[document].1.name(), finding.violation.message),
            });
        }
    }
    findings.sort_by_key(|f| f.line);
    Ok(findings)
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
        let doc = &rule.doc;
        out.push_str(&format!("| [{}](#{}) | {} | {} | {} |\n", doc.code, doc.code.as_str().to_lowercase(), doc.code.name(), doc.severity.as_str(), first_sentence(doc.checks)));
    }
    for rule in registry() {
        out.push('\n');
        out.push_str(&explain(&rule.doc));
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

/// One rule's doc, with its first bad and first good example, as `chartgen explain` prints it.
pub fn explain(doc: &RuleDoc) -> String {
    let example = |bad: bool| {
        let e = examples(doc.code).find(|e| e.is_bad() == bad).unwrap_or_else(|| panic!("{} has no {} example", doc.code, if bad { "bad" } else { "good" }));
        let mut text = String::new();
        if !e.values.trim().is_empty() {
            text.push_str(&format!("Values:\n\n```yaml {}\n{}\n```\n\n", crate::docs::EXAMPLE_MARK, e.values.trim_end()));
        }
        text.push_str(&format!("```yaml {}\n{}\n```\n", crate::docs::EXAMPLE_MARK, e.manifests.trim_end()));
        text
    };
    format!(
        "## {} {}\n\nSeverity: {}\n\n### What it checks\n\n{}\n\n### Why it matters\n\n{}\n\n### Bad\n\n{}\n### Good\n\n{}",
        doc.code,
        doc.code.name(),
        doc.severity.as_str(),
        doc.checks.trim(),
        doc.why.trim(),
        example(true),
        example(false)
    )
}
