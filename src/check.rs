//! The matrix check: every selected combination rendered and checked, in
//! parallel, with the validators compiled once.
//!
//! Per combination: the values against `values.schema.json`, every
//! document against the strict schema of its kind, the references between
//! documents, the lint rules, then the golden snapshot. Findings carry the
//! document, the JSON pointer, and the template file and line they most
//! likely come from.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::diagnostic::{BadInput, Diagnostic};
use crate::docs;
use crate::matrix::{self, Combination, Strategy};
use crate::place::Place;
use crate::source::Node;
use crate::extract::Manifest;
use crate::render::{to_stream, Release, Renderer};
use crate::rules::{self, Severity};
use crate::schema::values_schema;
use crate::snapshot::{self, Change, Comparison};
use crate::spec::LoadedSpec;
use crate::validate::{self, Validators};
use crate::values;

/// The release every combination is rendered for, as `helm template` names it by default.
pub const RELEASE: (&str, &str) = ("release-name", "default");

/// What to check and how.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub strategy: Strategy,
    /// Only combinations whose id matches this glob.
    pub only: Option<String>,
    /// Write new and changed goldens instead of reporting them.
    pub update: bool,
    /// Directory of CRD manifests whose schemas replace the shipped ones.
    pub crds: Option<PathBuf>,
    /// Directory of the goldens, instead of the spec's `check.golden`.
    pub golden: Option<PathBuf>,
    /// Templates to check instead of the built-in ones.
    pub templates: Option<PathBuf>,
}

/// Which check found a problem; each is one rule of the report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckKind {
    ValuesSchema,
    KubeSchema,
    CrdSchema,
    Reference,
    GoldenMissing,
    GoldenMismatch,
}

impl CheckKind {
    pub const ALL: [CheckKind; 6] =
        [CheckKind::ValuesSchema, CheckKind::KubeSchema, CheckKind::CrdSchema, CheckKind::Reference, CheckKind::GoldenMissing, CheckKind::GoldenMismatch];

    /// The stable code reports use.
    pub fn code(self) -> &'static str {
        match self {
            CheckKind::ValuesSchema => "values-schema",
            CheckKind::KubeSchema => "kube-schema",
            CheckKind::CrdSchema => "crd-schema",
            CheckKind::Reference => "reference",
            CheckKind::GoldenMissing => "golden-missing",
            CheckKind::GoldenMismatch => "golden-mismatch",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            CheckKind::ValuesSchema => "The values do not validate against values.schema.json.",
            CheckKind::KubeSchema => "A document does not validate against the strict schema of its Kubernetes kind.",
            CheckKind::CrdSchema => "A custom resource does not validate against its CRD schema.",
            CheckKind::Reference => "A document names an object that is not rendered or declared external, or a selector matches nothing.",
            CheckKind::GoldenMissing => "The combination has no golden snapshot; review its rendering and accept it with --update.",
            CheckKind::GoldenMismatch => "The rendering differs from the combination's golden snapshot.",
        }
    }
}

/// One problem found in one combination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check's code (`kube-schema`) or the lint rule's (`CG101`).
    pub code: &'static str,
    pub severity: Severity,
    /// `Kind/name` of the document, when the finding is about one.
    pub document: Option<String>,
    /// JSON pointer into the document (or the values).
    pub pointer: Option<String>,
    /// The file to look at: a template (`templates/backup-cronjob.yaml.j2`) or a golden.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub message: String,
    /// A longer explanation, such as a diff.
    pub detail: Option<String>,
}

/// A rendered document, as reports list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: String,
    pub name: String,
    pub source: String,
}

/// The outcome for one combination.
#[derive(Debug, Clone)]
pub struct CombinationResult {
    pub combination: Combination,
    pub documents: Vec<Document>,
    pub findings: Vec<Finding>,
    /// What `--update` did to its golden.
    pub golden: Option<Change>,
}

/// The outcome of a check.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub chart: String,
    /// The spec checked: its file, or the built-in one.
    pub spec: String,
    pub results: Vec<CombinationResult>,
    /// The runbooks checked for drift, one result each (no flags).
    pub runbooks: Vec<CombinationResult>,
    /// Goldens `--update` deleted because their combination no longer exists.
    pub deleted: Vec<PathBuf>,
    pub elapsed: Duration,
}

impl CheckReport {
    /// The combinations' results, then the runbooks'.
    pub fn all(&self) -> impl Iterator<Item = &CombinationResult> {
        self.results.iter().chain(&self.runbooks)
    }

