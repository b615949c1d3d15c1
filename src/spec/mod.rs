//! The chart spec (`chartgen.yaml`): what is fixed when the chart is generated.
//!
//! The spec names the chart and the application (its database, server image,
//! migrate command and the environment variables it reads), lists the metric
//! names the application exports, declares the alert rules with named
//! threshold parameters (`${name}` in the PromQL expression; each becomes a
//! typed value under `monitoring.prometheusRules.thresholds`), and the sanity
//! queries of the restore drill. It is read strictly: unknown keys, bad names
//! and expressions that do not parse are errors with their location. The
//! built-in default is the certctl example.

use std::path::Path;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub mod lint;

use crate::diagnostic::{nearest, BadInput, Diagnostic, Source};
use crate::scalars::{Duration, ImageRepository, ImageTag};
use crate::source::{load_bytes, load_str, Node};

/// The built-in spec: the certctl example.
pub const BUILTIN_NAME: &str = "built-in certctl example";
const BUILTIN: &str = include_str!("../../fixtures/specs/certctl.yaml");

/// A whole chart spec.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spec {
    /// The Helm chart: its name, version and description.
    pub chart: ChartMeta,
    /// The application the database serves.
    pub app: App,
    /// The PostgreSQL server's image.
    pub postgres: PostgresDefaults,
    /// The defaults of the backup schedule and its recovery point objective.
    pub backup: BackupDefaults,
    /// Metric names the application exports; alerts may name only these.
    pub metrics: Vec<String>,
    /// Threshold parameters, by name, that alert expressions use as `${name}`.
    #[serde(default)]
    pub parameters: IndexMap<String, Parameter>,
    /// The application's alerts.
    pub alerts: Vec<Alert>,
    /// Queries the restore drill runs against a restored dump.
    pub sanity_queries: Vec<SanityQuery>,
    /// How `chartgen check` exercises the chart.
    #[serde(default)]
    pub check: CheckSettings,
    /// Lint rules disabled or given another severity.
    #[serde(default)]
    pub lint: lint::LintSettings,
}

