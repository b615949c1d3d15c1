//! `check --chart`: a chart written by hand, over the combinations of the
//! flags found in it, rendered by Helm. After rendering, each combination
//! goes through the checks chartgen's own charts go through (strict
//! schemas, references, the rules that read documents alone, goldens);
//! before, Helm's refusals are findings; and across combinations, a flag
//! that changes nothing is one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use super::{document_findings, documents, golden_finding, golden_text, lint_findings, DocumentCache};
use crate::chart::config::MatrixConfig;
use crate::chart::HelmChart;
use crate::codes::Code;
use crate::diagnostic::{BadInput, Diagnostic, Origin};
use crate::extract::Manifest;
use crate::findings::{Checked, Finding, Outcome, Report};
use crate::matrix::{self, Assignment, Combination, Strategy};
use crate::place::Place;
use crate::progress::Progress;
use crate::render::helm_binary::HelmBinary;
use crate::render::helm_sdk::HelmSdk;
use crate::render::{field_line, HelmRenderer, Locate, Location, RenderFailure, Release, Rendered};
use crate::rules;
use crate::snapshot;
use crate::source::Node;
use crate::spec::lint::Severity;
use crate::validate::Validators;
use crate::values::flags::{Flag, FlagValue};

/// Which Helm renders the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RendererKind {
    /// The `helm` binary, `helm template` once per combination.
    #[default]
    Helm,
    /// helm-python-sdk: Helm's engine in long-lived Python processes.
    HelmSdk,
}

/// With a full matrix of more combinations than this, the strategy is pairwise unless one is given.
pub const PAIRWISE_ABOVE: usize = 256;

/// The most combinations `--strategy full` renders: each one's documents are kept until the flags are compared.
pub const FULL_LIMIT: usize = 16_384;

/// A chart, its settings and its flags: what is checked.
pub struct ChartMatrix {
    pub chart: HelmChart,
    pub config: MatrixConfig,
    pub flags: Vec<Flag>,
    /// Where the settings came from, for messages.
    pub config_file: Option<PathBuf>,
}

impl ChartMatrix {
    /// Reads the chart, its settings (`matrix`, else `chartgen-matrix.yaml` beside it) and finds its flags.
    pub fn load(dir: &std::path::Path, matrix: Option<&std::path::Path>) -> Result<ChartMatrix, BadInput> {
        let chart = HelmChart::load(dir)?;
        let config = MatrixConfig::load(dir, matrix, &chart.default_values())?;
        let flags = crate::chart::flags::discover(&chart, &config);
        check_flags(&flags, &config)?;
        let beside = dir.join(crate::chart::config::FILE_NAME);
        let config_file = matrix.map(std::path::Path::to_path_buf).or_else(|| beside.is_file().then_some(beside));
        Ok(ChartMatrix { chart, config, flags, config_file })
    }

    /// The default values with the settings' companion values over them.
    fn base_values(&self) -> serde_json::Value {
        let mut base = self.chart.default_values();
        merge(&mut base, &self.config.values);
        base
    }

    /// The combinations to check: the strategy's (pairwise when the full
    /// matrix is larger than [`PAIRWISE_ABOVE`] and none is asked for), then
    /// the chart's scenario files, kept by `only`.
    pub fn combinations(&self, strategy: Option<Strategy>, only: Option<&str>) -> Result<Vec<Combination>, BadInput> {
        let base = self.base_values();
        // Each flag's default, whether or not its dependency holds by default, as chartgen's own ids count them.
        let defaults: Assignment = self.flags.iter().filter_map(|f| Some((f.path.clone(), FlagValue::from_json(f.path.lookup(&base))?))).collect();
        let full = |limit: usize| matrix::full_within(&self.flags, &defaults, limit);
        let mut chosen = match strategy {
            None => full(PAIRWISE_ABOVE).unwrap_or_else(|| matrix::pairwise_over(&self.flags, &defaults)),
            Some(Strategy::Pairwise) => matrix::pairwise_over(&self.flags, &defaults),
            Some(Strategy::Full) => full(FULL_LIMIT).ok_or_else(|| {
                Diagnostic::plain(format!("the full matrix of the chart's {} flags has more than the {FULL_LIMIT} combinations a check renders", self.flags.len()))
                    .with_help(format!("use --strategy pairwise, or leave flags out with `ignore:` in {}", crate::chart::config::FILE_NAME))
            })?,
        };
        for file in &self.chart.scenarios {
            let mut values = base.clone();
            merge(&mut values, &crate::source::load_place(file)?.to_json());
            chosen.push(Combination { id: format!("scenario-{}", file.stem()), flags: Assignment::of_tree(&self.flags, &values), scenario: Some(file.clone()) });
        }
        unique_ids(&mut chosen);
        if let Some(pattern) = only {
            matrix::retain_matching(&mut chosen, pattern);
            if chosen.is_empty() {
                return Err(Diagnostic::plain(format!("no combination matches --only {pattern}")).with_help("`chartgen check --chart DIR --list` prints every combination's id").into());
            }
        }
        Ok(chosen)
    }

