//! The `chartgen` command line: parses arguments and calls the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use chartgen::check::CheckOptions;
use chartgen::commands::{self, CheckCommand, Common, GenerateOptions, RenderOptions};
use chartgen::matrix::Strategy;
use chartgen::report::Format;
use chartgen::diagnostic::BadInput;
use chartgen::values::ValueInputs;

const EXIT_CODES: &str = "Exit codes: 0 success (warnings only, unless --deny-warnings), 1 findings or a stale chart, 2 bad input or usage.";

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (Kubernetes schemas: 1.33, from k8s-openapi)");

/// Generate and verify the PostgreSQL-operations part of a Helm chart.
#[derive(Parser)]
#[command(name = "chartgen", version = VERSION, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    /// Chart spec; without it, the nearest chartgen.yaml from the working directory up to the repository's root, else the built-in certctl example.
    #[arg(long, global = true, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Fail (exit 1) on warnings too, not only on errors (check, lint, docs).
    #[arg(long, global = true)]
    deny_warnings: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the manifests for one set of values, like `helm template`.
    Render(RenderArgs),
    /// Print the default values.yaml, with every field documented.
    Values,
    /// Print values.schema.json (JSON Schema draft-07).
    Schema,
    /// Write the Helm chart compiled from the templates to OUT/<chart>/.
    Generate(GenerateArgs),
    /// Check every flag combination against the schemas, the references, the lint rules and the goldens.
    Check(CheckArgs),
    /// Run the lint rules on the rendering of one set of values.
    Lint(LintArgs),
    /// Run the rendered backup and verify scripts on this machine against a real database.
    Drill(DrillArgs),
    /// List the lint rules.
    Rules {
        /// Print the rules page (docs/rules.md) instead.
        #[arg(long)]
        markdown: bool,
    },
    /// Check the helm and pg_dump commands of Markdown runbooks against the chart.
    Docs {
        /// Markdown files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: FormatArg,
    },
    /// Write a commented chartgen.yaml for a new application (and its JSON Schema), asking nothing.
    Init(InitArgs),
    /// Print the JSON Schema of chartgen.yaml, for editors.
    SpecSchema,
    /// Explain one lint rule: what it checks, why, a bad and a good example.
    Explain {
        /// The rule's code, such as CG101, or its name, such as backup-rpo.
        code: String,
    },
}

#[derive(Args)]
struct InitArgs {
    /// The application's name; the directory's name when absent.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The application's server image, repository:tag.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// The database the application uses; the name with `_` for `-` when absent.
    #[arg(long, value_name = "NAME")]
    database: Option<String>,
    /// A metric the application exports; repeat for each.
    #[arg(long = "metric", value_name = "NAME")]
    metrics: Vec<String>,
    /// Directory to write chartgen.yaml into.
    #[arg(long, default_value = ".", value_name = "DIR")]
    dir: PathBuf,
}

#[derive(Args)]
struct DrillArgs {
    #[command(flatten)]
    values: ValueArgs,
    /// The database to back up: postgres://user:password@host:port/database.
    #[arg(long, value_name = "URL")]
    database_url: String,
    /// Local directory that stands for the backup PVC (the PVC sink).
    #[arg(long, value_name = "DIR")]
    pvc_dir: Option<PathBuf>,
    /// S3 API endpoint to use instead of the values' (the S3 sink); credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Run only the verify job, on what the sink already holds.
    #[arg(long)]
    verify_only: bool,
    /// The POSIX shell to run the scripts with.
    #[arg(long, default_value = "/bin/sh", value_name = "PATH")]
    shell: PathBuf,
    #[command(flatten)]
    release: ReleaseArgs,
}

#[derive(Args)]
struct LintArgs {
    #[command(flatten)]
    values: ValueArgs,
    #[command(flatten)]
    release: ReleaseArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: FormatArg,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum StrategyArg {
    /// Every combination the dependencies between flags leave distinct.
    Full,
    /// Few combinations that cover every pair of flag values.
    Pairwise,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Junit,
    Sarif,
    Github,
    /// One self-contained page: combinations by checks, findings that open.
    Html,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Junit => Format::Junit,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
            FormatArg::Html => Format::Html,
        }
    }
}

