//! The matrix check: every selected combination rendered and checked, in
//! parallel, with the validators compiled once; and the one-rendering
//! checks of `lint` and `docs`, into the same [`Report`].
//!
//! Per combination: the values against `values.schema.json`, every
//! document the [`Renderer`] gives against the strict schema of its kind,
//! the references between documents, the lint rules, then the golden
//! snapshot. A hand-written chart goes through the same checks after Helm
//! renders it ([`chart`]). Findings carry the document, the JSON pointer, and the file
//! and line they most likely come from.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

pub mod chart;

use crate::codes::Code;
use crate::diagnostic::{BadInput, Diagnostic, Origin};
use crate::docs;
use crate::extract::Manifest;
use crate::findings::{Checked, Document, Finding, Outcome, Report};
use crate::matrix::{self, Combination, Strategy};
use crate::place::Place;
use crate::render::native::Native;
use crate::render::templates::Templates;
use crate::render::{write_stream, Locate, Release, Renderer};
use crate::rules;
use crate::schema::values_schema;
use crate::snapshot::{self, Comparison};
use crate::source::Node;
use crate::spec::lint::Severity;
use crate::spec::LoadedSpec;
use crate::validate::{self, SchemaKind, Validators};
use crate::values::{self, flags, LoadedValues, MatrixBase, Values};

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
    /// Templates that replace the built-in ones of the same name.
    pub templates: Option<PathBuf>,
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

/// chartgen's templates for a spec: the built-in ones, with those of the
/// `templates` directory in place of the built-in ones of the same name.
pub fn templates(templates: Option<&std::path::Path>) -> Result<Templates, BadInput> {
    match templates {
        Some(dir) => Templates::builtin_with(dir),
        None => Ok(Templates::builtin()),
    }
}

/// What a check shares between combinations: the renderer, the compiled
/// validators and the rules.
pub struct Checker {
    renderer: Box<dyn Renderer>,
    validators: Validators,
    lint: rules::Config,
    /// The defaults every combination's values are coalesced over.
    defaults: Node,
    /// The spec's check values over the defaults, which a combination's flags
    /// are set over; `None` when they do not load, and each combination says why.
    base: Option<MatrixBase>,
}

impl Checker {
    pub fn new(spec: &LoadedSpec, options: &CheckOptions) -> Result<Checker, BadInput> {
        // Exploring the templates, compiling the schemas and reading the values are the fixed costs: side by side.
        let defaults = values::defaults_tree(&spec.spec);
        let (renderer, (validators, base)) = rayon::join(
            || templates(options.templates.as_deref()).and_then(|templates| Native::new(templates, &spec.spec)),
            || {
                rayon::join(
                    || Validators::new(values_schema(&spec.spec), options.crds.as_deref()),
                    || values::from_user_tree_over(&spec.spec, matrix::check_values(spec), defaults.clone()).ok().map(MatrixBase::new),
                )
            },
        );
        let (renderer, validators) = (Box::new(renderer?), validators?);
        Ok(Checker { renderer, validators, lint: rules::Config::new(&spec.spec.lint), defaults, base })
    }

    /// Checks the given combinations, in parallel.
    pub fn run(&self, spec: &LoadedSpec, combinations: Vec<Combination>, options: &CheckOptions) -> Result<Report, BadInput> {
        let start = Instant::now();
        let golden = options.golden.clone().map(Place::Disk).or_else(|| spec.spec.check.golden.as_deref().map(|g| spec.resolve(g)));
        let cache = DocumentCache::default();
        let update_command = update_command(spec, options);
        let mut outcomes = combinations
            .into_par_iter()
            .map(|combination| self.check_one(spec, &cache, golden.as_ref(), options.update, combination, &update_command))
            .collect::<Result<Vec<_>, BadInput>>()?;
        let mut deleted = Vec::new();
        if let Some(dir) = &golden
            && options.update
            && options.only.is_none()
            && options.strategy == Strategy::Full
        {
            let ids: BTreeSet<String> = outcomes.iter().map(|o| o.checked.name()).collect();
            for stale in snapshot::stale(dir, &ids) {
                let Some(file) = stale.disk() else { continue };
                std::fs::remove_file(file).map_err(|e| Diagnostic::plain(format!("cannot delete {stale}: {e}")))?;
                deleted.push(file.to_path_buf());
            }
        }
        let runbooks: Vec<Place> = spec.spec.check.runbooks.iter().map(|r| spec.resolve(r)).collect();
        outcomes.extend(runbook_outcomes(spec, &runbooks)?);
        Ok(Report { chart: spec.spec.chart.name.clone(), spec: spec.name(), outcomes, deleted, elapsed: start.elapsed() })
    }

