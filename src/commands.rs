//! The command line: its arguments (clap's derive, on the library's own
//! types) and one function per command, each reading its inputs, running the
//! stages and returning its output as text with whether it found problems,
//! or the diagnostics of bad input. Only [`run`] prints, so a failed
//! command writes no partial output.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::check::{self, CheckOptions};
use crate::diagnostic::{BadInput, Diagnostic};
use crate::drill;
use crate::helm;
use crate::init::Answers;
use crate::matrix::{self, Strategy};
use crate::place::Place;
use crate::render::{to_stream, Release, Renderer};
use crate::report::{self, Format};
use crate::rules;
use crate::schema::{values_schema, values_yaml};
use crate::spec;
use crate::validate::KUBERNETES_VERSION;
use crate::values::{self, ValueInputs};

const EXIT_CODES: &str = "Exit codes: 0 success (warnings only, unless --deny-warnings), 1 findings or a stale chart, 2 bad input or usage.";

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (Kubernetes schemas: 1.33, from k8s-openapi)");

/// Where `generate` writes unless told otherwise.
pub const DEFAULT_OUT: &str = "charts-out";

/// Generate and verify the PostgreSQL-operations part of a Helm chart.
#[derive(Parser)]
#[command(name = "chartgen", version = VERSION, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// Options every command shares.
#[derive(Debug, Clone, Default, Args)]
pub struct Common {
    /// Chart spec; without it, the nearest chartgen.yaml from the working directory up to the repository's root, else the built-in certctl example.
    #[arg(long, global = true, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Fail (exit 1) on warnings too, not only on errors (check, lint, docs).
    #[arg(long, global = true)]
    pub deny_warnings: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Print the manifests for one set of values, like `helm template`.
    Render(RenderOptions),
    /// Print the default values.yaml, with every field documented.
    Values,
    /// Print values.schema.json (JSON Schema draft-07).
    Schema,
    /// Write the Helm chart compiled from the templates to OUT/<chart>/.
    Generate(GenerateOptions),
    /// Check every flag combination against the schemas, the references, the lint rules and the goldens.
    Check(CheckCommand),
    /// Run the lint rules on the rendering of one set of values.
    Lint(LintCommand),
    /// Run the rendered backup and verify scripts on this machine against a real database.
    Drill(DrillCommand),
    /// List the lint rules.
    Rules {
        /// Print the rules page (docs/rules.md) instead.
        #[arg(long)]
        markdown: bool,
    },
    /// Check the helm and pg_dump commands of Markdown runbooks against the chart.
    Docs(DocsCommand),
    /// Write a commented chartgen.yaml for a new application (and its JSON Schema), asking nothing.
    Init(InitCommand),
    /// Print the JSON Schema of chartgen.yaml, for editors.
    SpecSchema,
    /// Explain one lint rule: what it checks, why, a bad and a good example.
    Explain {
        /// The rule's code, such as CG101, or its name, such as backup-rpo.
        code: crate::codes::RuleCode,
    },
}

/// Parses the command line, runs the command, prints its output or its
/// diagnostics, and says how the process exits.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let common = &cli.common;
    let result = match &cli.command {
        Command::Render(options) => render(common, options),
        Command::Values => default_values(common),
        Command::Schema => schema(common),
        Command::Generate(options) => generate(common, options),
        Command::Check(command) => check(common, command),
        Command::Lint(command) => lint(common, command),
        Command::Drill(command) => drill(common, command),
        Command::Rules { markdown } => rules(common, *markdown),
        Command::Docs(command) => docs(common, command),
        Command::Init(command) => init(command),
        Command::SpecSchema => Ok(spec_schema()),
        Command::Explain { code } => explain(common, *code),
    };
    match result {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(output.text.as_bytes()).and_then(|()| stdout.flush()) {
                // A reader that stopped early (`| head`) ends the output quietly, as for other Unix tools.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "error: cannot write the output: {e}");
                    return ExitCode::from(2);
                }
                Ok(()) => {}
            }
            if output.findings { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(bad) => {
            let colour = colour(std::io::stderr().is_terminal());
            let mut stderr = std::io::stderr().lock();
            for diagnostic in &bad.0 {
                let _ = write!(stderr, "{}", diagnostic.render(colour));
            }
            let _ = writeln!(stderr, "{}", bad.count());
            ExitCode::from(2)
        }
    }
}

