//! `chartgen init`: a commented chart spec for a new application, which
//! `chartgen check` passes as written, and the snippets that run chartgen in
//! pre-commit and in CI.

use std::path::Path;

use crate::diagnostic::{BadInput, Diagnostic};
use crate::scalars::{ImageRepository, ImageTag, PgIdentifier};
use crate::spec::SPEC_FILE;

/// The spec's JSON Schema file, written beside it for editors.
pub const SCHEMA_FILE: &str = "chartgen.schema.json";

/// What `init` asks for on its command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Answers {
    /// The application's name; the directory's name when absent.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The application's server image, repository:tag.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// The database the application uses; the name with `_` for `-` when absent.
    #[arg(long, value_name = "NAME")]
    pub database: Option<String>,
    /// A metric the application exports; repeat for each.
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
}

/// Where chartgen is installed from, in the snippets: the git URL and a
/// tag or commit of it, which only its user knows.
pub const REPOSITORY: &str = "<chartgen's git URL>";
pub const REVISION: &str = "<a tag or commit>";

/// The pre-commit configuration that runs chartgen's hooks in a repository.
pub const PRE_COMMIT: &str = "\
repos:
  - repo: <chartgen's git URL>
    rev: <a tag or commit>
    hooks:
      - id: chartgen-generate-check
      - id: chartgen-check
      - id: chartgen-docs
";

/// The GitHub Actions job that checks the chart on every push.
pub const GITHUB_ACTIONS: &str = "\
jobs:
  chartgen:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write
    steps:
      - uses: actions/checkout@v4
      - run: cargo install --locked --git <chartgen's git URL> chartgen
      - run: chartgen generate --check
      - run: chartgen check --format github
      - run: chartgen check --format sarif > chartgen.sarif
        if: always()
      - uses: github/codeql-action/upload-sarif@v3
        if: always()
        with:
          sarif_file: chartgen.sarif
";