    fn check_one(&self, spec: &LoadedSpec, cache: &DocumentCache, golden: Option<&Place>, update: bool, combination: Combination, update_command: &str) -> Result<Outcome, BadInput> {
        let load = || values::from_user_tree_over(&spec.spec, matrix::user_tree(spec, &combination)?, self.defaults.clone());
        let flags_only = self.base.as_ref().filter(|_| combination.scenario.is_none());
        // The located tree is read only when the values do not load the short way, or a finding about them needs a line.
        let located = OnceCell::new();
        // Setting flags over the base leaves its digest without flags as it is.
        let read = flags_only.and_then(|base| Some((base.with_flags(&spec.spec, &combination.flags)?, base.without_flags)));
        let ((values, values_json), without_flags) = match read {
            Some(read) => read,
            None => {
                let loaded = load()?;
                let _ = located.set(loaded.tree);
                let digest = flags::digest_without_flags(&loaded.json);
                ((loaded.values, loaded.json), digest)
            }
        };
        let tree = || located.get_or_init(|| load().map_or_else(|_| Node::from_json(&values_json, &Origin::Default), |loaded| loaded.tree));
        let mut findings: Vec<Finding> =
            self.validators.values(&values_json).into_iter().map(|p| values_finding(tree(), Code::ValuesSchema, Severity::Error, p)).collect();
        let release = Release::new(RELEASE.0, RELEASE.1)?;
        let manifests = self.renderer.render(&values, &values_json, without_flags, &release)?;
        findings.extend(document_findings(&*self.renderer, &self.validators, cache, &manifests, &values::external_objects(&values_json)));
        findings.extend(lint_findings(&*self.renderer, &self.lint, &spec.spec, (&values, &values_json, &tree), &manifests, &cache.rules));
        let mut change = None;
        if let Some(dir) = golden {
            let text = golden_text(&spec.spec.chart.name, &combination, &manifests);
            if update {
                change = Some(snapshot::update(dir, &combination.id, &text)?);
            } else if let Some(finding) = golden_finding(dir, &combination, &text, update_command) {
                findings.push(finding);
            }
        }
        Ok(Outcome { checked: Checked::Combination(combination), documents: documents(&manifests), findings, golden: change })
    }
}

/// What is known of documents already checked, by text: most documents are
/// the same in many combinations, and the same text has the same problems.
#[derive(Default)]
struct DocumentCache {
    schema: crate::extract::ByDigest<u64, (Vec<validate::Problem>, Code)>,
    references: validate::ReferenceCache,
    rules: rules::DocumentCache,
}

/// Each document against the strict schema of its kind, and the references between them.
fn document_findings(locate: &dyn Locate, validators: &Validators, cache: &DocumentCache, manifests: &[Manifest], external: &BTreeSet<(String, String)>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for manifest in manifests {
        let (problems, code) = cache.schema.get_or(manifest.digest, || {
            let (problems, kind) = validators.document(&manifest.object);
            (problems, if kind == Some(SchemaKind::Core) { Code::KubeSchema } else { Code::CrdSchema })
        });
        findings.extend(problems.into_iter().map(|problem| document_finding(locate, manifest, code, Severity::Error, problem)));
    }
    for problem in validate::check_references(manifests, external, &cache.references) {
        findings.push(document_finding(locate, &manifests[problem.document], Code::Reference, Severity::Error, problem.problem));
    }
    findings
}

fn documents(manifests: &[Manifest]) -> Vec<Document> {
    manifests.iter().map(|m| Document { kind: m.kind().into(), name: m.name().into(), source: m.source.clone() }).collect()
}

/// The finding of a golden that is missing or differs, if any.
fn golden_finding(dir: &Place, combination: &Combination, text: &str, update_command: &str) -> Option<Finding> {
    let file = Some(snapshot::path(dir, &combination.id).to_string());
    let (code, message, detail) = match snapshot::compare(dir, &combination.id, text) {
        Comparison::Same => return None,
        Comparison::Missing => (Code::GoldenMissing, format!("no golden snapshot; review the rendering and accept it with {update_command}"), None),
        Comparison::Differs(diff) => {
            (Code::GoldenMismatch, format!("the rendering differs from the golden snapshot; accept a reviewed change with {update_command}"), Some(diff))
        }
    };
    Some(Finding { code, severity: Severity::Error, document: None, pointer: None, file, line: None, message, detail })
}

/// `chartgen lint`: the rules on the rendering of one values set.
pub fn lint(spec: &LoadedSpec, values: &LoadedValues, release: &Release) -> Result<Report, BadInput> {
    let start = Instant::now();
    let renderer = Native::new(Templates::builtin(), &spec.spec)?;
    let manifests = renderer.render(&values.values, &values.json, flags::digest_without_flags(&values.json), release)?;
    let tree = || &values.tree;
    let findings = lint_findings(&renderer, &rules::Config::new(&spec.spec.lint), &spec.spec, (&values.values, &values.json, &tree), &manifests, &rules::DocumentCache::default());
    let flags = matrix::Assignment::of_tree(crate::values::flags::model_flags(), &values.json);
    let outcome = Outcome { checked: Checked::Values(flags), documents: documents(&manifests), findings, golden: None };
    Ok(Report { chart: spec.spec.chart.name.clone(), spec: spec.name(), outcomes: vec![outcome], deleted: Vec::new(), elapsed: start.elapsed() })
}