    pub fn findings(&self) -> usize {
        self.all().map(|r| r.findings.len()).sum()
    }

    /// Whether the findings fail the run (exit 1): any error, and any
    /// warning when warnings are denied. Infos never fail it.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.all().flat_map(|r| &r.findings).any(|f| f.severity == Severity::Error || (deny_warnings && f.severity == Severity::Warning))
    }

    pub fn documents(&self) -> usize {
        self.results.iter().map(|r| r.documents.len()).sum()
    }
}

/// The combinations the options select; none is bad input.
pub fn select(spec: &LoadedSpec, options: &CheckOptions) -> Result<Vec<Combination>, BadInput> {
    let combinations = matrix::select(spec, options.strategy, options.only.as_deref())?;
    if combinations.is_empty() {
        return Err(Diagnostic::plain(format!("no combination matches --only {}", options.only.as_deref().unwrap_or_default()))
            .with_help("`chartgen check --list` prints every combination's id")
            .into());
    }
    Ok(combinations)
}

/// A template (by index) and the values of the flags it reads.
type TemplateVariant = (usize, Vec<serde_json::Value>);

/// The compiled templates and validators a check shares between combinations.
pub struct Checker {
    renderer: Renderer,
    validators: Validators,
    lint: rules::Config,
    /// Each template, with the flags its output depends on.
    templates: Vec<(String, Vec<String>)>,
    /// Renderings of one template by the values of those flags: the
    /// combinations of a check differ only in their flags, so most share
    /// most templates' output.
    rendered: Mutex<HashMap<TemplateVariant, Vec<Manifest>>>,
}

impl Checker {
    pub fn new(spec: &LoadedSpec, options: &CheckOptions) -> Result<Checker, BadInput> {
        let renderer = match &options.templates {
            Some(dir) => Renderer::from_dir(dir)?,
            None => Renderer::builtin(),
        };
        let validators = Validators::new(values_schema(&spec.spec), options.crds.as_deref())?;
        let lint = rules::Config::new(&spec.spec.lint, &spec.tree)?;
        let templates = renderer
            .template_names()
            .iter()
            .map(|name| Ok((name.clone(), crate::helm::flags_read(&renderer, &spec.spec, name)?.into_iter().collect())))
            .collect::<Result<_, BadInput>>()?;
        Ok(Checker { renderer, validators, lint, templates, rendered: Mutex::default() })
    }

    /// The documents of a combination. A scenario's values differ in more
    /// than flags, so it is rendered whole.
    fn render(&self, spec: &LoadedSpec, combination: &Combination, values: &crate::values::Values, values_json: &serde_json::Value, release: &Release) -> Result<Vec<Manifest>, BadInput> {
        if combination.scenario.is_some() {
            return self.renderer.render(&spec.spec, values, release);
        }
        let mut manifests = Vec::new();
        for (index, (name, flags)) in self.templates.iter().enumerate() {
            let key = (index, flags.iter().map(|path| path.split('.').fold(values_json, |v, key| &v[key]).clone()).collect());
            let known = self.rendered.lock().expect("not poisoned").get(&key).cloned();
            let documents = match known {
                Some(documents) => documents,
                None => {
                    let documents = self.renderer.render_template(name, &spec.spec, values, release)?;
                    self.rendered.lock().expect("not poisoned").insert(key, documents.clone());
                    documents
                }
            };
            manifests.extend(documents);
        }
        crate::render::install_order(&mut manifests);
        Ok(manifests)
    }

    /// Checks the given combinations, in parallel.
    pub fn run(&self, spec: &LoadedSpec, combinations: Vec<Combination>, options: &CheckOptions) -> Result<CheckReport, BadInput> {
        let start = Instant::now();
        let golden = options.golden.clone().map(Place::Disk).or_else(|| spec.spec.check.golden.as_deref().map(|g| spec.resolve(g)));
        let cache = DocumentCache::default();
        let results = combinations
            .into_par_iter()
            .map(|combination| check_one(spec, self, &cache, golden.as_ref(), options.update, combination, &update_command(spec, options)))
            .collect::<Result<Vec<_>, BadInput>>()?;
        let mut deleted = Vec::new();
        if let Some(dir) = &golden
            && options.update
            && options.only.is_none()
            && options.strategy == Strategy::Full
        {
            let ids: BTreeSet<String> = results.iter().map(|r| r.combination.id.clone()).collect();
            for stale in snapshot::stale(dir, &ids) {
                let Some(file) = stale.disk() else { continue };
                std::fs::remove_file(file).map_err(|e| Diagnostic::plain(format!("cannot delete {stale}: {e}")))?;
                deleted.push(file.to_path_buf());
            }
        }
        let runbooks: Vec<Place> = spec.spec.check.runbooks.iter().map(|r| spec.resolve(r)).collect();
        let runbooks = runbook_results(spec, &runbooks)?;
        Ok(CheckReport { chart: spec.spec.chart.name.clone(), spec: spec.name(), results, runbooks, deleted, elapsed: start.elapsed() })
    }
}

