//! The dual-mode helper vocabulary of the templates.
//!
//! Each helper writes concrete YAML for a concrete value (native mode) and a
//! Go-template expression for a value path (helm mode), so one template
//! yields both renderings:
//!
//! | helper | native | helm |
//! | --- | --- | --- |
//! | `v \| yaml` | a YAML scalar | `{{ $.Values.p \| toJson }}` |
//! | `v \| yaml_str` | the integer as a string | `{{ $.Values.p \| int64 \| toString \| toJson }}` |
//! | `v \| yaml_block(n)` | a block on the next lines | `{{- toYaml $.Values.p \| nindent n }}` (`toJson` where the model allows numbers) |
//! | `optional(key, v, n)` | `key: v` when v is not empty | `{{- with $.Values.p }}` … |
//! | `name(component.x, max)` | `release-chart-component` | `include "chart.componentName"` |
//! | `labels(component.x, n, extra)` / `selector_labels` | label lines | `include "chart.labels"` |
//! | `namespace()`, `image(v)`, `alert_expr(alert)` | text | `.Release.Namespace`, `printf`, `print` |
//! | `text \| nest(n)` | indents a macro's lines | the same |
//! | `script("dump.sh") \| nest(n)` | the script's text | `.Files.Get "files/dump.sh"`, the chart's copy |
//!
//! Constants (the spec's strings) print the same in both modes; in helm mode
//! any `{{` in them is wrapped in a Go string literal so Helm prints it as is.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use minijinja::value::{Object, ObjectRepr};
use minijinja::value::Serde;
use minijinja::{Environment, Error, ErrorKind, Output, State, Value};

use crate::components::Component;
use crate::values::flags::{Assignment, Flag, ValuePath};
use crate::yaml;

/// What a helm-mode rendering reads and may not do.
#[derive(Debug, Default)]
pub struct HelmState {
    /// Concrete values of the flags for this rendering.
    pub assignment: Assignment,
    /// Every flag, by dotted path; a read of one the assignment leaves open gets its first value.
    pub flags: BTreeMap<String, &'static Flag>,
    /// Flags the template looked at.
    pub reads: Mutex<BTreeSet<ValuePath>>,
    /// The first flag read that the assignment left open.
    pub unassigned: Mutex<Option<ValuePath>>,
    /// Non-flag values the template tested in an `if` (a mistake).
    pub non_flag_branches: Mutex<BTreeSet<String>>,
    /// Partials included, by macro name, with their number of arguments.
    pub partials: Mutex<BTreeMap<String, usize>>,
}

/// A value in helm mode: a path under `<root>.Values`, or under a partial's argument.
#[derive(Debug)]
struct HelmPath {
    /// The Go expression the path starts from: `$.Values`, `$root.Values`, `$arg`.
    base: String,
    path: String,
    /// Whether flags can be reached from here (not through a partial's argument).
    sees_flags: bool,
    state: Arc<HelmState>,
}

/// `values` in helm mode, rooted at the Go variable `root` (`$`, or `$root` inside a partial).
pub fn helm_values(state: &Arc<HelmState>, root: &str) -> Value {
    Value::from_object(HelmPath { base: format!("{root}.Values"), path: String::new(), sees_flags: true, state: state.clone() })
}

/// A partial's argument in helm mode: the Go variable `$arg`.
pub fn helm_argument(state: &Arc<HelmState>) -> Value {
    Value::from_object(HelmPath { base: "$arg".to_string(), path: String::new(), sees_flags: false, state: state.clone() })
}

impl HelmPath {
    fn expr(&self) -> String {
        if self.path.is_empty() { self.base.clone() } else { format!("{}.{}", self.base, self.path) }
    }
}

impl Object for HelmPath {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let path = if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) };
        if self.sees_flags && let Some(flag) = self.state.flags.get(&path) {
            let value = match self.state.assignment.get(&flag.path) {
                Some(value) => value,
                None => {
                    self.state.unassigned.lock().expect("not poisoned").get_or_insert_with(|| flag.path.clone());
                    &flag.domain[0]
                }
            };
            self.state.reads.lock().expect("not poisoned").insert(flag.path.clone());
            return Some(Value::from(Serde(value.to_json())));
        }
        Some(Value::from_object(HelmPath { base: self.base.clone(), path, sees_flags: self.sees_flags, state: self.state.clone() }))
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.state.non_flag_branches.lock().expect("not poisoned").insert(self.path.clone());
        true
    }
}

/// A component as templates name it (`component.backup`), or one of its
/// objects (`component.database.part("auth")`).
#[derive(Debug, Clone)]
struct ComponentRef {
    component: Component,
    part: Option<String>,
}

impl ComponentRef {
    /// What the object's name ends with: `postgresql`, `postgresql-auth`.
    fn suffix(&self) -> String {
        match &self.part {
            Some(part) => format!("{}-{part}", self.component.name()),
            None => self.component.name().to_string(),
        }
    }
}