    /// The values a combination gives Helm over the chart's own: the companion values, then the scenario file or the flags.
    fn user_values(&self, combination: &Combination) -> Result<serde_json::Value, BadInput> {
        let mut values = self.config.values.clone();
        match &combination.scenario {
            Some(file) => merge(&mut values, &crate::source::load_place(file)?.to_json()),
            None => merge(&mut values, &combination.flags.to_tree()),
        }
        Ok(values)
    }
}

/// Ids name golden files: characters a file name should not hold become
/// `_`, and an id that two combinations share (flags whose last keys are
/// alike, `ci/x-values.yaml` and `examples/x-values.yaml`) gets `-2`, `-3`.
fn unique_ids(combinations: &mut [Combination]) {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for combination in combinations {
        let clean: String = combination.id.chars().map(|c| if c.is_ascii_alphanumeric() || "._+-".contains(c) { c } else { '_' }).collect();
        let count = seen.entry(clean.clone()).or_default();
        *count += 1;
        combination.id = if *count == 1 { clean } else { format!("{clean}-{count}") };
    }
}

/// Refuses what the flags cannot be: one flag inside another's value (a
/// value is a switch or a map, not both), and an expected failure that
/// names something that is not a flag (it would never be selected).
fn check_flags(flags: &[Flag], config: &MatrixConfig) -> Result<(), BadInput> {
    let mut problems = Vec::new();
    for flag in flags {
        if let Some(inner) = flags.iter().find(|other| other.path.keys().len() > flag.path.keys().len() && other.path.keys().starts_with(flag.path.keys())) {
            problems.push(Diagnostic::plain(format!("the flag `{}` holds the flag `{}`: a value cannot be both", flag.path, inner.path)).with_help(format!("leave one of them out with `ignore:` in {}", crate::chart::config::FILE_NAME)));
        }
    }
    for failure in &config.expected_failures {
        for (path, value) in &failure.when {
            match flags.iter().find(|f| f.path == *path) {
                None => problems.push(Diagnostic::new(failure.at.clone(), format!("`{path}` is not a flag of the matrix, so this expected failure never applies")).with_help("name flags only; `chartgen check --chart DIR --list` shows them")),
                Some(flag) if !flag.domain.contains(value) => problems.push(
                    Diagnostic::new(failure.at.clone(), format!("the flag `{path}` never takes `{value}`"))
                        .with_help(format!("it takes {}", flag.domain.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "))),
                ),
                Some(_) => {}
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(BadInput::sorted(problems)) }
}

/// Merges `over` into `into` as Helm merges values files (`source::merge_maps`).
fn merge(into: &mut serde_json::Value, over: &serde_json::Value) {
    let mut merged = Node::from_json(into, &Origin::Default);
    crate::source::merge_maps(&mut merged, Node::from_json(over, &Origin::Default));
    *into = merged.to_json();
}

/// How to run a check of a chart.
#[derive(Debug, Clone, Default)]
pub struct ChartOptions {
    pub renderer: RendererKind,
    /// The helm binary (`helm` on PATH by default).
    pub helm: Option<PathBuf>,
    pub crds: Option<PathBuf>,
    pub golden: Option<PathBuf>,
    pub update: bool,
    /// Show progress on a terminal.
    pub progress: bool,
}

/// The renderer the options choose, for a chart.
pub fn renderer(chart: &HelmChart, options: &ChartOptions) -> Result<Box<dyn HelmRenderer>, BadInput> {
    Ok(match options.renderer {
        RendererKind::Helm => Box::new(HelmBinary::new(options.helm.as_deref().unwrap_or("helm".as_ref()), &chart.dir, &chart.name)?),
        RendererKind::HelmSdk => Box::new(HelmSdk::new(&chart.dir, &chart.name)?),
    })
}

/// Where a hand-written chart's documents were written: the template Helm names, and the field's line in it.
struct ChartLocator<'a>(&'a HelmChart);

impl Locate for ChartLocator<'_> {
    fn locate(&self, manifest: &Manifest, keys: &[String]) -> Option<Location> {
        let text = self.0.template(&manifest.source)?;
        Some(Location { file: self.0.display_path(&manifest.source), line: field_line(text, keys) })
    }
}

/// Checks the combinations of a chart; `release` is what every one is rendered for.
pub fn run(matrix: &ChartMatrix, combinations: Vec<Combination>, options: &ChartOptions, release: &Release) -> Result<Report, BadInput> {
    let start = Instant::now();
    let values = combinations.iter().map(|c| matrix.user_values(c)).collect::<Result<Vec<_>, BadInput>>()?;
    // The chart's own CRDs (its crds/, which `helm template` does not print) validate its custom resources unless --crds says otherwise.
    let chart_crds = matrix.chart.dir.join("crds");
    let crds = options.crds.clone().or_else(|| chart_crds.is_dir().then_some(chart_crds));
    let (renderer, validators) = rayon::join(|| renderer(&matrix.chart, options), || Validators::new(serde_json::json!({}), crds.as_deref()));
    let (renderer, validators) = (renderer?, validators?);
    let rendered = {
        let progress = Progress::on_terminal("rendered", values.len(), options.progress);
        renderer.render_all(&values, release, &progress)?
    };
    // The rules read documents only; the spec and values they are handed are the built-in example's, with the settings' metrics.
    let mut spec = crate::spec::load(None)?.spec;
    spec.metrics = matrix.config.metrics.clone();
    let defaults = crate::values::from_user_tree(&spec, Node::empty_map(Origin::Default))?;
    let checks = Checks {
        validators,
        cache: DocumentCache::default(),
        locator: ChartLocator(&matrix.chart),
        lint: rules::Config::new(&spec.lint).documents_only(),
        spec,
        defaults,
        golden: options.golden.clone().map(Place::Disk),
        update: options.update,
        update_command: format!("`chartgen check --chart {} --golden DIR --update`", matrix.chart.dir.display()),
    };
    // Each rendering is checked and let go; what the flags are compared by is its documents' digests.
    let checked = combinations
        .par_iter()
        .zip(rendered.into_par_iter())
        .map(|(combination, rendered)| -> Result<(Outcome, Option<Vec<u64>>), BadInput> {
            let fingerprint = rendered.as_ref().ok().map(|manifests| {
                let mut digests: Vec<u64> = manifests.iter().map(|m| m.digest).collect();
                digests.sort_unstable();
                digests
            });
            check_rendering(matrix, combination, &rendered, &checks).map(|outcome| (outcome, fingerprint))
        })
        .collect::<Result<Vec<_>, BadInput>>()?;
    let (mut outcomes, fingerprints): (Vec<Outcome>, Vec<Option<Vec<u64>>>) = checked.into_iter().unzip();
    outcomes.extend(flags_without_effect(matrix, &combinations, &fingerprints));
    Ok(Report { chart: matrix.chart.name.clone(), spec: matrix.chart.dir.display().to_string(), outcomes, deleted: Vec::new(), elapsed: start.elapsed() })
}

/// What every combination's checks share.
struct Checks<'a> {
    validators: Validators,
    cache: DocumentCache,
    locator: ChartLocator<'a>,
    lint: rules::Config,
    spec: crate::spec::Spec,
    defaults: crate::values::LoadedValues,
    golden: Option<Place>,
    update: bool,
    update_command: String,
}

/// One combination's findings: Helm's refusal, or the checks of its documents.
fn check_rendering(matrix: &ChartMatrix, combination: &Combination, rendered: &Rendered, checks: &Checks<'_>) -> Result<Outcome, BadInput> {
    let Checks { validators, cache, locator, lint, spec, defaults, golden, update, update_command } = checks;
    let no_tree = Node::empty_map(Origin::Default);
    let expected = matrix.config.expected_failures.iter().find(|f| f.selects(&combination.flags));
    let manifests = match rendered {
        Err(failure) if matrix.config.expected_failures.iter().any(|f| f.matches(&combination.flags, &failure.message)) => {
            return Ok(Outcome { checked: Checked::Combination(combination.clone()), documents: Vec::new(), findings: Vec::new(), golden: None });
        }
        Err(failure) => {
            let finding = render_finding(matrix, failure);
            return Ok(Outcome { checked: Checked::Combination(combination.clone()), documents: Vec::new(), findings: vec![finding], golden: None });
        }
        Ok(manifests) => manifests,
    };
    let mut findings = Vec::new();
    // A scenario file may set what the refused flag values lack.
    if let Some(expected) = expected.filter(|_| combination.scenario.is_none()) {
        findings.push(Finding {
            code: Code::Render,
            severity: Severity::Error,
            document: None,
            pointer: None,
            file: expected.at.source_name(),
            line: expected.at.line(),
            message: format!("the settings expect Helm to refuse this combination with \"{}\", but it rendered", expected.message),
            detail: None,
        });
    }
    findings.extend(document_findings(locator, validators, cache, manifests, &matrix.config.external));
    let tree = || &no_tree;
    findings.extend(lint_findings(locator, lint, spec, (&defaults.values, &defaults.json, &tree), manifests, &cache.rules));
    let mut change = None;
    if let Some(dir) = golden {
        let text = golden_text(&matrix.chart.name, combination, manifests);
        if *update {
            change = Some(snapshot::update(dir, &combination.id, &text)?);
        } else if let Some(finding) = golden_finding(dir, combination, &text, update_command) {
            findings.push(finding);
        }
    }
    Ok(Outcome { checked: Checked::Combination(combination.clone()), documents: documents(manifests), findings, golden: change })
}

/// Helm's refusal as a finding, at the template and line Helm names.
fn render_finding(matrix: &ChartMatrix, failure: &RenderFailure) -> Finding {
    Finding {
        code: Code::Render,
        severity: Severity::Error,
        document: None,
        pointer: None,
        file: failure.file.as_ref().map(|f| matrix.chart.display_path(f)),
        line: failure.line,
        message: format!("Helm refused to render: {}", failure.message),
        detail: None,
    }
}

/// The flags whose values render the same whatever the other flags are:
/// among the combinations that differ in that flag alone, none renders
/// differently. A flag no two rendered combinations tell apart is not judged.
fn flags_without_effect(matrix: &ChartMatrix, combinations: &[Combination], fingerprints: &[Option<Vec<u64>>]) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for flag in &matrix.flags {
        // The combinations by their other flags: each group holds the values this flag took there.
        let mut groups: BTreeMap<Assignment, Vec<(&FlagValue, Vec<u64>)>> = BTreeMap::new();
        // A refusal says nothing of what the flag does where Helm renders.
        for (combination, fingerprint) in combinations.iter().zip(fingerprints).filter(|(c, _)| c.scenario.is_none()).filter_map(|(c, f)| Some((c, f.as_ref()?))) {
            let Some(value) = combination.flags.get(&flag.path) else { continue };
            let others: Assignment = Assignment::from_iter(combination.flags.iter().filter(|(path, _)| **path != flag.path && !depends_on(matrix, path, &flag.path)).map(|(p, v)| (p.clone(), v.clone())));
            groups.entry(others).or_default().push((value, fingerprint.clone()));
        }
        let compared: Vec<&Vec<(&FlagValue, Vec<u64>)>> = groups.values().filter(|g| g.iter().map(|(v, _)| *v).collect::<BTreeSet<_>>().len() > 1).collect();
        if compared.is_empty() || compared.iter().any(|group| group.iter().any(|(_, f)| *f != group[0].1)) {
            continue;
        }
        let values: Vec<String> = flag.domain.iter().map(ToString::to_string).collect();
        let at = matrix.chart.values.member(&flag.path.to_string()).map(|m| m.key.clone());
        let finding = Finding {
            code: Code::FlagNoEffect,
            severity: Severity::Warning,
            document: None,
            pointer: None,
            file: at.as_ref().and_then(Origin::source_name),
            line: at.as_ref().and_then(Origin::line),
            message: format!(
                "`{}` renders the same documents whether it is {}, in each of the {} sets of other flags checked both ways",
                flag.path,
                values.join(" or "),
                compared.len()
            ),
            detail: Some(format!(
                "Remove the value, or make the templates use it; if it only matters together with values outside the matrix, list it under `ignore:` in {}.",
                crate::chart::config::FILE_NAME
            )),
        };
        outcomes.push(Outcome { checked: Checked::Flag(flag.path.clone()), documents: Vec::new(), findings: vec![finding], golden: None });
    }
    outcomes
}