/// Colour on a terminal, unless NO_COLOR is set (https://no-color.org).
fn colour(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

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

/// The release a rendering is for, as `helm template NAME --namespace NS`.
#[derive(Debug, Clone, Args)]
pub struct ReleaseArgs {
    /// Release name, as in `helm template NAME`.
    #[arg(long, default_value = "release-name", value_name = "NAME")]
    pub release_name: String,
    /// Namespace the objects are rendered for.
    #[arg(short = 'n', long, default_value = "default", value_name = "NS")]
    pub namespace: String,
}

impl ReleaseArgs {
    fn release(&self) -> Result<Release, BadInput> {
        Ok(Release::new(&self.release_name, &self.namespace)?)
    }
}

/// `chartgen render`: the manifests for one set of values, like `helm template`.
#[derive(Debug, Clone, Args)]
pub struct RenderOptions {
    #[command(flatten)]
    pub values: ValueInputs,
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Render with the templates in this directory in place of the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

pub fn render(common: &Common, options: &RenderOptions) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let release = options.release.release()?;
    let values = values::load(&loaded.spec, &options.values)?;
    let renderer = crate::render::native::Native::new(check::templates(options.templates.as_deref())?, &loaded.spec)?;
    let manifests = renderer.render(&values.values, &values.json, crate::values::flags::digest_without_flags(&values.json), &release)?;
    Ok(Output::clean(to_stream(&loaded.spec.chart.name, &manifests)))
}

/// `chartgen values`: the commented default values.yaml.
pub fn default_values(common: &Common) -> Result<Output, BadInput> {
    Ok(Output::clean(values_yaml(&common.load_spec()?.spec)))
}

/// `chartgen schema`: values.schema.json.
pub fn schema(common: &Common) -> Result<Output, BadInput> {
    let mut text = serde_json::to_string_pretty(&values_schema(&common.load_spec()?.spec)).expect("a schema serializes");
    text.push('\n');
    Ok(Output::clean(text))
}

/// `chartgen generate`: the Helm chart, written to `out/<chart>/` or compared with it.
#[derive(Debug, Clone, Args)]
pub struct GenerateOptions {
    /// Directory the chart directory is written into.
    #[arg(long, default_value = DEFAULT_OUT, value_name = "DIR")]
    pub out: PathBuf,
    /// Write nothing; exit 1 with a diff when the chart on disk is stale.
    #[arg(long)]
    pub check: bool,
}

/// Diff lines `generate --check` prints before it summarises the rest.
const DIFF_LINES_SHOWN: usize = 200;

pub fn generate(common: &Common, options: &GenerateOptions) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let chart = helm::compile(&crate::render::templates::Templates::builtin(), &loaded.spec)?;
    let dir = options.out.join(&chart.name);
    if !options.check {
        helm::write_chart(&chart, &dir)?;
        let mut text = format!("wrote {} ({} files)\n\n{:<48} {:>6} {:>16} {:>9}\n", dir.display(), chart.files.len(), "template", "lines", "longest variant", "variants");
        for report in &chart.report {
            text.push_str(&format!("{:<48} {:>6} {:>16} {:>9}\n", report.file, report.lines, report.longest_variant, report.variants));
        }
        return Ok(Output::clean(text));
    }
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
    if options.out != Path::new(DEFAULT_OUT) {
        fix.push_str(&format!(" --out {}", options.out.display()));
    }
    text.push_str(&format!("{} is stale: {} of {} files differ; run `{fix}`\n", dir.display(), diffs.len(), chart.files.len()));
    Ok(Output { text, findings: true })
}