impl Object for ComponentRef {
    fn call_method(self: &Arc<Self>, _state: &mut State, method: &str, args: &[Value]) -> Result<Value, Error> {
        match (method, args) {
            ("part", [part]) if self.part.is_none() => {
                let part = part.as_str().ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "part takes a name"))?.to_string();
                Ok(Value::from_object(ComponentRef { component: self.component, part: Some(part) }))
            }
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("a component has no method {method} for these arguments"))),
        }
    }
}

/// `component`: every component of the table, by key.
pub fn components() -> Value {
    let table: BTreeMap<&str, Value> = Component::ALL.iter().map(|c| (c.key(), Value::from_object(ComponentRef { component: *c, part: None }))).collect();
    Value::from(table)
}

fn component_arg(value: &Value) -> Result<&ComponentRef, Error> {
    value.downcast_object_ref::<ComponentRef>().ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("{value} is not a component; name one as `component.backup`")))
}

fn as_path(value: &Value) -> Option<&HelmPath> {
    value.downcast_object_ref::<HelmPath>()
}

fn is_helm(state: &State) -> bool {
    state.lookup("mode").is_some_and(|m| m.as_str() == Some("helm"))
}

/// The Go variable holding the chart's root context: `$`, or `$root` inside a partial.
fn root(state: &State) -> String {
    state.lookup("root").and_then(|r| r.as_str().map(str::to_string)).unwrap_or_else(|| "$".to_string())
}

/// `database_env` → `databaseEnv`, the usual spelling of a define's name.
pub fn define_name(macro_name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in macro_name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn json(value: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("not data: {e}")))
}

fn lookup_str(state: &State, path: &[&str]) -> Result<String, Error> {
    let mut value = state.lookup(path[0]).unwrap_or_default();
    for key in &path[1..] {
        value = value.get_attr(key)?;
    }
    value.as_str().map(str::to_string).ok_or_else(|| Error::new(ErrorKind::UndefinedError, format!("{} is not set", path.join("."))))
}

/// Text that prints as itself in Helm: wrapped in a Go string literal when it holds `{{`.
fn literal(state: &State, text: String) -> Value {
    if is_helm(state) && text.contains("{{") {
        let quoted = serde_json::to_string(&text).expect("a string serializes");
        Value::from_safe_string(format!("{{{{ {quoted} }}}}"))
    } else {
        Value::from_safe_string(text)
    }
}

/// The formatter: only helper output (safe strings) may be printed.
pub fn only_helper_output(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    if value.is_safe()
        && let Some(text) = value.as_str() {
            return out.write_str(text).map_err(Error::from);
        }
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!("a raw value ({value:?}) is printed; pass it through a typed helper such as `| yaml`"),
    ))
}

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("yaml", yaml_filter);
    env.add_filter("yaml_str", yaml_str);
    env.add_filter("yaml_block", yaml_block);
    env.add_filter("nest", nest);
    env.add_function("optional", optional);
    env.add_function("name", name);
    env.add_function("labels", labels);
    env.add_function("selector_labels", selector_labels);
    env.add_function("component_labels", component_labels);
    env.add_global("component", components());
    env.add_function("namespace", namespace);
    env.add_function("image", image);
    env.add_function("image_or_catalog", image_or_catalog);
    env.add_function("endpoint_ca", endpoint_ca);
    env.add_function("s3_credentials", s3_credentials);
    env.add_function("alert_expr", alert_expr);
    env.add_function("script", script);
    env.add_function("partial", partial);
    env.add_function("sanity_queries", sanity_queries);
    env.add_function("promql", promql);
    env.add_function("default_schedule_gap", default_schedule_gap);
    env.add_function("tier_schedule_gap", tier_schedule_gap);
    env.add_function("pitr_figures", pitr_figures);
    env.add_function("selected", selected);
    env.add_function("name_ref", name_ref);
    env.add_function("namespace_ref", namespace_ref);
    env.add_function("seconds", seconds);
    env.add_function("release_name", release_name);
    env.add_function("endpoint_port", endpoint_port);
    env.add_function("newest_run", newest_run);
}

/// The longest gap between two backups the spec's default schedule leaves
/// over a year, in UTC: a constant of the chart, computed when it is made.
fn default_schedule_gap(state: &State) -> Result<Value, Error> {
    let schedule = lookup_str(state, &["spec", "backup", "schedule"])?;
    let gap = crate::scalars::longest_gap(&schedule, chrono_tz::UTC).map_or_else(|| "unknown".to_string(), |(gap, _)| crate::scalars::human(gap));
    Ok(literal(state, format!("the default schedule \"{schedule}\" leaves at most {gap} between backups (in UTC)")))
}

/// How long the drill's point-in-time recoveries took, as CI measured them: a constant of the chart.
fn pitr_figures(state: &State) -> Value {
    literal(state, crate::values::RecoveryFigures::measured().line())
}

/// The member of `map` that its choice field `key` names: `selected(values.backup.barman,
/// "tier")` is the settings of the chosen tier. In helm mode Go picks it (`index`), so that
/// the chart reads the choice once instead of branching on each of its values.
fn selected(map: Value, key: String) -> Result<Value, Error> {
    match as_path(&map) {
        Some(path) => {
            let expr = path.expr();
            Ok(Value::from_object(HelmPath { base: format!("(index {expr} {expr}.{key})"), path: String::new(), sees_flags: false, state: path.state.clone() }))
        }
        None => {
            let choice = map.get_attr(&key)?;
            map.get_item(&choice)
        }
    }
}