/// What is known of documents already checked, by text: most documents are
/// the same in many combinations, and the same text has the same problems.
#[derive(Default)]
struct DocumentCache {
    schema: Mutex<HashMap<u64, (Vec<validate::Problem>, CheckKind)>>,
    rules: rules::DocumentCache,
}

fn check_one(
    spec: &LoadedSpec,
    checker: &Checker,
    cache: &DocumentCache,
    golden: Option<&Place>,
    update: bool,
    combination: Combination,
    update_command: &str,
) -> Result<CombinationResult, BadInput> {
    let Checker { renderer, validators, lint, .. } = checker;
    let loaded = matrix::values(spec, &combination)?;
    let values_json = loaded.tree.to_json();
    let mut findings: Vec<Finding> = validators
        .values(&values_json)
        .into_iter()
        .map(|p| values_finding(&loaded.tree, CheckKind::ValuesSchema.code(), Severity::Error, p))
        .collect();
    let release = Release::new(RELEASE.0, RELEASE.1)?;
    let manifests = checker.render(spec, &combination, &loaded.values, &values_json, &release)?;
    for manifest in &manifests {
        let known = cache.schema.lock().expect("not poisoned").get(&manifest.digest).cloned();
        let (problems, check) = known.unwrap_or_else(|| {
            let (problems, source) = validators.document(&manifest.object);
            let check = if source.is_some_and(|s| s.starts_with("k8s-openapi")) { CheckKind::KubeSchema } else { CheckKind::CrdSchema };
            cache.schema.lock().expect("not poisoned").insert(manifest.digest, (problems.clone(), check));
            (problems, check)
        });
        for problem in problems {
            findings.push(document_finding(renderer, manifest, check.code(), Severity::Error, problem));
        }
    }
    for problem in validate::check_references(&manifests, &values::external_objects(&values_json)) {
        findings.push(document_finding(renderer, &manifests[problem.document], CheckKind::Reference.code(), Severity::Error, problem.problem));
    }
    let subject = rules::Subject { spec: &spec.spec, values: &loaded.values, values_tree: &values_json, manifests: &manifests };
    findings.extend(lint_findings(renderer, lint, &subject, &loaded.tree, &cache.rules));
    let mut change = None;
    if let Some(dir) = golden {
        let text = golden_text(&spec.spec.chart.name, &combination, &manifests);
        let file = Some(snapshot::path(dir, &combination.id).to_string());
        if update {
            change = Some(snapshot::update(dir, &combination.id, &text)?);
        } else {
            match snapshot::compare(dir, &combination.id, &text) {
                Comparison::Same => {}
                Comparison::Missing => findings.push(Finding {
                    code: CheckKind::GoldenMissing.code(),
                    severity: Severity::Error,
                    document: None,
                    pointer: None,
                    file,
                    line: None,
                    message: format!("no golden snapshot; review the rendering and accept it with {update_command}"),
                    detail: None,
                }),
                Comparison::Differs(diff) => findings.push(Finding {
                    code: CheckKind::GoldenMismatch.code(),
                    severity: Severity::Error,
                    document: None,
                    pointer: None,
                    file,
                    line: None,
                    message: format!("the rendering differs from the golden snapshot; accept a reviewed change with {update_command}"),
                    detail: Some(diff),
                }),
            }
        }
    }
    let documents = manifests.iter().map(|m| Document { kind: m.kind().into(), name: m.name().into(), source: m.source.clone() }).collect();
    Ok(CombinationResult { combination, documents, findings, golden: change })
}