/// `chartgen check`: every selected combination against the schemas, the
/// references, the rules and the goldens; or `--list` of the combinations.
#[derive(Debug, Clone, Default, Args)]
pub struct CheckCommand {
    /// Which combinations to check [default: full; with --chart, pairwise when the full matrix has more than 256].
    #[arg(long, value_enum)]
    pub strategy: Option<Strategy>,
    /// Only the combinations whose id matches this glob (`*` matches anything).
    #[arg(long, value_name = "PATTERN")]
    pub only: Option<String>,
    /// Write new and changed goldens, delete those of vanished combinations.
    #[arg(long)]
    pub update: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Directory of CRD manifests; their served versions' schemas validate custom resources.
    #[arg(long, value_name = "DIR")]
    pub crds: Option<PathBuf>,
    /// Directory of the golden snapshots, instead of the spec's `check.golden`.
    #[arg(long, value_name = "DIR")]
    pub golden: Option<PathBuf>,
    /// Check with the templates in this directory in place of the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Kubernetes version to validate against (only 1.33 is built in).
    #[arg(long, value_name = "X")]
    pub kube_version: Option<String>,
    /// Print each combination's id and flag values, and check nothing.
    #[arg(long)]
    pub list: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub chart: ChartArgs,
}

/// A Helm chart written by hand, rendered by Helm, instead of the spec's.
#[derive(Debug, Clone, Default, Args)]
pub struct ChartArgs {
    /// Check this Helm chart directory (Chart.yaml, values.yaml, templates/) instead of chartgen's own chart.
    #[arg(long, value_name = "DIR")]
    pub chart: Option<PathBuf>,
    /// How Helm renders the chart (with --chart).
    #[arg(long, value_enum, default_value_t, requires = "chart")]
    pub renderer: check::chart::RendererKind,
    /// The helm binary for --renderer helm [default: helm on PATH].
    #[arg(long, value_name = "PATH", requires = "chart")]
    pub helm: Option<PathBuf>,
    /// Matrix settings (companion values, dependencies, expected failures, external objects) [default: DIR/chartgen-matrix.yaml].
    #[arg(long, value_name = "FILE", requires = "chart")]
    pub matrix: Option<PathBuf>,
}

impl CheckCommand {
    pub fn options(&self) -> CheckOptions {
        CheckOptions {
            strategy: self.strategy.unwrap_or_default(),
            only: self.only.clone(),
            update: self.update,
            crds: self.crds.clone(),
            golden: self.golden.clone(),
            templates: self.templates.clone(),
        }
    }
}

pub fn check(common: &Common, command: &CheckCommand) -> Result<Output, BadInput> {
    if let Some(asked) = &command.kube_version {
        let normalized = asked.trim_start_matches('v');
        if normalized != KUBERNETES_VERSION && !normalized.starts_with(&format!("{KUBERNETES_VERSION}.")) {
            return Err(Diagnostic::plain(format!("--kube-version {asked}: chartgen validates against Kubernetes {KUBERNETES_VERSION} only"))
                .with_help(format!("omit --kube-version, or give {KUBERNETES_VERSION}"))
                .into());
        }
    }
    if let Some(dir) = &command.chart.chart {
        return check_chart(common, command, dir);
    }
    let loaded = common.load_spec()?;
    let options = command.options();
    if command.list {
        return Ok(Output::clean(list(&matrix::select(&loaded, options.strategy, options.only.as_deref())?)));
    }
    if options.update && options.golden.is_none() && loaded.is_builtin() {
        return Err(Diagnostic::plain("the goldens of the built-in example are part of chartgen and cannot be updated")
            .with_help("give --golden DIR to write goldens there, or use a spec file of your own (chartgen init writes one)")
            .into());
    }
    let start = std::time::Instant::now();
    let (combinations, checker) = rayon::join(|| check::select(&loaded, &options), || check::Checker::new(&loaded, &options));
    let combinations = combinations?;
    // The process ends after the report; dropping the compiled schemas would only cost time.
    let checker: &check::Checker = Box::leak(Box::new(checker?));
    let mut report = checker.run(&loaded, combinations, &options)?;
    report.elapsed = start.elapsed();
    let output = write_report(command, &report, common.deny_warnings(&loaded));
    // Freeing every outcome of a large matrix one by one would only delay the exit.
    std::mem::forget(report);
    output
}

