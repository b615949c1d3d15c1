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

use crate::de::from_node;
use crate::diagnostic::{nearest, BadInput, Diagnostic, Source};
use crate::scalars::{Duration, ImageRepository, ImageTag};
use crate::source::{load_bytes, load_str, Node};

/// The built-in spec: the certctl example.
pub const BUILTIN_NAME: &str = "built-in certctl spec";
const BUILTIN: &str = include_str!("../fixtures/specs/certctl.yaml");

/// A whole chart spec.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spec {
    pub chart: ChartMeta,
    pub app: App,
    pub postgres: PostgresDefaults,
    pub backup: BackupDefaults,
    /// Metric names the application exports; alerts may name only these.
    pub metrics: Vec<String>,
    /// Threshold parameters, by name, that alert expressions use as `${name}`.
    #[serde(default)]
    pub parameters: IndexMap<String, Parameter>,
    pub alerts: Vec<Alert>,
    /// Queries the restore drill runs against a restored dump.
    pub sanity_queries: Vec<SanityQuery>,
    /// How `chartgen check` exercises the chart.
    #[serde(default)]
    pub check: CheckSettings,
    /// Lint rules disabled or given another severity.
    #[serde(default)]
    pub lint: crate::rules::LintSettings,
}

/// Settings of the matrix check.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckSettings {
    /// Values every combination starts from: what the flags' dependants
    /// need, such as a bucket for the S3 sink. Checked like a values file.
    #[serde(default)]
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Directory of the golden snapshots, relative to the spec file (to the
    /// working directory for the built-in spec).
    pub golden: Option<String>,
    /// Directory of named scenarios (`*.yaml` values files), each checked
    /// as a combination of its own, relative like `golden`.
    pub scenarios: Option<String>,
    /// Markdown runbooks whose commands `check` checks for drift, relative like `golden`.
    #[serde(default)]
    pub runbooks: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartMeta {
    pub name: String,
    pub version: String,
    pub app_version: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct App {
    /// The application's name, used in labels and default object names.
    pub name: String,
    /// The database the application uses.
    pub database: String,
    /// The server image; the migration Job runs it.
    pub image: SpecImage,
    /// The command that applies migrations and exits.
    pub migrate_command: Vec<String>,
    /// The environment variable that carries the database URL.
    pub database_url_env: String,
    /// The environment variable that tells the server to skip its boot-time migrations.
    pub skip_migrations_env: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpecImage {
    pub repository: ImageRepository,
    pub tag: ImageTag,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostgresDefaults {
    pub image: SpecImage,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupDefaults {
    pub schedule: crate::scalars::CronSchedule,
    pub rpo: Duration,
}

/// A named threshold an alert expression uses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Parameter {
    #[serde(rename = "type")]
    pub kind: ParameterKind,
    pub default: Threshold,
    pub description: String,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
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
            Threshold::Number(n) => crate::render::yaml::go_json_number(*n),
            Threshold::Duration(d) => d.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Alert {
    pub name: String,
    pub expr: Expr,
    #[serde(rename = "for")]
    pub for_: Duration,
    pub severity: Severity,
    pub summary: String,
    pub description: String,
    pub runbook_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
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
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SanityQuery {
    pub name: String,
    pub sql: String,
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
                && let Ok(value) = rest.trim().parse::<f64>() {
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
    /// The directory of the spec file; `None` for the built-in spec.
    pub dir: Option<std::path::PathBuf>,
    defaults: std::sync::OnceLock<Node>,
}

impl LoadedSpec {
    /// The default values as a tree, made once.
    pub fn defaults(&self) -> &Node {
        self.defaults.get_or_init(|| crate::values::defaults_tree(&self.spec))
    }

    /// A path the spec names, relative to the spec file (to the working
    /// directory for the built-in spec).
    pub fn resolve(&self, relative: &str) -> std::path::PathBuf {
        match &self.dir {
            Some(dir) => dir.join(relative),
            None => std::path::PathBuf::from(relative),
        }
    }
}

/// Reads the spec at `path`, or the built-in one.
pub fn load(path: Option<&Path>) -> Result<LoadedSpec, BadInput> {
    let tree = match path {
        Some(p) => {
            let name = p.display().to_string();
            let bytes = std::fs::read(p).map_err(|e| Diagnostic::plain(format!("cannot read spec {name}: {e}")))?;
            load_bytes(&name, bytes)?
        }
        None => load_str(&Source::new(BUILTIN_NAME, BUILTIN))?,
    };
    let spec: Spec = from_node(&tree, "")?;
    let problems = check(&spec, &tree);
    if problems.is_empty() {
        let dir = path.map(|p| p.parent().map(Path::to_path_buf).unwrap_or_default());
        Ok(LoadedSpec { spec, tree, dir, defaults: std::sync::OnceLock::new() })
    } else {
        Err(BadInput(problems))
    }
}

/// Checks what the types alone cannot: names, references between parts, PromQL.
fn check(spec: &Spec, tree: &Node) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let at = |path: &str| tree.get(path).map_or_else(|| tree.origin.clone(), |n| n.origin.clone());
    let mut problem = |path: &str, message: String, help: &str| {
        problems.push(Diagnostic::new(at(path), message).with_help(help));
    };
    if !is_dns_label(&spec.chart.name) {
        problem("chart.name", format!("`{}` is not a valid chart name", spec.chart.name), "use lowercase letters, digits and `-`, at most 63 characters");
    }
    if !is_dns_label(&spec.app.name) {
        problem("app.name", format!("`{}` is not a valid application name", spec.app.name), "use lowercase letters, digits and `-`, at most 63 characters");
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
    }
    if spec.sanity_queries.is_empty() {
        problem("sanityQueries", "the restore drill needs at least one sanity query".to_string(), "add a query such as `SELECT count(*) FROM some_table` with `expect: \"> 0\"`");
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_error(text: &str) -> String {
        let tree = load_str(&Source::new("chartgen.yaml", text)).unwrap();
        let result: Result<Spec, _> = from_node(&tree, "");
        match result {
            Err(d) => d.to_string(),
            Ok(spec) => check(&spec, &tree).iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
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