/// What a backup tier's default base-backup schedule leaves between backups: its recovery
/// point objective when only the base backups count.
fn tier_schedule_gap(state: &State, tier: String) -> Result<Value, Error> {
    let settings = crate::values::BackupTier::ALL
        .into_iter()
        .find(|t| t.as_str() == tier)
        .and_then(crate::values::BackupTier::defaults)
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("tier_schedule_gap: `{tier}` is not a tier with backups")))?;
    let schedule = settings.schedule.to_string();
    let gap = crate::scalars::longest_gap(&schedule, chrono_tz::UTC).map_or_else(|| "unknown".to_string(), |(gap, _)| crate::scalars::human(gap));
    Ok(literal(state, format!("the default schedule \"{schedule}\" leaves at most {gap} between base backups")))
}

/// A piece of a `promql(...)` expression that is not constant text.
#[derive(Debug)]
enum PromqlPart {
    /// A component's object name.
    Name { suffix: String, max: usize },
    /// The release namespace.
    Namespace,
    /// A duration value as a number of seconds: PromQL before Prometheus
    /// 2.54 takes a duration only in range selectors, never in arithmetic.
    Seconds(Value),
    /// When the newest run of a component's CronJob that ended in `condition`
    /// (`complete` or `failed`) started, per CronJob: runs created by hand from
    /// the CronJob count too, since they are found by owner, not by name.
    NewestRun { component: Component, condition: String },
}

impl Object for PromqlPart {}

fn name_ref(component: Value, max: Option<usize>) -> Result<Value, Error> {
    Ok(Value::from_object(PromqlPart::Name { suffix: component_arg(&component)?.suffix(), max: max.unwrap_or(63) }))
}

fn namespace_ref() -> Value {
    Value::from_object(PromqlPart::Namespace)
}

fn seconds(value: Value) -> Value {
    Value::from_object(PromqlPart::Seconds(value))
}

fn newest_run(component: Value, condition: String) -> Result<Value, Error> {
    let component = component_arg(&component)?.component;
    if !matches!(condition.as_str(), "complete" | "failed") {
        return Err(Error::new(ErrorKind::InvalidOperation, format!("newest_run: `{condition}` is not `complete` or `failed`")));
    }
    Ok(Value::from_object(PromqlPart::NewestRun { component, condition }))
}

/// The pieces of [`PromqlPart::NewestRun`]: start times of the Jobs owned by
/// the CronJob, kept where the Job's condition holds. Every input is first
/// reduced to one series per Job, so that two kube-state-metrics replicas
/// cannot make the matches ambiguous. `text` writes the constant text;
/// the namespace, the CronJob's name and the condition are given.
fn newest_run_pieces<T>(text: impl Fn(&str) -> T, namespace: impl Fn() -> T, cronjob: T, condition: T) -> Vec<T> {
    vec![
        text("max by (namespace, owner_name) (max by (namespace, job_name) (kube_job_status_start_time{namespace=\""),
        namespace(),
        text("\"}) * on (namespace, job_name) group_left (owner_name) max by (namespace, job_name, owner_name) (kube_job_owner{namespace=\""),
        namespace(),
        text("\", owner_kind=\"CronJob\", owner_name=\""),
        cronjob,
        text("\"}) and on (namespace, job_name) max by (namespace, job_name) (kube_job_"),
        condition,
        text("{namespace=\""),
        namespace(),
        text("\", condition=\"true\"} == 1))"),
    ]
}

/// The chart's define behind [`PromqlPart::NewestRun`], `(list $ component condition)`.
pub fn newest_run_define(chart: &str) -> String {
    let pieces = newest_run_pieces(
        |text| Operand::Text(text.to_string()),
        || Operand::Code("$namespace".to_string()),
        Operand::Code("$cronjob".to_string()),
        Operand::Code("(index . 2)".to_string()),
    );
    format!(
        "{{{{- define \"{chart}.newestRun\" -}}}}\n\
         {{{{- $namespace := (index . 0).Release.Namespace }}}}\n\
         {{{{- $cronjob := include \"{chart}.componentName\" (list (index . 0) (index . 1) 52) }}}}\n\
         {}\n\
         {{{{- end }}}}",
        go_print("{{- print", pieces, "}}")
    )
}

/// A duration's seconds as PromQL writes a number: whole seconds as an
/// integer, milliseconds as three decimals.
pub fn promql_seconds(duration: std::time::Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(1000) { (millis / 1000).to_string() } else { format!("{}.{:03}", millis / 1000, millis % 1000) }
}