#[derive(Args)]
struct CheckArgs {
    /// Which combinations to check.
    #[arg(long, value_enum, default_value = "full")]
    strategy: StrategyArg,
    /// Only the combinations whose id matches this glob (`*` matches anything).
    #[arg(long, value_name = "PATTERN")]
    only: Option<String>,
    /// Write new and changed goldens, delete those of vanished combinations.
    #[arg(long)]
    update: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: FormatArg,
    /// Directory of CRD manifests; their served versions' schemas validate custom resources.
    #[arg(long, value_name = "DIR")]
    crds: Option<PathBuf>,
    /// Directory of the golden snapshots, instead of the spec's `check.golden`.
    #[arg(long, value_name = "DIR")]
    golden: Option<PathBuf>,
    /// Check the templates in this directory instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Kubernetes version to validate against (only 1.33 is built in).
    #[arg(long, value_name = "X")]
    kube_version: Option<String>,
    /// Print each combination's id and flag values, and check nothing.
    #[arg(long)]
    list: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct GenerateArgs {
    /// Directory the chart directory is written into.
    #[arg(long, default_value = commands::DEFAULT_OUT, value_name = "DIR")]
    out: PathBuf,
    /// Write nothing; exit 1 with a diff when the chart on disk is stale.
    #[arg(long)]
    check: bool,
}

/// Values, with Helm's flags and semantics.
#[derive(Args)]
struct ValueArgs {
    /// Values file; repeat to merge several in order.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    values: Vec<PathBuf>,
    /// Set values: a.b=c, several separated by commas; types are inferred.
    #[arg(long, value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Set values that always stay strings.
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    set_string: Vec<String>,
    /// Set values given as JSON.
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    set_json: Vec<String>,
}

impl ValueArgs {
    fn inputs(self) -> ValueInputs {
        ValueInputs { files: self.values, set: self.set, set_string: self.set_string, set_json: self.set_json }
    }
}

/// The release a rendering is for, as `helm template NAME --namespace NS`.
#[derive(Args)]
struct ReleaseArgs {
    /// Release name, as in `helm template NAME`.
    #[arg(long, default_value = "release-name", value_name = "NAME")]
    release_name: String,
    /// Namespace the objects are rendered for.
    #[arg(short = 'n', long, default_value = "default", value_name = "NS")]
    namespace: String,
}

#[derive(Args)]
struct RenderArgs {
    #[command(flatten)]
    values: ValueArgs,
    #[command(flatten)]
    release: ReleaseArgs,
    /// Render with the templates in this directory instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let common = Common { spec: cli.spec, deny_warnings: cli.deny_warnings };
    let result = match cli.command {
        Command::Render(args) => commands::render(
            &common,
            &RenderOptions {
                values: args.values.inputs(),
                release_name: args.release.release_name,
                namespace: args.release.namespace,
                templates: args.templates,
            },
        ),
        Command::Values => commands::default_values(&common),
        Command::Schema => commands::schema(&common),
        Command::Lint(args) => commands::lint(
            &common,
            &commands::LintCommand {
                values: args.values.inputs(),
                release_name: args.release.release_name,
                namespace: args.release.namespace,
                format: args.format.into(),
                colour: colour(std::io::stdout().is_terminal()),
            },
        ),
        Command::Docs { files, format } => commands::docs(&common, &files, format.into(), colour(std::io::stdout().is_terminal())),
        Command::Drill(args) => commands::drill(
            &common,
            &commands::DrillCommand {
                values: args.values.inputs(),
                release_name: args.release.release_name,
                namespace: args.release.namespace,
                target: chartgen::drill::Target {
                    database_url: args.database_url,
                    pvc_dir: args.pvc_dir,
                    s3_endpoint: args.s3_endpoint,
                    verify_only: args.verify_only,
                    shell: args.shell,
                },
            },
        ),
        Command::Rules { markdown } => commands::rules(&common, markdown),
        Command::Init(args) => commands::init(
            &args.dir,
            &chartgen::init::Answers { name: args.name, image: args.image, database: args.database, metrics: args.metrics },
        ),
        Command::SpecSchema => Ok(commands::spec_schema()),
        Command::Explain { code } => commands::explain(&common, &code),
        Command::Generate(args) => commands::generate(&common, &GenerateOptions { out: args.out, check: args.check }),
        Command::Check(args) => commands::check(
            &common,
            &CheckCommand {
                options: CheckOptions {
                    strategy: match args.strategy {
                        StrategyArg::Full => Strategy::Full,
                        StrategyArg::Pairwise => Strategy::Pairwise,
                    },
                    only: args.only,
                    update: args.update,
                    crds: args.crds,
                    golden: args.golden,
                    templates: args.templates,
                },
                format: args.format.into(),
                list: args.list,
                kube_version: args.kube_version,
                colour: args.output.is_none() && colour(std::io::stdout().is_terminal()),
                output: args.output,
            },
        ),
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
        Err(bad) => report(&bad),
    }
}

/// Colour on a terminal, unless NO_COLOR is set (https://no-color.org).
fn colour(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints diagnostics to stderr (in colour on a terminal, unless NO_COLOR is set); exit code 2.
fn report(bad: &BadInput) -> ExitCode {
    let colour = colour(std::io::stderr().is_terminal());
    let mut stderr = std::io::stderr().lock();
    for diagnostic in &bad.0 {
        let _ = write!(stderr, "{}", diagnostic.render(colour));
    }
    let _ = writeln!(stderr, "{}", bad.count());
    ExitCode::from(2)
}