/// `chartgen check --chart DIR`: a hand-written chart's combinations, rendered by Helm.
fn check_chart(common: &Common, command: &CheckCommand, dir: &Path) -> Result<Output, BadInput> {
    if command.templates.is_some() {
        return Err(Diagnostic::plain("--templates replaces chartgen's own templates and does not apply to --chart").with_help("edit the chart's templates/ instead").into());
    }
    let matrix = check::chart::ChartMatrix::load(dir, command.chart.matrix.as_deref())?;
    let combinations = matrix.combinations(command.strategy, command.only.as_deref())?;
    if command.list {
        return Ok(Output::clean(list(&combinations)));
    }
    let options = check::chart::ChartOptions {
        renderer: command.chart.renderer,
        helm: command.chart.helm.clone(),
        crds: command.crds.clone(),
        golden: command.golden.clone(),
        update: command.update,
        progress: command.format == Format::Human && command.output.is_none(),
    };
    if options.update && options.golden.is_none() {
        return Err(Diagnostic::plain("--update needs --golden DIR with --chart").with_help("give the directory the chart's goldens are kept in").into());
    }
    let release = Release::new(check::RELEASE.0, check::RELEASE.1)?;
    let report = check::chart::run(&matrix, combinations, &options, &release)?;
    write_report(command, &report, common.deny_warnings)
}

/// A check's report in its format, to standard output or the `--output` file.
fn write_report(command: &CheckCommand, report: &crate::findings::Report, deny_warnings: bool) -> Result<Output, BadInput> {
    let findings = report.fails(deny_warnings);
    match &command.output {
        Some(path) => {
            std::fs::write(path, command.format.write(report, false)).map_err(|e| Diagnostic::plain(format!("cannot write {}: {e}", path.display())))?;
            Ok(Output { text: format!("wrote {}: {}\n", path.display(), report::summary(report)), findings })
        }
        None => Ok(Output { text: command.format.write(report, colour(std::io::stdout().is_terminal())), findings }),
    }
}

/// `check --list`: each combination's id and flag values.
fn list(combinations: &[matrix::Combination]) -> String {
    let width = combinations.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let mut text = String::new();
    for combination in combinations {
        text.push_str(&format!("{:<width$}  {}\n", combination.id, combination.describe()));
    }
    text.push_str(&format!("{} combinations\n", combinations.len()));
    text
}

/// `chartgen rules`: every lint rule with the severity the spec gives it
/// (or `off`), or the rules page as Markdown.
pub fn rules(common: &Common, markdown: bool) -> Result<Output, BadInput> {
    if markdown {
        return Ok(Output::clean(rules::markdown()));
    }
    let config = rules::Config::new(&common.load_spec()?.spec.lint);
    let mut text = String::new();
    for rule in rules::registry() {
        let doc = &rule.doc;
        let severity = config.severity(doc.code).map_or("off", |s| s.as_str());
        text.push_str(&format!("{}  {:<26} {:<8} {}\n", doc.code, doc.code.name(), severity, rules::first_sentence(doc.checks)));
    }
    Ok(Output::clean(text))
}

/// `chartgen explain CODE|NAME`: one rule's doc, with the severity the spec gives it.
pub fn explain(common: &Common, code: crate::codes::RuleCode) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let doc = &rules::rule(code).doc;
    let mut text = rules::explain(doc);
    match rules::Config::new(&loaded.spec.lint).severity(code) {
        None => text.push_str(&format!("\nThe spec ({}) disables this rule.\n", loaded.name())),
        Some(severity) if severity != doc.severity => text.push_str(&format!("\nThe spec ({}) runs it as {} instead.\n", loaded.name(), severity.as_str())),
        Some(_) => {}
    }
    Ok(Output::clean(text))
}

/// `chartgen lint`: the lint rules on the rendering of one set of values.
#[derive(Debug, Clone, Args)]
pub struct LintCommand {
    #[command(flatten)]
    pub values: ValueInputs,
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub chart: ChartArgs,
}