/// The drift findings of runbooks, one result per file.
pub fn runbook_results(spec: &LoadedSpec, files: &[Place]) -> Result<Vec<CombinationResult>, BadInput> {
    Ok(docs::check_files(&spec.spec, files)?
        .into_iter()
        .map(|(file, found)| CombinationResult {
            combination: Combination { id: format!("runbook {file}"), flags: matrix::Assignment::new(), scenario: None },
            documents: Vec::new(),
            findings: found
                .into_iter()
                .map(|f| Finding { code: f.code, severity: f.severity, document: None, pointer: None, file: Some(file.clone()), line: Some(f.line), message: f.message, detail: None })
                .collect(),
            golden: None,
        })
        .collect())
}

/// The command that writes the goldens this check compares with, as the
/// user would type it.
fn update_command(spec: &LoadedSpec, options: &CheckOptions) -> String {
    if spec.is_builtin() && options.golden.is_none() {
        return "a spec of your own (the built-in example's goldens are part of chartgen)".to_string();
    }
    let mut command = String::from("`chartgen");
    if !spec.is_builtin() {
        command.push_str(&format!(" --spec {}", spec.name()));
    }
    command.push_str(" check --update");
    if let Some(dir) = &options.golden {
        command.push_str(&format!(" --golden {}", dir.display()));
    }
    command.push('`');
    command
}

/// The golden text of a combination: a header that begins with the marker
/// naming it, then the documents.
pub fn golden_text(chart: &str, combination: &Combination, manifests: &[Manifest]) -> String {
    format!(
        "{} ({}), release {} in namespace {}.\n# Review changes, then accept them with `chartgen check --update`.\n{}",
        snapshot::marker(&combination.id),
        combination.describe(),
        RELEASE.0,
        RELEASE.1,
        to_stream(chart, manifests)
    )
}

/// The lint rules' findings on one rendering, located in the templates.
pub fn lint_findings(renderer: &Renderer, config: &rules::Config, subject: &rules::Subject<'_>, values: &Node, cache: &rules::DocumentCache) -> Vec<Finding> {
    rules::run(config, subject, cache)
        .into_iter()
        .map(|finding| {
            let problem = validate::Problem { pointer: finding.violation.pointer, message: finding.violation.message };
            match finding.violation.document {
                Some(index) => document_finding(renderer, &subject.manifests[index], finding.code, finding.severity, problem),
                None => values_finding(values, finding.code, finding.severity, problem),
            }
        })
        .collect()
}

/// A finding about the values, pointing at the line that set the value when a file or `--set` did.
fn values_finding(values: &Node, code: &'static str, severity: Severity, problem: validate::Problem) -> Finding {
    let origin = problem
        .pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .try_fold(values, |node, key| node.get(&key).or_else(|| key.parse::<usize>().ok().and_then(|i| match &node.value {
            crate::source::Value::Seq(items) => items.get(i),
            _ => None,
        })))
        .map(|node| node.origin.clone());
    let file = origin.as_ref().and_then(crate::diagnostic::Origin::source_name);
    let line = origin.as_ref().and_then(crate::diagnostic::Origin::line);
    Finding { code, severity, document: None, pointer: Some(problem.pointer), file, line, message: problem.message, detail: None }
}

fn document_finding(renderer: &Renderer, manifest: &Manifest, code: &'static str, severity: Severity, problem: validate::Problem) -> Finding {
    let name = format!("{}.j2", manifest.source.trim_start_matches("templates/"));
    let line = renderer.source(&name).and_then(|text| template_line(text, &problem));
    Finding {
        code,
        severity,
        document: Some(format!("{}/{}", manifest.kind(), manifest.name())),
        pointer: Some(problem.pointer),
        file: Some(renderer.template_place(&name).to_string()),
        line,
        message: problem.message,
        detail: None,
    }
}

/// The template line a problem most likely comes from: the first line that
/// writes the field it names (the unknown or missing field, else the last
/// field of its pointer).
fn template_line(template: &str, problem: &validate::Problem) -> Option<usize> {
    let named = problem.message.split('`').nth(1).filter(|_| problem.message.starts_with("unknown field") || problem.message.starts_with("missing"));
    let field = named.map(str::to_string).or_else(|| {
        problem.pointer.rsplit('/').find(|segment| !segment.is_empty() && segment.parse::<usize>().is_err()).map(str::to_string)
    })?;
    let key = format!("{field}:");
    template.lines().position(|line| {
        let line = line.trim_start().trim_start_matches("- ");
        line.starts_with(&key)
    }).map(|i| i + 1)
}