/// Whether the flag at `path` matters only under `on` (directly or through another flag).
fn depends_on(matrix: &ChartMatrix, path: &crate::values::flags::ValuePath, on: &crate::values::flags::ValuePath) -> bool {
    let mut next = matrix.flags.iter().find(|f| f.path == *path).and_then(|f| f.requires.as_ref());
    let mut steps = 0;
    while let Some((required, _)) = next {
        if required == on {
            return true;
        }
        steps += 1;
        if steps > matrix.flags.len() {
            return false;
        }
        next = matrix.flags.iter().find(|f| f.path == *required).and_then(|f| f.requires.as_ref());
    }
    false
}

/// `lint --chart`: one set of values over the chart's, rendered by Helm and
/// checked as a combination is.
pub fn lint(mut matrix: ChartMatrix, values: serde_json::Value, options: &ChartOptions, release: &Release) -> Result<Report, BadInput> {
    let mut base = matrix.base_values();
    merge(&mut base, &values);
    let flags = Assignment::of_tree(&matrix.flags, &base);
    merge(&mut matrix.config.values, &values);
    let combination = Combination { id: "values".to_string(), flags: flags.clone(), scenario: None };
    let mut report = run(&matrix, vec![combination], options, release)?;
    report.outcomes.retain(|o| matches!(o.checked, Checked::Combination(_)));
    for outcome in &mut report.outcomes {
        outcome.checked = Checked::Values(flags.clone());
    }
    Ok(report)
}