/// A PromQL expression made of constant text, values (`values.backup.rpo`)
/// and [`PromqlPart`]s: natively the text, in helm mode a `print` of the
/// same parts.
fn promql(state: &State, parts: minijinja::value::Rest<Value>) -> Result<Value, Error> {
    let helm = is_helm(state);
    let chart = lookup_str(state, &["spec", "chart", "name"])?;
    let mut operands = Vec::new();
    let mut text = String::new();
    let mut pending: Vec<Value> = parts.iter().rev().cloned().collect();
    while let Some(part) = pending.pop() {
        if let Some(path) = as_path(&part) {
            operands.push(Operand::Code(path.expr()));
            continue;
        }
        let Some(piece) = part.downcast_object_ref::<PromqlPart>() else {
            let constant = match json(&part)? {
                serde_json::Value::String(s) => s,
                other => yaml::scalar(&other),
            };
            if helm {
                operands.push(Operand::Text(constant));
            } else {
                text.push_str(&constant);
            }
            continue;
        };
        match piece {
            PromqlPart::Name { suffix, max } => {
                if helm {
                    operands.push(Operand::Code(format!("(include \"{chart}.componentName\" (list {} {} {max}))", root(state), serde_json::to_string(suffix).expect("a string serializes"))));
                } else {
                    text.push_str(&component_name(&lookup_str(state, &["release", "name"])?, &chart, suffix, *max));
                }
            }
            PromqlPart::Namespace => {
                if helm {
                    operands.push(Operand::Code(format!("{}.Release.Namespace", root(state))));
                } else {
                    text.push_str(&lookup_str(state, &["release", "namespace"])?);
                }
            }
            PromqlPart::Seconds(value) => match as_path(value) {
                Some(path) => operands.push(Operand::Code(format!("(include \"{chart}.seconds\" {})", path.expr()))),
                None => {
                    let duration: crate::scalars::Duration = value
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "seconds() takes a duration value"))?;
                    text.push_str(&promql_seconds(duration.value()));
                }
            },
            PromqlPart::NewestRun { component, condition } => {
                if helm {
                    let [component, condition] = [component.name(), condition].map(|s| serde_json::to_string(s).expect("a string serializes"));
                    operands.push(Operand::Code(format!("(include \"{chart}.newestRun\" (list {} {component} {condition}))", root(state))));
                } else {
                    let text = |s: &str| Value::from(s.to_string());
                    let cronjob = Value::from_object(PromqlPart::Name { suffix: component.name().to_string(), max: 52 });
                    pending.extend(newest_run_pieces(text, namespace_ref, cronjob, text(condition)).into_iter().rev());
                }
            }
        }
    }
    if helm {
        return Ok(Value::from_safe_string(print_json(operands)));
    }
    Ok(literal(state, yaml::string(&text)))
}

/// An operand of a Go `print`: constant text, or Go code that yields a string.
#[derive(Debug)]
enum Operand {
    Text(String),
    Code(String),
}

/// A Go action printing the operands as one JSON string.
fn print_json(operands: Vec<Operand>) -> String {
    go_print("{{ print", operands, "| toJson }}")
}

/// A Go `print` action, `open` operands `close`. A long one spans lines,
/// each constant starting a line with the values that follow it, indented
/// two spaces past the `nest` the template applies.
fn go_print(open: &str, operands: Vec<Operand>, close: &str) -> String {
    const WIDTH: usize = 140;
    // Go's print puts nothing between two strings, so adjacent constants are one.
    let mut joined: Vec<Operand> = Vec::new();
    for operand in operands {
        match (joined.last_mut(), operand) {
            (Some(Operand::Text(before)), Operand::Text(text)) => before.push_str(&text),
            (_, operand) => joined.push(operand),
        }
    }
    let code = |operand: &Operand| match operand {
        Operand::Text(text) => serde_json::to_string(text).expect("a string serializes"),
        Operand::Code(code) => code.clone(),
    };
    let one_line = format!("{open} {} {close}", joined.iter().map(code).collect::<Vec<_>>().join(" "));
    if one_line.len() <= WIDTH {
        return one_line;
    }
    let mut lines = vec![open.to_string()];
    for operand in &joined {
        match (operand, lines.len()) {
            (Operand::Code(_), 2..) => {
                let last = lines.last_mut().expect("a line");
                last.push(' ');
                last.push_str(&code(operand));
            }
            _ => lines.push(format!("  {}", code(operand))),
        }
    }
    let last = lines.last_mut().expect("a line");
    last.push(' ');
    last.push_str(close);
    lines.join("\n")
}

/// The spec's sanity queries as the verify script reads them: one per
/// line, `name TAB expectation TAB sql`. A constant of the chart.
fn sanity_queries(state: &State) -> Result<Value, Error> {
    let queries = json(&state.lookup("spec").unwrap_or_default().get_attr("sanityQueries")?)?;
    let text: String = queries
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| format!("{}\t{}\t{}\n", q["name"].as_str().unwrap_or_default(), q["expect"].as_str().unwrap_or_default(), q["sql"].as_str().unwrap_or_default()))
        .collect();
    Ok(literal(state, yaml::string(&text)))
}

