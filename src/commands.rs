//! The command-line entry points: each reads its inputs, runs the stages and
//! returns its output as text with whether it found problems, or the
//! diagnostics of bad input. Nothing is printed here, so a failed command
//! writes no partial output.

use std::path::PathBuf;

use crate::diagnostic::BadInput;
use crate::check::{self, CheckOptions};
use crate::drill;
use crate::helm;
use crate::matrix;
use crate::report::{self, Format};
use crate::rules;
use crate::validate::KUBERNETES_VERSION;
use crate::render::{to_stream, Release, Renderer};
use crate::schema::{values_schema, values_yaml};
use crate::spec;
use crate::values::{self, ValueInputs};

/// What a command prints, and whether it found problems (exit code 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub text: String,
    pub findings: bool,
}

impl Output {
    pub fn clean(text: String) -> Output {
        Output { text, findings: false }
    }
}

/// Options every command shares.
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// The chart spec; the built-in certctl spec when absent.
    pub spec: Option<PathBuf>,
    /// Warnings fail the run too (exit 1).
    pub deny_warnings: bool,
}

impl Common {
    /// The spec given with `--spec`, else the nearest `chartgen.yaml` from
    /// the working directory up to the repository's root, else the built-in one.
    pub fn load_spec(&self) -> Result<spec::LoadedSpec, BadInput> {
        let discovered = match &self.spec {
            Some(path) => Some(path.clone()),
            None => std::env::current_dir().ok().and_then(|dir| spec::discover(&dir)),
        };
        spec::load(discovered.as_deref())
    }

    fn deny_warnings(&self, spec: &spec::LoadedSpec) -> bool {
        self.deny_warnings || spec.spec.lint.deny_warnings
    }
}

/// `chartgen render`: the manifests for one set of values, like `helm template`.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub values: ValueInputs,
    pub release_name: String,
    pub namespace: String,
    /// Templates to use instead of the built-in ones.
    pub templates: Option<PathBuf>,
}

pub fn render(common: &Common, options: &RenderOptions) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let release = Release::new(&options.release_name, &options.namespace)?;
    let values = values::load(&loaded.spec, &options.values)?;
    let renderer = match &options.templates {
        Some(dir) => Renderer::from_dir(dir)?,
        None => Renderer::builtin(),
    };
    let manifests = renderer.render(&loaded.spec, &values.values, &release)?;
    Ok(Output::clean(to_stream(&loaded.spec.chart.name, &manifests)))
}

/// `chartgen values`: the commented default values.yaml.
pub fn default_values(common: &Common) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    Ok(Output::clean(values_yaml(&loaded.spec)))
}

/// `chartgen schema`: values.schema.json.
pub fn schema(common: &Common) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let mut text = serde_json::to_string_pretty(&values_schema(&loaded.spec)).expect("a schema serializes");
    text.push('\n');
    Ok(Output::clean(text))
}

/// `chartgen generate`: the Helm chart, written to `out/<chart>/` or compared with it.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub out: PathBuf,
    /// Compare with what is on disk instead of writing.
    pub check: bool,
}

/// Diff lines `generate --check` prints before it summarises the rest.
const DIFF_LINES_SHOWN: usize = 200;

pub fn generate(common: &Common, options: &GenerateOptions) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let chart = helm::compile(&Renderer::builtin(), &loaded.spec)?;
    let dir = options.out.join(&chart.name);
    if options.check {
        let diffs = helm::stale_files(&chart, &dir);
        if diffs.is_empty() {
            return Ok(Output::clean(format!("{} is current ({} files)\n", dir.display(), chart.files.len())));
        }
        let mut text = String::new();
        let mut shown = 0;
        for diff in &diffs {
            if text.lines().count() >= DIFF_LINES_SHOWN {
                break;
            }
            text.push_str(diff);
            shown += 1;
        }
        if shown < diffs.len() {
            text.push_str(&format!("... and {} more stale files\n", diffs.len() - shown));
        }
        let mut fix = String::from("chartgen");
        if let Some(path) = &common.spec {
            fix.push_str(&format!(" --spec {}", path.display()));
        }
        fix.push_str(" generate");
        if options.out != std::path::Path::new(DEFAULT_OUT) {
            fix.push_str(&format!(" --out {}", options.out.display()));
        }
        text.push_str(&format!("{} is stale: {} of {} files differ; run `{fix}`\n", dir.display(), diffs.len(), chart.files.len()));
        return Ok(Output { text, findings: true });
    }
    helm::write_chart(&chart, &dir)?;
    let mut text = format!("wrote {} ({} files)\n\n{:<48} {:>6} {:>16} {:>9}\n", dir.display(), chart.files.len(), "template", "lines", "longest variant", "variants");
    for report in &chart.report {
        text.push_str(&format!("{:<48} {:>6} {:>16} {:>9}\n", report.file, report.lines, report.longest_variant, report.variants));
    }
    Ok(Output::clean(text))
}