/// `chartgen docs`: runbooks against the values model.
pub fn runbooks(spec: &LoadedSpec, files: &[Place]) -> Result<Report, BadInput> {
    let start = Instant::now();
    let outcomes = runbook_outcomes(spec, files)?;
    Ok(Report { chart: spec.spec.chart.name.clone(), spec: spec.name(), outcomes, deleted: Vec::new(), elapsed: start.elapsed() })
}

/// The drift findings of runbooks, one outcome per file.
fn runbook_outcomes(spec: &LoadedSpec, files: &[Place]) -> Result<Vec<Outcome>, BadInput> {
    let mut outcomes = Vec::new();
    for file in files {
        let text = file.read_to_string().map_err(|e| Diagnostic::plain(format!("cannot read {file}: {e}")))?;
        // The commands against the values model, and the CloudNativePG YAML against the rules.
        let findings = docs::check_file(&spec.spec, file, &text)
            .into_iter()
            .chain(rules::check_runbook(&spec.spec, &text)?)
            .map(|f| Finding { code: f.code, severity: f.severity, document: None, pointer: None, file: Some(file.to_string()), line: Some(f.line), message: f.message, detail: None })
            .collect();
        outcomes.push(Outcome { checked: Checked::Runbook(file.clone()), documents: Vec::new(), findings, golden: None });
    }
    Ok(outcomes)
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
    let mut text = format!(
        "{} ({}), release {} in namespace {}.\n# Review changes, then accept them with `chartgen check --update`.\n",
        snapshot::marker(&combination.id),
        combination.describe(),
        RELEASE.0,
        RELEASE.1,
    );
    write_stream(&mut text, chart, manifests);
    text
}

/// The lint rules' findings on one rendering, located in the templates or the values.
/// `values` come with their JSON and the located tree, read when a finding needs it.
fn lint_findings<'a>(
    renderer: &dyn Locate,
    config: &rules::Config,
    spec: &crate::spec::Spec,
    (values, json, tree): (&Values, &serde_json::Value, &dyn Fn() -> &'a Node),
    manifests: &[Manifest],
    cache: &rules::DocumentCache,
) -> Vec<Finding> {
    let subject = rules::Subject { spec, values, values_tree: json, manifests };
    rules::run(config, &subject, cache)
        .into_iter()
        .map(|finding| {
            let problem = validate::Problem { pointer: finding.violation.pointer, message: finding.violation.message };
            let code = Code::Rule(finding.code);
            match finding.violation.document {
                Some(index) => document_finding(renderer, &manifests[index], code, finding.severity, problem),
                None => values_finding(tree(), code, finding.severity, problem),
            }
        })
        .collect()
}

/// A finding about the values, pointing at the line that set the value when a file or `--set` did.
fn values_finding(values: &Node, code: Code, severity: Severity, problem: validate::Problem) -> Finding {
    let origin = problem
        .pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .try_fold(values, |node, key| {
            node.get(&key).or_else(|| {
                key.parse::<usize>().ok().and_then(|i| match &node.value {
                    crate::source::Value::Seq(items) => items.get(i),
                    _ => None,
                })
            })
        })
        .map(|node| node.origin.clone());
    let file = origin.as_ref().and_then(Origin::source_name);
    let line = origin.as_ref().and_then(Origin::line);
    Finding { code, severity, document: None, pointer: Some(problem.pointer), file, line, message: problem.message, detail: None }
}

fn document_finding(renderer: &dyn Locate, manifest: &Manifest, code: Code, severity: Severity, problem: validate::Problem) -> Finding {
    let location = renderer.locate(manifest, &field_keys(&problem));
    Finding {
        code,
        severity,
        document: Some(format!("{}/{}", manifest.kind(), manifest.name())),
        pointer: Some(problem.pointer),
        file: location.as_ref().map(|l| l.file.clone()),
        line: location.and_then(|l| l.line),
        message: problem.message,
        detail: None,
    }
}

/// The keys down to the field a problem is about: the pointer's map keys,
/// then the unknown or missing field its message names.
fn field_keys(problem: &validate::Problem) -> Vec<String> {
    let mut keys: Vec<String> =
        problem.pointer.split('/').skip(1).filter(|segment| !segment.is_empty() && segment.parse::<usize>().is_err()).map(|segment| segment.replace("~1", "/").replace("~0", "~")).collect();
    let named = problem.message.split('`').nth(1).filter(|_| problem.message.starts_with("unknown field") || problem.message.starts_with("missing"));
    if let Some(named) = named {
        keys.push(named.to_string());
    }
    keys
}