/// A macro of a helper file (`_*.j2`) as a shared piece: natively its output (on the
/// next lines, indented, when `indent` is given); in helm mode an `include`
/// of the define the chart compiler makes of it.
fn partial(state: &mut State, piece: Value, indent: Option<usize>, arg: Option<Value>) -> Result<Value, Error> {
    let macro_name = piece.get_attr("name")?.as_str().map(str::to_string).ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "partial takes a macro"))?;
    if is_helm(state) {
        let values = state.lookup("values").unwrap_or_default();
        let helm_state = &as_path(&values).ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "helm mode without a values path"))?.state;
        helm_state.partials.lock().expect("not poisoned").insert(macro_name.clone(), usize::from(arg.is_some()));
        let argument = match &arg {
            Some(value) => as_path(value).map(HelmPath::expr).ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "a partial's argument is a value"))?,
            None => "nil".to_string(),
        };
        let chart = lookup_str(state, &["spec", "chart", "name"])?;
        let include = format!("include \"{chart}.{}\" (list {} {argument})", define_name(&macro_name), root(state));
        return Ok(Value::from_safe_string(match indent {
            Some(n) => format!("{{{{- {include} | nindent {n} }}}}"),
            None => format!("{{{{ {include} }}}}"),
        }));
    }
    let args: Vec<Value> = arg.into_iter().collect();
    let text = piece.call(state, &args)?;
    let text = text.as_str().unwrap_or_default();
    Ok(Value::from_safe_string(match indent {
        Some(n) => {
            let pad = " ".repeat(n);
            text.trim_end_matches('\n').lines().map(|line| if line.is_empty() { "\n".to_string() } else { format!("\n{pad}{line}") }).collect()
        }
        None => text.to_string(),
    }))
}

fn yaml_filter(state: &State, value: Value) -> Result<Value, Error> {
    match as_path(&value) {
        Some(p) => Ok(Value::from_safe_string(format!("{{{{ {} | toJson }}}}", p.expr()))),
        None => Ok(literal(state, yaml::scalar(&json(&value)?))),
    }
}

/// Whether the model allows a number anywhere under the values path `path`.
fn may_hold_numbers(path: &str) -> bool {
    let node = path.split('.').fold(crate::values::raw_values_schema(), |node, key| &node["properties"][key]);
    fn numeric(node: &serde_json::Value) -> bool {
        match node {
            serde_json::Value::Object(map) => {
                let kind = |k: &serde_json::Value| k == "integer" || k == "number";
                map.get("type").is_some_and(|t| kind(t) || t.as_array().is_some_and(|ts| ts.iter().any(kind)))
                    || map.values().any(numeric)
            }
            serde_json::Value::Array(items) => items.iter().any(numeric),
            _ => false,
        }
    }
    numeric(node)
}

fn yaml_str(state: &State, value: Value) -> Result<Value, Error> {
    match as_path(&value) {
        // Helm holds integers as float64, whose toString is `1.5e+09`; int64 first.
        Some(p) => Ok(Value::from_safe_string(format!("{{{{ {} | int64 | toString | toJson }}}}", p.expr()))),
        None => {
            let text = match json(&value)? {
                serde_json::Value::String(s) => s,
                other => yaml::scalar(&other),
            };
            Ok(literal(state, yaml::quoted(&text)))
        }
    }
}

fn yaml_block(state: &State, value: Value, indent: usize) -> Result<Value, Error> {
    match as_path(&value) {
        // Helm holds every number as a float64, which toYaml writes as `1e+06`;
        // toJson writes it as `1000000`, so blocks that may hold numbers use it.
        Some(p) if p.sees_flags && may_hold_numbers(&p.path) => Ok(Value::from_safe_string(format!("{{{{ {} | toJson }}}}", p.expr()))),
        Some(p) => Ok(Value::from_safe_string(format!("{{{{- toYaml {} | nindent {indent} }}}}", p.expr()))),
        None => Ok(literal(state, format!("\n{}", yaml::block(&json(&value)?, indent)))),
    }
}

/// A shell script of `src/components/*/scripts`, by file name. In helm mode
/// the chart's copy in `files/`, to be indented by the `nest` that follows.
fn script(state: &State, name: String) -> Result<Value, Error> {
    let (_, _, text) = super::templates::SCRIPTS
        .iter()
        .find(|(file, _, _)| *file == name)
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("there is no script {name}")))?;
    if is_helm(state) {
        let file = serde_json::to_string(&format!("files/{name}")).expect("a string serializes");
        // The block scalar it goes in ends where the script does, as natively.
        return Ok(Value::from_safe_string(format!("{{{{- {}.Files.Get {file} | trimSuffix \"\\n\" | nindent 0 }}}}", root(state))));
    }
    Ok(Value::from_safe_string(text.trim_end_matches('\n').to_string()))
}

/// Indents every line but the first of a macro's output. Helm-mode blocks
/// inside it (`nindent N`) move right by the same amount.
fn nest(text: Value, indent: usize) -> Result<Value, Error> {
    static NINDENT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let text = text.as_str().ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "nest takes text"))?;
    let nindent = NINDENT.get_or_init(|| regex::Regex::new(r"\| nindent (\d+) \}\}").expect("a valid pattern"));
    let text = nindent.replace_all(text, |c: &regex::Captures<'_>| {
        let n: usize = c[1].parse().unwrap_or(0);
        format!("| nindent {} }}}}", n + indent)
    });
    let pad = " ".repeat(indent);
    let nested: Vec<String> = text
        .trim_end_matches('\n')
        .lines()
        .enumerate()
        .map(|(i, line)| if i == 0 || line.is_empty() { line.to_string() } else { format!("{pad}{line}") })
        .collect();
    Ok(Value::from_safe_string(nested.join("\n")))
}