/// Writes `chartgen.yaml` and its schema into `dir`; refuses to replace a spec.
pub fn write(dir: &Path, answers: &Answers) -> Result<String, BadInput> {
    let spec_path = dir.join(SPEC_FILE);
    if spec_path.exists() {
        return Err(Diagnostic::plain(format!("{} exists; init writes a new spec and replaces none", spec_path.display()))
            .with_help("remove it first, or edit it")
            .into());
    }
    let text = spec_text(dir, answers)?;
    let schema = format!("{}\n", serde_json::to_string_pretty(&crate::spec::spec_schema()).expect("a schema serializes"));
    let io = |path: &Path, e: std::io::Error| Diagnostic::plain(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let schema_path = dir.join(SCHEMA_FILE);
    std::fs::write(&schema_path, schema).map_err(|e| io(&schema_path, e))?;
    std::fs::write(&spec_path, text).map_err(|e| io(&spec_path, e))?;
    Ok(format!(
        "wrote {} and {}\n\nNext: `chartgen check` checks every flag combination; `chartgen generate` writes the Helm chart.\n\n\
         To run chartgen on every commit, add to .pre-commit-config.yaml:\n\n{PRE_COMMIT}\n\
         In GitHub Actions (.github/workflows/chartgen.yaml):\n\n{GITHUB_ACTIONS}",
        spec_path.display(),
        schema_path.display()
    ))
}

fn spec_text(dir: &Path, answers: &Answers) -> Result<String, BadInput> {
    let directory_name = std::fs::canonicalize(dir).ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    let name = match answers.name.clone().or(directory_name) {
        Some(name) if valid_name(&name) => name,
        Some(name) => {
            return Err(Diagnostic::plain(format!("`{name}` is not a valid application name"))
                .with_help("give --name with lowercase letters, digits and `-`, starting with a letter, at most 63 characters")
                .into());
        }
        None => return Err(Diagnostic::plain("no application name").with_help("give --name").into()),
    };
    let image = answers.image.clone().unwrap_or_else(|| format!("registry.example.com/{name}:0.1.0"));
    let (repository, tag) = image.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).unwrap_or((image.as_str(), ""));
    let bad_image = || -> BadInput {
        Diagnostic::plain(format!("`{image}` is not an image with a tag")).with_help("give --image repository:tag, such as ghcr.io/acme/shop:1.4.2").into()
    };
    repository.parse::<ImageRepository>().map_err(|_| bad_image())?;
    tag.parse::<ImageTag>().map_err(|_| bad_image())?;
    let database = answers.database.clone().unwrap_or_else(|| name.replace('-', "_"));
    database.parse::<PgIdentifier>().map_err(|e| Diagnostic::plain(format!("--database {e}")))?;
    for metric in &answers.metrics {
        if !metric.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') || metric.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(Diagnostic::plain(format!("`{metric}` is not a metric name")).with_help("use letters, digits, `_` and `:`").into());
        }
    }
    let metrics = if answers.metrics.is_empty() {
        "metrics: []\n".to_string()
    } else {
        format!("metrics:\n{}", answers.metrics.iter().map(|m| format!("  - {m}\n")).collect::<String>())
    };
    let env = name.to_uppercase().replace('-', "_");
    Ok(format!(
        r#"# yaml-language-server: $schema={SCHEMA_FILE}
# The chart spec of {name}: what chartgen generates and checks. `chartgen check`
# checks every flag combination of the chart it describes; `chartgen generate`
# writes the Helm chart. Paths in it are relative to this file.

chart:
  name: {name}
  version: 0.1.0
  appVersion: "{tag}"
  description: PostgreSQL operations for {name}.

app:
  name: {name}
  # The database the application uses.
  database: {database}
  image:
    repository: {repository}
    tag: "{tag}"
  # The command that applies the migrations and exits; the migration Job runs it.
  migrateCommand: ["/app/{name}", "migrate"]
  # The variable the application reads its database URL from, and the one that
  # tells it to skip its own migrations at boot when a Job runs them.
  databaseUrlEnv: {env}_DATABASE_URL
  skipMigrationsEnv: {env}_SKIP_MIGRATIONS

postgres:
  image:
    repository: postgres
    tag: "16.6"

backup:
  # Five-field cron, and the recovery point objective the schedule must meet.
  schedule: "0 2 * * *"
  rpo: 26h

# The metric names the application exports; alerts may name only these.
{metrics}
# Alerts: PromQL with ${{parameter}} thresholds, each a value of the chart. For example:
#   parameters:
#     errorRatio: {{type: number, default: 0.02, minimum: 0, maximum: 1, description: Alert above this share of failed requests.}}
#   alerts:
#     - name: ErrorRatioHigh
#       expr: sum(rate(http_request_errors_total[5m])) / sum(rate(http_requests_total[5m])) > ${{errorRatio}}
#       for: 10m
#       severity: critical
#       summary: Too many requests fail
#       description: "{{{{ $value | humanizePercentage }}}} of requests failed."
#       runbookUrl: https://runbooks.example.com/errors
alerts: []

# What the restore drill checks in a restored dump: replace with queries that
# read your own tables, each returning one number.
sanityQueries:
  - name: tables-restored
    sql: SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'
    expect: "> 0"

check:
  # What each combination needs beyond its flags.
  values:
    backup:
      s3:
        bucket: {name}-backups
      barman:
        objectStore:
          destinationPath: s3://{name}-backups/barman
        recovery:
          targetTime: "2026-01-01T00:00:00Z"
    externalDatabase:
      host: db.{name}.internal
    postgresql:
      auth:
        password: change-me
  # Golden snapshots, reviewed renderings of every combination: uncomment,
  # then write them with `chartgen check --update` and review them.
  # golden: golden
"#
    ))
}

fn valid_name(name: &str) -> bool {
    name.len() <= 63 && name.starts_with(|c: char| c.is_ascii_lowercase()) && crate::scalars::is_dns_label(name)
}