pub fn lint(common: &Common, command: &LintCommand) -> Result<Output, BadInput> {
    if let Some(dir) = &command.chart.chart {
        let matrix = check::chart::ChartMatrix::load(dir, command.chart.matrix.as_deref())?;
        let (tree, problems) = values::user_tree(&command.values);
        if !problems.is_empty() {
            return Err(BadInput::sorted(problems));
        }
        let options = check::chart::ChartOptions { renderer: command.chart.renderer, helm: command.chart.helm.clone(), ..Default::default() };
        let report = check::chart::lint(matrix, tree.to_json(), &options, &command.release.release()?)?;
        return Ok(Output { text: command.format.write(&report, colour(std::io::stdout().is_terminal())), findings: report.fails(common.deny_warnings) });
    }
    let loaded = common.load_spec()?;
    let release = command.release.release()?;
    let values = values::load(&loaded.spec, &command.values)?;
    let report = check::lint(&loaded, &values, &release)?;
    Ok(Output { text: command.format.write(&report, colour(std::io::stdout().is_terminal())), findings: report.fails(common.deny_warnings(&loaded)) })
}

/// `chartgen docs FILE...`: runbook commands against the values model.
#[derive(Debug, Clone, Args)]
pub struct DocsCommand {
    /// Markdown files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn docs(common: &Common, command: &DocsCommand) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let files: Vec<Place> = command.files.iter().cloned().map(Place::Disk).collect();
    let report = check::runbooks(&loaded, &files)?;
    Ok(Output { text: command.format.write(&report, colour(std::io::stdout().is_terminal())), findings: report.fails(common.deny_warnings(&loaded)) })
}

/// `chartgen drill`: the rendered backup and verify scripts against a real database.
#[derive(Debug, Clone, Args)]
pub struct DrillCommand {
    #[command(flatten)]
    pub values: ValueInputs,
    #[command(flatten)]
    pub target: drill::Target,
    #[command(flatten)]
    pub release: ReleaseArgs,
}

pub fn drill(common: &Common, command: &DrillCommand) -> Result<Output, BadInput> {
    let loaded = common.load_spec()?;
    let release = command.release.release()?;
    let values = values::load_with(&loaded.spec, &command.values, &drill::flags())?;
    let work = tempfile::tempdir().map_err(|e| Diagnostic::plain(format!("cannot create a work directory: {e}")))?;
    let steps = drill::run(&loaded.spec, &values, &release, &command.target, work.path())?;
    let mut text = String::new();
    for step in &steps {
        text.push_str(&format!("{} {:<20} {:>8.2} s\n", if step.ok { "ok  " } else { "FAIL" }, step.name, step.elapsed.as_secs_f64()));
        for line in step.output.lines() {
            text.push_str(&format!("      {line}\n"));
        }
    }
    let verified = steps.last().is_some_and(|s| s.ok && s.job == crate::components::Component::Verify);
    let success = match values.values.backup.method {
        values::BackupMethod::Dump => "the newest dump restores and passes the sanity queries\n",
        values::BackupMethod::Barman if command.target.verify_only => "the newest base backup restores, the archive's WAL replays to its end, and the sanity queries pass\n",
        values::BackupMethod::Barman => "the archive recovers to the target time: the rows written before it, and none of the changes after it\n",
    };
    text.push_str(if verified { success } else { "the drill failed\n" });
    Ok(Output { text, findings: !verified })
}

/// `chartgen init`: a commented spec for a new application.
#[derive(Debug, Clone, Args)]
pub struct InitCommand {
    #[command(flatten)]
    pub answers: Answers,
    /// Directory to write chartgen.yaml into.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
}

pub fn init(command: &InitCommand) -> Result<Output, BadInput> {
    Ok(Output::clean(crate::init::write(&command.dir, &command.answers)?))
}

/// `chartgen spec-schema`: the JSON Schema of `chartgen.yaml`.
pub fn spec_schema() -> Output {
    let mut text = serde_json::to_string_pretty(&spec::spec_schema()).expect("a schema serializes");
    text.push('\n');
    Output::clean(text)
}