/// `key: value` on a new line, only when the value is not empty.
fn optional(state: &State, key: String, value: Value, indent: usize) -> Result<Value, Error> {
    let pad = " ".repeat(indent);
    match as_path(&value) {
        Some(p) => Ok(Value::from_safe_string(format!(
            "\n{pad}{{{{- with {} }}}}\n{pad}{key}: {{{{ . | toJson }}}}\n{pad}{{{{- end }}}}",
            p.expr()
        ))),
        None if value.is_true() => Ok(literal(state, format!("\n{pad}{key}: {}", yaml::scalar(&json(&value)?)))),
        None => Ok(Value::from_safe_string(String::new())),
    }
}

/// Go's `trunc n | trimSuffix "-"`.
fn trunc_trim(text: &str, max: usize) -> String {
    let cut = &text[..text.len().min(max)];
    cut.strip_suffix('-').unwrap_or(cut).to_string()
}

/// The release's full name, as Helm's usual `fullname` helper makes it.
fn fullname(release: &str, chart: &str) -> String {
    if release.contains(chart) {
        trunc_trim(release, 63)
    } else {
        trunc_trim(&format!("{release}-{chart}"), 63)
    }
}

/// The name of one component's object: the full name, shortened so that
/// `-component` always fits in `max` characters.
pub fn component_name(release: &str, chart: &str, component: &str, max: usize) -> String {
    let room = max.saturating_sub(component.len() + 1);
    format!("{}-{component}", trunc_trim(&fullname(release, chart), room))
}

fn name(state: &State, component: Value, max: Option<usize>) -> Result<Value, Error> {
    let component = component_arg(&component)?.suffix();
    let max = max.unwrap_or(63);
    let chart = lookup_str(state, &["spec", "chart", "name"])?;
    if is_helm(state) {
        return Ok(Value::from_safe_string(format!(
            "{{{{ include \"{chart}.componentName\" (list {} {} {max}) | toJson }}}}",
            root(state),
            serde_json::to_string(&component).expect("a string serializes")
        )));
    }
    let release = lookup_str(state, &["release", "name"])?;
    Ok(Value::from_safe_string(yaml::string(&component_name(&release, &chart, &component, max))))
}

/// The labels of a component as (key, value) pairs, sorted.
fn label_pairs(state: &State, component: &str, selector_only: bool) -> Result<Vec<(String, String)>, Error> {
    let chart = lookup_str(state, &["spec", "chart", "name"])?;
    let release = lookup_str(state, &["release", "name"])?;
    let mut pairs = vec![
        ("app.kubernetes.io/component".to_string(), component.to_string()),
        ("app.kubernetes.io/instance".to_string(), release),
        ("app.kubernetes.io/name".to_string(), trunc_trim(&chart, 63)),
    ];
    if !selector_only {
        let version = lookup_str(state, &["spec", "chart", "version"])?;
        pairs.extend([
            ("app.kubernetes.io/managed-by".to_string(), "Helm".to_string()),
            ("app.kubernetes.io/part-of".to_string(), lookup_str(state, &["spec", "app", "name"])?),
            ("app.kubernetes.io/version".to_string(), lookup_str(state, &["spec", "chart", "appVersion"])?),
            ("helm.sh/chart".to_string(), trunc_trim(&format!("{chart}-{version}").replace('+', "_"), 63)),
        ]);
    }
    pairs.sort();
    Ok(pairs)
}

fn label_block(state: &State, component: &str, indent: usize, selector_only: bool, extra: Option<Value>) -> Result<Value, Error> {
    let define = if selector_only { "selectorLabels" } else { "labels" };
    if is_helm(state) {
        let chart = lookup_str(state, &["spec", "chart", "name"])?;
        let mut text = format!(
            "{{{{- include \"{chart}.{define}\" (list {} {}) | nindent {indent} }}}}",
            root(state),
            serde_json::to_string(component).expect("a string serializes")
        );
        if let Some(p) = extra.as_ref().and_then(as_path) {
            text.push_str(&format!("{{{{- with {} }}}}{{{{ toYaml . | nindent {indent} }}}}{{{{- end }}}}", p.expr()));
        }
        return Ok(Value::from_safe_string(text));
    }
    let pad = " ".repeat(indent);
    let extra = match extra {
        Some(extra) => json(&extra)?,
        None => serde_json::Value::Null,
    };
    // Every combination of a check writes the same few label blocks.
    type Key = (String, String, usize, bool, String);
    static BLOCKS: std::sync::OnceLock<Mutex<std::collections::HashMap<Key, String>>> = std::sync::OnceLock::new();
    let names = ["release.name", "spec.chart.name", "spec.chart.version", "spec.chart.appVersion", "spec.app.name"]
        .iter()
        .map(|path| lookup_str(state, &path.split('.').collect::<Vec<_>>()))
        .collect::<Result<Vec<_>, _>>()?
        .join("\n");
    let key = (names, component.to_string(), indent, selector_only, extra.to_string());
    let blocks = BLOCKS.get_or_init(Default::default);
    if let Some(known) = blocks.lock().expect("not poisoned").get(&key) {
        return Ok(Value::from_safe_string(known.clone()));
    }
    let mut pairs = label_pairs(state, component, selector_only)?;
    if let serde_json::Value::Object(map) = extra {
        pairs.extend(map.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())));
    }
    let lines: String = pairs.iter().map(|(k, v)| format!("\n{pad}{}: {}", yaml::string(k), yaml::string(v))).collect();
    let mut blocks = blocks.lock().expect("not poisoned");
    if blocks.len() < 4096 {
        blocks.insert(key, lines.clone());
    }
    Ok(Value::from_safe_string(lines))
}