/// Settings of the matrix check.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckSettings {
    /// Values every combination starts from: what the flags' dependants
    /// need, such as a bucket for the S3 sink. Checked like a values file.
    #[serde(default)]
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Directory of the golden snapshots, relative to the spec file.
    pub golden: Option<String>,
    /// Directory of named scenarios (`*.yaml` values files), each checked
    /// as a combination of its own, relative like `golden`.
    pub scenarios: Option<String>,
    /// Markdown runbooks whose commands `check` checks for drift, relative like `golden`.
    #[serde(default)]
    pub runbooks: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartMeta {
    /// The chart's name: lowercase letters, digits and `-`.
    pub name: String,
    /// The chart's version, SemVer 2 (`1.4.0`).
    pub version: String,
    /// The application's version the chart deploys.
    pub app_version: String,
    /// One line about the chart.
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct App {
    /// The application's name, used in labels and default object names.
    pub name: String,
    /// The database the application uses.
    pub database: crate::scalars::PgIdentifier,
    /// The server image; the migration Job runs it.
    pub image: SpecImage,
    /// The command that applies migrations and exits.
    pub migrate_command: Vec<String>,
    /// The environment variable that carries the database URL.
    pub database_url_env: String,
    /// The environment variable that tells the server to skip its boot-time migrations.
    pub skip_migrations_env: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecImage {
    /// The image's repository, without a tag.
    pub repository: ImageRepository,
    /// The image's tag; pin a version.
    pub tag: ImageTag,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostgresDefaults {
    /// The PostgreSQL image; the jobs use its client tools.
    pub image: SpecImage,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupDefaults {
    /// The default backup schedule, five-field cron.
    pub schedule: crate::scalars::CronSchedule,
    /// The default recovery point objective, such as `26h`.
    pub rpo: Duration,
}

/// A named threshold an alert expression uses.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Parameter {
    /// What the threshold is: a number, an integer or a duration.
    #[serde(rename = "type")]
    pub kind: ParameterKind,
    /// The threshold's default value.
    pub default: Threshold,
    /// What the threshold means; written above it in values.yaml.
    pub description: String,
    /// The smallest value a number or integer threshold may take.
    pub minimum: Option<f64>,
    /// The largest value a number or integer threshold may take.
    pub maximum: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParameterKind {
    Number,
    Integer,
    Duration,
}

/// A threshold's value: a number, or a Prometheus duration.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Threshold {
    Number(f64),
    Duration(Duration),
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Threshold, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Threshold;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number or a duration such as \"15m\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Threshold, E> {
                Ok(Threshold::Number(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Threshold, E> {
                Ok(Threshold::Number(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Threshold, E> {
                if !v.is_finite() {
                    // `.nan` would render `> null`: an alert that never fires.
                    return Err(E::custom(format!("expected a finite number, found {v}; help: give a number such as 0.05")));
                }
                Ok(Threshold::Number(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Threshold, E> {
                if v.parse::<f64>().is_ok() {
                    return Err(E::custom(format!(
                        "expected a number, found the string \"{v}\"; help: --set reads decimals as strings, as Helm does; use --set-json or a values file"
                    )));
                }
                v.parse::<Duration>().map(Threshold::Duration).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

impl Threshold {
    /// The value as PromQL text: durations as written, numbers as Go's `toJson` prints them.
    pub fn promql(&self) -> String {
        match self {
            Threshold::Number(n) => crate::yaml::go_json_number(*n),
            Threshold::Duration(d) => d.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Alert {
    /// The alert's name: letters, digits and `_`.
    pub name: String,
    /// PromQL, with `${parameter}` for each threshold.
    pub expr: Expr,
    /// How long the expression must hold before the alert fires.
    #[serde(rename = "for")]
    pub for_: crate::scalars::DurationOrZero,
    /// The alert's severity label.
    pub severity: AlertSeverity,
    /// One line: what is wrong.
    pub summary: String,
    /// What is wrong and what it means; Prometheus templates such as `{{ $value }}` are kept.
    pub description: String,
    /// Where the runbook for this alert is.
    pub runbook_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Critical,
    Warning,
    Info,
}

/// A PromQL expression split at its `${parameter}` placeholders.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(try_from = "String")]
pub struct Expr {
    pub text: String,
    pub parts: Vec<ExprPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum ExprPart {
    Text(String),
    Param(String),
}

impl JsonSchema for Expr {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Expr".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "minLength": 1 })
    }
}

impl JsonSchema for Expectation {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Expectation".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": r"^\s*(>=|<=|!=|>|<|=)\s*-?[0-9]", "description": "An operator and a number, such as \"> 0\"." })
    }
}

impl TryFrom<String> for Expr {
    type Error = String;
    fn try_from(text: String) -> Result<Expr, String> {
        let mut parts = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(ExprPart::Text(rest[..start].to_string()));
            }
            let Some(end) = rest[start..].find('}') else {
                return Err("an unclosed `${` in the expression; help: write parameters as ${name}".to_string());
            };
            let name = &rest[start + 2..start + end];
            if !is_identifier(name) {
                return Err(format!("`${{{name}}}` is not a parameter name; help: use letters, digits and `_`"));
            }
            parts.push(ExprPart::Param(name.to_string()));
            rest = &rest[start + end + 1..];
        }
        if !rest.is_empty() {
            parts.push(ExprPart::Text(rest.to_string()));
        }
        Ok(Expr { text, parts })
    }
}

impl Expr {
    /// The expression with each parameter replaced by `value(name)`.
    pub fn substitute(&self, mut value: impl FnMut(&str) -> String) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                ExprPart::Text(t) => t.clone(),
                ExprPart::Param(name) => value(name),
            })
            .collect()
    }

    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            ExprPart::Param(name) => Some(name.as_str()),
            ExprPart::Text(_) => None,
        })
    }
}

/// A query the restore drill runs, and the condition its single value must meet.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SanityQuery {
    /// The query's name: letters, digits, `-` and `_`.
    pub name: String,
    /// One line of SQL that returns one number.
    pub sql: String,
    /// The condition the number must meet, such as `> 0`.
    pub expect: Expectation,
}

/// A comparison such as `> 0` or `>= 1`, parsed once.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Expectation {
    pub op: Comparison,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
    LessOrEqual,
    Less,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Equal => "=",
            Comparison::NotEqual => "!=",
            Comparison::LessOrEqual => "<=",
            Comparison::Less => "<",
        }
    }
}

impl TryFrom<String> for Expectation {
    type Error = String;
    fn try_from(text: String) -> Result<Expectation, String> {
        let ops = [
            (">=", Comparison::GreaterOrEqual),
            ("<=", Comparison::LessOrEqual),
            ("!=", Comparison::NotEqual),
            (">", Comparison::Greater),
            ("<", Comparison::Less),
            ("=", Comparison::Equal),
        ];
        let trimmed = text.trim();
        for (symbol, op) in ops {
            if let Some(rest) = trimmed.strip_prefix(symbol)
                && let Ok(value) = rest.trim().parse::<f64>()
                && value.is_finite()
            {
                return Ok(Expectation { op, value });
            }
        }
        Err(format!("`{text}` is not a comparison; help: write an operator and a number, for example \"> 0\""))
    }
}

impl From<Expectation> for String {
    fn from(e: Expectation) -> String {
        format!("{} {}", e.op.symbol(), e.value)
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_dns_label(s: &str) -> bool {
    s.len() <= 63 && crate::scalars::is_dns_label(s)
}

/// A spec and the located tree it was read from (for locating later findings).
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub spec: Spec,
    pub tree: Node,
    /// Where the paths the spec names start from: the spec file's directory.
    pub dir: crate::place::Place,
}

impl LoadedSpec {
    /// The spec's file, or that it is the built-in one.
    pub fn name(&self) -> String {
        self.tree.origin.source_name().unwrap_or_else(|| BUILTIN_NAME.to_string())
    }

    /// A path the spec names, relative to the spec file (for the built-in
    /// spec, among the files built into chartgen).
    pub fn resolve(&self, relative: &str) -> crate::place::Place {
        self.dir.join(relative)
    }

    pub fn is_builtin(&self) -> bool {
        self.dir.is_builtin()
    }
}

/// The JSON Schema (draft-07) of a spec file, for editors to check and
/// complete `chartgen.yaml` (what the types say; `chartgen` checks more).
pub fn spec_schema() -> serde_json::Value {
    let mut settings = schemars::generate::SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let mut schema = settings.into_generator().into_root_schema_for::<Spec>().to_value();
    schema["title"] = serde_json::json!("chartgen chart spec (chartgen.yaml)");
    schema
}

/// The file a spec is looked for in.
pub const SPEC_FILE: &str = "chartgen.yaml";

/// The nearest `chartgen.yaml` in `start` or a directory above it, up to
/// the root of the repository `start` is in (the directory with `.git`).
pub fn discover(start: &Path) -> Option<std::path::PathBuf> {
    for dir in start.ancestors() {
        let candidate = dir.join(SPEC_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Reads the spec at `path`, or the built-in one.
pub fn load(path: Option<&Path>) -> Result<LoadedSpec, BadInput> {
    let tree = match path {
        Some(p) => {
            let name = p.display().to_string();
            let bytes = crate::place::read_limited(p).map_err(|e| Diagnostic::plain(format!("cannot read spec {name}: {e}")))?;
            load_bytes(&name, bytes)?
        }
        None => builtin_tree(),
    };
    // A problem is repaired with the built-in spec's value at the same place, so that one
    // reading reports every problem of the file.
    let reading = crate::de::read_all::<Spec>(&tree, &builtin_tree());
    let repaired: Vec<String> = reading.problems.iter().map(crate::de::Problem::repaired).collect();
    let mut problems: Vec<Diagnostic> = reading.problems.into_iter().map(|p| p.diagnostic).collect();
    let Some(spec) = reading.value else { return Err(BadInput::sorted(problems)) };
    for (path, problem) in check(&spec, &tree) {
        if !repaired.iter().any(|r| crate::de::overlaps(r, &path)) {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        let dir = match path {
            Some(p) => crate::place::Place::Disk(p.parent().map(Path::to_path_buf).unwrap_or_default()),
            None => crate::place::Place::Builtin(crate::place::BUILTIN_SPEC_DIR.to_string()),
        };
        Ok(LoadedSpec { spec, tree, dir })
    } else {
        Err(BadInput::sorted(problems))
    }
}

fn builtin_tree() -> Node {
    static TREE: std::sync::OnceLock<Node> = std::sync::OnceLock::new();
    TREE.get_or_init(|| load_str(&Source::new(BUILTIN_NAME, BUILTIN)).expect("the built-in spec is YAML")).clone()
}

/// Checks what the types alone cannot: names, references between parts,
/// PromQL. Each problem comes with the dotted path it is about.
fn check(spec: &Spec, tree: &Node) -> Vec<(String, Diagnostic)> {
    let mut problems = Vec::new();
    let at = |path: &str| tree.get(path).map_or_else(|| tree.origin.clone(), |n| n.origin.clone());
    let mut problem = |path: &str, message: String, help: &str| {
        problems.push((path.to_string(), Diagnostic::new(at(path), message).with_help(help)));
    };
    if !is_dns_label(&spec.chart.name) {
        problem("chart.name", format!("`{}` is not a valid chart name", spec.chart.name), "use lowercase letters, digits and `-`, at most 63 characters");
    }
    // The application's name also makes the default database user, which starts with a letter.
    if !is_dns_label(&spec.app.name) || !spec.app.name.starts_with(|c: char| c.is_ascii_lowercase()) {
        problem("app.name", format!("`{}` is not a valid application name", spec.app.name), "use lowercase letters, digits and `-`, starting with a letter, at most 63 characters");
    }
    if let Err(e) = semver::Version::parse(&spec.chart.version) {
        problem("chart.version", format!("`{}` is not a SemVer 2 version: {e}", spec.chart.version), "Helm loads only charts whose version is SemVer 2, such as \"1.4.0\" or \"2.0.0-rc.1\"");
    }
    for (path, env) in [("app.databaseUrlEnv", &spec.app.database_url_env), ("app.skipMigrationsEnv", &spec.app.skip_migrations_env)] {
        if !is_identifier(env) {
            problem(path, format!("`{env}` is not an environment variable name"), "use letters, digits and `_`, not starting with a digit");
        }
    }
    if spec.app.migrate_command.is_empty() {
        problem("app.migrateCommand", "the migrate command is empty".to_string(), "give the command and its arguments as a list, for example [\"/app/server\", \"--migrate-only\"]");
    }
    for (i, metric) in spec.metrics.iter().enumerate() {
        if !metric.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') || metric.starts_with(|c: char| c.is_ascii_digit()) {
            problem(&format!("metrics.{i}"), format!("`{metric}` is not a metric name"), "use letters, digits, `_` and `:`");
        }
    }
    for (name, parameter) in &spec.parameters {
        let path = format!("parameters.{name}");
        if !is_identifier(name) {
            problem(&path, format!("`{name}` is not a parameter name"), "use letters, digits and `_`");
        }
        let fits = matches!(
            (parameter.kind, &parameter.default),
            (ParameterKind::Number, Threshold::Number(_)) | (ParameterKind::Duration, Threshold::Duration(_))
        ) || matches!((parameter.kind, &parameter.default), (ParameterKind::Integer, Threshold::Number(n)) if n.fract() == 0.0);
        if !fits {
            problem(&format!("{path}.default"), format!("the default does not fit the type {:?}", parameter.kind).to_lowercase(), "give a number for number and integer parameters, a duration such as \"15m\" for duration parameters");
        }
        for (bound, value) in [("minimum", parameter.minimum), ("maximum", parameter.maximum)] {
            if parameter.kind == ParameterKind::Duration && value.is_some() {
                problem(&format!("{path}.{bound}"), format!("a duration parameter has no {bound}"), "remove it; bounds apply to number and integer parameters");
            }
        }
        if let (Some(min), Some(max)) = (parameter.minimum, parameter.maximum)
            && min > max
        {
            problem(&format!("{path}.minimum"), format!("the minimum {min} is above the maximum {max}"), "swap them, or correct one");
        }
        if let Threshold::Number(default) = parameter.default {
            let below = parameter.minimum.is_some_and(|min| default < min);
            let above = parameter.maximum.is_some_and(|max| default > max);
            if below || above {
                problem(&format!("{path}.default"), format!("the default {default} is outside the parameter's own range"), "give a default between the minimum and the maximum");
            }
        }
    }
    for (i, alert) in spec.alerts.iter().enumerate() {
        let path = format!("alerts.{i}.expr");
        for param in alert.expr.params() {
            if !spec.parameters.contains_key(param) {
                let help = nearest(param, spec.parameters.keys().map(String::as_str))
                    .map_or("declare it under `parameters:`".to_string(), |n| format!("did you mean `${{{n}}}`?"));
                problem(&path, format!("`${{{param}}}` is not a declared parameter"), &help);
            }
        }
        let with_defaults = alert.expr.substitute(|name| spec.parameters.get(name).map_or_else(|| "0".to_string(), |p| p.default.promql()));
        if let Err(e) = promql_parser::parser::parse(&with_defaults) {
            problem(&path, format!("the expression does not parse as PromQL: {}", e.trim()), "check it with the default thresholds filled in");
        }
        if !is_identifier(&alert.name) {
            problem(&format!("alerts.{i}.name"), format!("`{}` is not an alert name", alert.name), "use letters, digits and `_`");
        }
        if let Some(param) = duration_in_arithmetic(spec, &alert.expr) {
            problem(
                &path,
                format!("the duration parameter `${{{param}}}` is used outside a range selector"),
                "Prometheus before 2.54 refuses a duration in arithmetic and drops the whole rule group; declare a number parameter in seconds instead",
            );
        }
    }
    if spec.sanity_queries.is_empty() {
        problem("sanityQueries", "the restore drill needs at least one sanity query".to_string(), "add a query such as `SELECT count(*) FROM some_table` with `expect: \"> 0\"`");
    }
    for (i, query) in spec.sanity_queries.iter().enumerate() {
        // The verify script reads the queries one per line, fields split by tabs.
        let named = query.name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && query.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !named {
            problem(&format!("sanityQueries.{i}.name"), format!("`{}` is not a sanity query name", query.name.escape_default()), "use letters, digits, `-` and `_`, such as \"accounts-present\"");
        }
        if query.sql.trim().is_empty() || query.sql.contains(['\n', '\t', '\r']) {
            problem(&format!("sanityQueries.{i}.sql"), "a sanity query must be one line of SQL without tabs".to_string(), "write the query on one line; the verify job reads one query per line");
        }
    }
    problems.extend(text_problems(tree, ""));
    problems
}

/// The first duration parameter an expression uses anywhere but inside
/// `[...]` (a range or a subquery step) or after `offset`.
fn duration_in_arithmetic<'a>(spec: &Spec, expr: &'a Expr) -> Option<&'a str> {
    let mut before = "";
    for (i, part) in expr.parts.iter().enumerate() {
        match part {
            ExprPart::Text(text) => before = text,
            ExprPart::Param(name) => {
                let is_duration = spec.parameters.get(name).is_some_and(|p| p.kind == ParameterKind::Duration);
                let after = match expr.parts.get(i + 1) {
                    Some(ExprPart::Text(text)) => text.as_str(),
                    _ => "",
                };
                let opens = before.trim_end();
                let in_selector = (opens.ends_with('[') || opens.ends_with(':')) && matches!(after.trim_start().chars().next(), Some(']' | ':'));
                let after_offset = opens.ends_with("offset");
                if is_duration && !in_selector && !after_offset {
                    return Some(name);
                }
                before = "";
            }
        }
    }
    None
}

/// Strings of the spec that hold characters Helm or YAML cannot carry
/// through a chart: control characters, and the Unicode line and paragraph
/// separators YAML 1.1 reads as line breaks. Line breaks are allowed only
/// where text may span lines (alert descriptions and expressions).
fn text_problems(node: &Node, path: &str) -> Vec<(String, Diagnostic)> {
    let multiline = path.starts_with("alerts.") && (path.ends_with(".description") || path.ends_with(".expr"));
    match &node.value {
        crate::source::Value::Str(text) => {
            let bad = text.chars().find(|&c| (c.is_control() && !(multiline && c == '\n')) || matches!(c, '\u{2028}' | '\u{2029}'));
            bad.map(|c| {
                let diagnostic = Diagnostic::new(node.origin.clone(), format!("`{path}` holds the character U+{:04X}", c as u32))
                    .with_help(if multiline { "remove it; only line breaks are allowed here" } else { "remove it; this text must be one line without control characters" });
                (path.to_string(), diagnostic)
            })
            .into_iter()
            .collect()
        }
        crate::source::Value::Seq(items) => items.iter().enumerate().flat_map(|(i, item)| text_problems(item, &join(path, &i.to_string()))).collect(),
        crate::source::Value::Map(map) => map.iter().flat_map(|(key, member)| text_problems(&member.node, &join(path, key))).collect(),
        _ => Vec::new(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_error(text: &str) -> String {
        let tree = load_str(&Source::new("chartgen.yaml", text)).unwrap();
        let result: Result<Spec, _> = crate::de::from_node(&tree);
        match result {
            Err(d) => d.to_string(),
            Ok(spec) => check(&spec, &tree).iter().map(|(_, d)| d.to_string()).collect::<Vec<_>>().join("\n"),
        }
    }

    #[test]
    fn the_builtin_spec_loads() {
        let loaded = load(None).unwrap();
        assert_eq!(loaded.spec.chart.name, "certctl");
        assert_eq!(loaded.spec.alerts.len(), 4);
    }

    #[test]
    fn an_expression_splits_at_its_parameters() {
        let expr = Expr::try_from("a > ${x} and b < ${y}".to_string()).unwrap();
        assert_eq!(expr.params().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(expr.substitute(|n| n.to_uppercase()), "a > X and b < Y");
    }

    #[test]
    fn an_undeclared_parameter_is_located_and_suggested() {
        let text = BUILTIN.replace("${expiringSoonThreshold}", "${expiringSoonThreshhold}");
        let message = spec_error(&text);
        assert!(message.contains("`${expiringSoonThreshhold}` is not a declared parameter"), "{message}");
        assert!(message.contains("did you mean `${expiringSoonThreshold}`?"), "{message}");
        assert!(message.starts_with("chartgen.yaml:"), "{message}");
    }

    #[test]
    fn promql_that_does_not_parse_is_an_error() {
        let text = BUILTIN.replace("certctl_certificate_expiring_soon >", "certctl_certificate_expiring_soon >>");
        assert!(spec_error(&text).contains("does not parse as PromQL"));
    }
}