/// Where `generate` writes unless told otherwise.
pub const DEFAULT_OUT: &str = "charts-out";

/// `chartgen check`: every selected combination against the schemas, the
/// references, the rules and the goldens; or `--list` of the combinations.
#[derive(Debug, Clone, Default)]
pub struct CheckCommand {
    pub options: CheckOptions,
    pub format: Format,
    /// Print the combinations instead of checking them.
    pub list: bool,
    /// The Kubernetes version asked for; only the built-in one is available.
    pub kube_version: Option<String>,
    pub colour: bool,
    /// A file to write the report to instead of standard output.
    pub output: Option<PathBuf>,
}

pub fn check(common: &Common, command: &CheckCommand) -> Result<Output, BadInput> {
    if let Some(asked) = &command.kube_version {
        let normalized = asked.trim_start_matches('v');
        if normalized != KUBERNETES_VERSION && !normalized.starts_with(&format!("{KUBERNETES_VERSION}.")) {
            return Err(crate::diagnostic::Diagnostic::plain(format!("--kube-version {asked}: chartgen validates against Kubernetes {KUBERNETES_VERSION} only"))
                .with_help(format!("omit --kube-version, or give {KUBERNETES_VERSION}"))
                .into());
        }
    }
    let loaded = common.load_spec()?;
    if command.list {
        let combinations = matrix::select(&loaded, command.options.strategy, command.options.only.as_deref())?;
        let width = combinations.iter().map(|c| c.id.len()).max().unwrap_or(0);
        let mut text = String::new();
        for combination in &combinations {
            text.push_str(&format!("{:<width$}  {}\n", combination.id, combination.describe()));
        }
        text.push_str(&format!("{} combinations\n", combinations.len()));
        return Ok(Output::clean(text));
    }
    if command.options.update && command.options.golden.is_none() && loaded.is_builtin() {
        return Err(crate::diagnostic::Diagnostic::plain("the goldens of the built-in example are part of chartgen and cannot be updated")
            .with_help("give --golden DIR to write goldens there, or use a spec file of your own (chartgen init writes one)")
            .into());
    }
    let start = std::time::Instant::now();
    let combinations = check::select(&loaded, &command.options)?;
    // The process ends after the report; dropping the compiled schemas would only cost time.
    let checker: &check::Checker = Box::leak(Box::new(check::Checker::new(&loaded, &command.options)?));
    let mut report = checker.run(&loaded, combinations, &command.options)?;
    report.elapsed = start.elapsed();
    let findings = report.fails(common.deny_warnings(&loaded));
    let text = report::format(&report, command.format, command.colour);
    match &command.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| crate::diagnostic::Diagnostic::plain(format!("cannot write {}: {e}", path.display())))?;
            Ok(Output { text: format!("wrote {}: {}\n", path.display(), report::summary(&report)), findings })
        }
        None => Ok(Output { text, findings }),
    }
}

/// `chartgen rules`: every lint rule with the severity the spec gives it
/// (or `off`), or the rules page as Markdown.
pub fn rules(common: &Common, markdown: bool) -> Result<Output, BadInput> {
    if markdown {
        return Ok(Output::clean(rules::markdown()));
    }
    let loaded = common.load_spec()?;
    let config = rules::Config::new(&loaded.spec.lint, &loaded.tree)?;
    let mut text = String::new();
    for rule in rules::registry() {
        let doc = rule.doc();
        let severity = config.severity(doc.code).map_or("off", rules::Severity::as_str);
        text.push_str(&format!("{}  {:<26} {:<8} {}\n", doc.code, doc.name, severity, rules::first_sentence(doc.checks)));
    }
    Ok(Output::clean(text))
}

/// `chartgen explain CODE|NAME`: one rule's doc, with the severity the spec gives it.
pub fn explain(common: &Common, code: &str) -> Result<Output, BadInput> {
    let Some(rule) = rules::find(code) else {
        let names: Vec<&str> = rules::registry().iter().flat_map(|r| [r.doc().code, r.doc().name]).collect();
        let help = crate::diagnostic::nearest(code, names.iter().copied()).map_or("`chartgen rules` lists the codes and names".to_string(), |n| format!("did you mean `{n}`?"));
        return Err(crate::diagnostic::Diagnostic::plain(format!("`{code}` is not a rule code or name")).with_help(help).into());
    };
    let loaded = common.load_spec()?;
    let config = rules::Config::new(&loaded.spec.lint, &loaded.tree)?;
    let doc = rule.doc();
    let mut text = rules::explain(doc);
    match config.severity(doc.code) {
        None => text.push_str(&format!("\nThe spec ({}) disables this rule.\n", loaded.name())),
        Some(severity) if severity != doc.severity => {
            text.push_str(&format!("\nThe spec ({}) runs it as {} instead.\n", loaded.name(), severity.as_str()));
        }
        Some(_) => {}
    }
    Ok(Output::clean(text))
}