fn labels(state: &State, component: Value, indent: usize, extra: Option<Value>) -> Result<Value, Error> {
    label_block(state, component_arg(&component)?.component.label(), indent, false, extra)
}

fn selector_labels(state: &State, component: Value, indent: usize) -> Result<Value, Error> {
    label_block(state, component_arg(&component)?.component.label(), indent, true, None)
}

/// The labels of components, as a flow sequence: `[backup, migrate]`.
fn component_labels(components: Vec<Value>) -> Result<Value, Error> {
    let labels = components.iter().map(|c| Ok(component_arg(c)?.component.label())).collect::<Result<Vec<_>, Error>>()?;
    Ok(Value::from_safe_string(format!("[{}]", labels.join(", "))))
}

fn namespace(state: &State) -> Result<Value, Error> {
    if is_helm(state) {
        return Ok(Value::from_safe_string(format!("{{{{ {}.Release.Namespace | toJson }}}}", root(state))));
    }
    Ok(Value::from_safe_string(yaml::string(&lookup_str(state, &["release", "namespace"])?)))
}

fn release_name(state: &State) -> Result<Value, Error> {
    if is_helm(state) {
        return Ok(Value::from_safe_string(format!("{{{{ {}.Release.Name | toJson }}}}", root(state))));
    }
    Ok(Value::from_safe_string(yaml::string(&lookup_str(state, &["release", "name"])?)))
}

/// The TCP port of an endpoint URL value: the URL's own, else its scheme's.
fn endpoint_port(state: &State, endpoint: Value) -> Result<Value, Error> {
    let chart = lookup_str(state, &["spec", "chart", "name"])?;
    match as_path(&endpoint) {
        Some(p) => Ok(Value::from_safe_string(format!("{{{{ include \"{chart}.endpointPort\" {} }}}}", p.expr()))),
        None => {
            let url: crate::scalars::EndpointUrl =
                endpoint.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "endpoint_port takes an endpoint URL value"))?;
            Ok(Value::from_safe_string(url.port().to_string()))
        }
    }
}

fn image(state: &State, image: Value) -> Result<Value, Error> {
    match as_path(&image) {
        Some(p) => Ok(Value::from_safe_string(format!(
            "{{{{ printf \"%s:%s\" {0}.repository {0}.tag | toJson }}}}",
            p.expr()
        ))),
        None => {
            let repository = image.get_attr("repository")?;
            let tag = image.get_attr("tag")?;
            let text = format!("{}:{}", repository.as_str().unwrap_or_default(), tag.as_str().unwrap_or_default());
            Ok(literal(state, yaml::string(&text)))
        }
    }
}

/// An operator's image choice at `indent`: `imageCatalogRef` (of `api_group`)
/// when `catalog.name` is set, else `imageName` from `image`; an operator
/// that takes both refuses the object.
fn image_or_catalog(state: &State, image_value: Value, catalog: Value, api_group: String, indent: usize) -> Result<Value, Error> {
    let pad = " ".repeat(indent);
    let image_name = image(state, image_value)?;
    match as_path(&catalog) {
        Some(p) => Ok(Value::from_safe_string(format!(
            "{{{{- if {0}.name }}}}\n{pad}imageCatalogRef:\n{pad}  apiGroup: {api_group}\n{pad}  kind: {{{{ {0}.kind | toJson }}}}\n{pad}  name: {{{{ {0}.name | toJson }}}}\n{pad}  major: {{{{ {0}.major | toJson }}}}\n{pad}{{{{- else }}}}\n{pad}imageName: {image_name}\n{pad}{{{{- end }}}}",
            p.expr()
        ))),
        None if catalog.get_attr("name")?.is_true() => {
            let field = |key: &str| -> Result<String, Error> { Ok(yaml::scalar(&json(&catalog.get_attr(key)?)?)) };
            Ok(literal(
                state,
                format!(
                    "imageCatalogRef:\n{pad}  apiGroup: {api_group}\n{pad}  kind: {}\n{pad}  name: {}\n{pad}  major: {}",
                    field("kind")?,
                    field("name")?,
                    field("major")?
                ),
            ))
        }
        None => Ok(Value::from_safe_string(format!("imageName: {image_name}"))),
    }
}

/// An object store's `endpointCA` at `indent` when `ca.name` is set, else nothing.
fn endpoint_ca(state: &State, ca: Value, indent: usize) -> Result<Value, Error> {
    let pad = " ".repeat(indent);
    match as_path(&ca) {
        Some(p) => Ok(Value::from_safe_string(format!(
            "\n{pad}{{{{- if {0}.name }}}}\n{pad}endpointCA:\n{pad}  name: {{{{ {0}.name | toJson }}}}\n{pad}  key: {{{{ {0}.key | toJson }}}}\n{pad}{{{{- end }}}}",
            p.expr()
        ))),
        None if ca.get_attr("name")?.is_true() => {
            let field = |key: &str| -> Result<String, Error> { Ok(yaml::scalar(&json(&ca.get_attr(key)?)?)) };
            Ok(literal(state, format!("\n{pad}endpointCA:\n{pad}  name: {}\n{pad}  key: {}", field("name")?, field("key")?)))
        }
        None => Ok(Value::from_safe_string(String::new())),
    }
}

/// An object store's `s3Credentials` block, under its key at `indent`: the IAM
/// role of the pods when `store.inheritFromIAMRole`, else the credentials Secret's keys.
fn s3_credentials(state: &State, store: Value, indent: usize) -> Result<Value, Error> {
    let pad = " ".repeat(indent);
    let secret_keys = |name: String, id_key: String, secret_key: String| {
        format!("{pad}accessKeyId:\n{pad}  name: {name}\n{pad}  key: {id_key}\n{pad}secretAccessKey:\n{pad}  name: {name}\n{pad}  key: {secret_key}")
    };
    match as_path(&store) {
        Some(p) => {
            let secret = format!("{}.credentialsSecret", p.expr());
            Ok(Value::from_safe_string(format!(
                "\n{pad}{{{{- if {0}.inheritFromIAMRole }}}}\n{pad}inheritFromIAMRole: true\n{pad}{{{{- else }}}}\n{1}\n{pad}{{{{- end }}}}",
                p.expr(),
                secret_keys(format!("{{{{ {secret}.name | toJson }}}}"), format!("{{{{ {secret}.accessKeyIdKey | toJson }}}}"), format!("{{{{ {secret}.secretAccessKeyKey | toJson }}}}"))
            )))
        }
        None if store.get_attr("inheritFromIAMRole")?.is_true() => Ok(Value::from_safe_string(format!("\n{pad}inheritFromIAMRole: true"))),
        None => {
            let secret = store.get_attr("credentialsSecret")?;
            let field = |key: &str| -> Result<String, Error> { Ok(yaml::scalar(&json(&secret.get_attr(key)?)?)) };
            Ok(literal(state, format!("\n{}", secret_keys(field("name")?, field("accessKeyIdKey")?, field("secretAccessKeyKey")?))))
        }
    }
}

/// An alert's PromQL with its thresholds filled in from
/// `values.monitoring.prometheusRules.thresholds`.
fn alert_expr(state: &State, alert: Value) -> Result<Value, Error> {
    let parts = json(&alert.get_attr("expr")?.get_attr("parts")?)?;
    let parts = parts.as_array().cloned().unwrap_or_default();
    let values = state.lookup("values").unwrap_or_default();
    let thresholds = values.get_attr("monitoring")?.get_attr("prometheusRules")?.get_attr("thresholds")?;
    let parameters = state.lookup("spec").unwrap_or_default().get_attr("parameters")?;
    if is_helm(state) {
        let mut operands = Vec::new();
        for part in &parts {
            let value = part["value"].as_str().unwrap_or_default();
            if part["kind"] == "text" {
                operands.push(Operand::Text(value.to_string()));
            } else {
                let threshold = thresholds.get_attr(value)?;
                let path = as_path(&threshold).map(HelmPath::expr).ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "thresholds are values"))?;
                let kind = parameters.get_attr(value)?.get_attr("type")?;
                // Durations go in as written; numbers as toJson writes them.
                operands.push(Operand::Code(if kind.as_str() == Some("duration") { path } else { format!("(toJson {path})") }));
            }
        }
        return Ok(Value::from_safe_string(print_json(operands)));
    }
    let mut text = String::new();
    for part in &parts {
        let value = part["value"].as_str().unwrap_or_default();
        if part["kind"] == "text" {
            text.push_str(value);
        } else {
            match json(&thresholds.get_attr(value)?)? {
                serde_json::Value::String(s) => text.push_str(&s),
                other => text.push_str(&yaml::scalar(&other)),
            }
        }
    }
    Ok(literal(state, yaml::string(&text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names_keep_the_component_whole() {
        assert_eq!(component_name("prod", "certctl", "backup", 52), "prod-certctl-backup");
        assert_eq!(component_name("certctl", "certctl", "backup", 52), "certctl-backup");
        let long = "a".repeat(53);
        let name = component_name(&long, "certctl", "postgresql", 52);
        assert_eq!(name.len(), 52);
        assert!(name.ends_with("-postgresql"));
    }

    #[test]
    fn trunc_trim_removes_one_trailing_dash_like_go() {
        assert_eq!(trunc_trim("ab--cd", 4), "ab-");
        assert_eq!(trunc_trim("abc", 10), "abc");
    }
}