/// `chartgen lint`: the lint rules on the rendering of one set of values.
#[derive(Debug, Clone)]
pub struct LintCommand {
    pub values: ValueInputs,
    pub release_name: String,
    pub namespace: String,
    pub format: Format,
    pub colour: bool,
}

pub fn lint(common: &Common, command: &LintCommand) -> Result<Output, BadInput> {
    let start = std::time::Instant::now();
    let loaded = common.load_spec()?;
    let config = rules::Config::new(&loaded.spec.lint, &loaded.tree)?;
    let release = Release::new(&command.release_name, &command.namespace)?;
    let values = values::load(&loaded.spec, &command.values)?;
    let renderer = Renderer::builtin();
    let manifests = renderer.render(&loaded.spec, &values.values, &release)?;
    let tree = values.tree.to_json();
    let subject = rules::Subject { spec: &loaded.spec, values: &values.values, values_tree: &tree, manifests: &manifests };
    let findings = check::lint_findings(&renderer, &config, &subject, &values.tree, &rules::DocumentCache::default());
    let flags = matrix::flags_of(&tree);
    let result = check::CombinationResult {
        combination: matrix::Combination { id: "values".to_string(), flags, scenario: None },
        documents: manifests.iter().map(|m| check::Document { kind: m.kind().into(), name: m.name().into(), source: m.source.clone() }).collect(),
        findings,
        golden: None,
    };
    let report = check::CheckReport { chart: loaded.spec.chart.name.clone(), spec: loaded.name(), results: vec![result], runbooks: Vec::new(), deleted: Vec::new(), elapsed: start.elapsed() };
    Ok(Output { text: report::format(&report, command.format, command.colour), findings: report.fails(common.deny_warnings(&loaded)) })
}

/// `chartgen docs FILE...`: runbook commands against the values model.
pub fn docs(common: &Common, files: &[PathBuf], format: Format, colour: bool) -> Result<Output, BadInput> {
    let start = std::time::Instant::now();
    let loaded = common.load_spec()?;
    let files: Vec<crate::place::Place> = files.iter().cloned().map(crate::place::Place::Disk).collect();
    let runbooks = check::runbook_results(&loaded, &files)?;
    let report = check::CheckReport { chart: loaded.spec.chart.name.clone(), spec: loaded.name(), results: Vec::new(), runbooks, deleted: Vec::new(), elapsed: start.elapsed() };
    Ok(Output { text: report::format(&report, format, colour), findings: report.fails(common.deny_warnings(&loaded)) })
}

/// `chartgen drill`: the rendered backup and verify scripts against a real database.
#[derive(Debug, Clone)]
pub struct DrillCommand {
    pub values: ValueInputs,
    pub release_name: String,
    pub namespace: String,
    pub target: drill::Target,
}

pub fn drill(common: &Common, command: &DrillCommand) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let release = Release::new(&command.release_name, &command.namespace)?;
    // The drill runs the backup and the verify job, whatever the values say of them.
    let mut inputs = command.values.clone();
    inputs.set.push("backup.enabled=true,backup.verify.enabled=true".to_string());
    let values = values::load(&loaded.spec, &inputs)?;
    let work = tempfile::tempdir().map_err(|e| crate::diagnostic::Diagnostic::plain(format!("cannot create a work directory: {e}")))?;
    let steps = drill::run(&loaded.spec, &values.values, &release, &command.target, work.path())?;
    let mut text = String::new();
    for step in &steps {
        text.push_str(&format!("{} {:<20} {:>8.2} s\n", if step.ok { "ok  " } else { "FAIL" }, step.name, step.elapsed.as_secs_f64()));
        for line in step.output.lines() {
            text.push_str(&format!("      {line}\n"));
        }
    }
    let verified = steps.last().is_some_and(|s| s.ok && s.name.starts_with("verify/"));
    text.push_str(if verified { "the newest dump restores and passes the sanity queries\n" } else { "the drill failed\n" });
    Ok(Output { text, findings: !verified })
}

/// `chartgen init`: a commented spec for a new application in `dir`.
pub fn init(dir: &std::path::Path, answers: &crate::init::Answers) -> Result<Output, BadInput> {
    Ok(Output::clean(crate::init::write(dir, answers)?))
}

/// `chartgen spec-schema`: the JSON Schema of `chartgen.yaml`.
pub fn spec_schema() -> Output {
    let mut text = serde_json::to_string_pretty(&spec::spec_schema()).expect("a schema serializes");
    text.push('\n');
    Output::clean(text)
}
