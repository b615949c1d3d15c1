//! The flags of a hand-written chart, found rather than listed.
//!
//! Candidates are the booleans and string enums of `values.schema.json`
//! when the chart has one; otherwise the booleans of values.yaml and the
//! strings whose comment lists their choices (`# One of: text, json`). A
//! candidate is kept only when a template branches on it: its `.Values`
//! path appears in an action with `if`, `with`, `eq`, `ne`, `default`,
//! `and`, `or`, `not`, `ternary`, `empty` or `coalesce`. A flag
//! `a.b.enabled` (or any flag under `a.b`) matters only when a flag
//! `a.enabled` above it is true, the usual way charts nest switches.
//! A string that an `if` or `with` tests for presence is an axis of its
//! own: empty, and set ([`PRESENT`] when it is empty by default).
//! The matrix settings add, drop and relate flags.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use super::config::MatrixConfig;
use super::HelmChart;
use crate::source::{Node, Value};
use crate::values::flags::{Flag, FlagValue, ValuePath};

/// The flags of `chart`, in values order, with the settings applied.
pub fn discover(chart: &HelmChart, config: &MatrixConfig) -> Vec<Flag> {
    let candidates = match &chart.schema {
        Some(schema) => schema_candidates(schema, &chart.default_values()),
        None => values_candidates(&chart.values),
    };
    // The chart's own templates: a subchart's `.Values` are the subchart's values, not these.
    let texts = || chart.templates.iter().filter(|(path, _)| path.starts_with("templates/")).map(|(_, text)| text.as_str());
    let branched = branched_paths(texts());
    let mut candidates: Vec<(ValuePath, Vec<FlagValue>)> = candidates.into_iter().filter(|(path, _)| branched.contains(&path.to_string())).collect();
    let defaults = chart.default_values();
    for path in presence_paths(texts()) {
        let path = ValuePath::parse(&path);
        if candidates.iter().any(|(p, _)| *p == path) {
            continue;
        }
        // A companion value of the settings is the default it is varied from.
        let default = Some(path.lookup(&config.values)).filter(|v| !v.is_null()).unwrap_or_else(|| path.lookup(&defaults));
        let domain = match default {
            serde_json::Value::String(text) if text.is_empty() => vec![FlagValue::Choice("".into()), FlagValue::Choice(PRESENT.into())],
            serde_json::Value::String(text) => vec![FlagValue::Choice(text.as_str().into()), FlagValue::Choice("".into())],
            _ => continue,
        };
        candidates.push((path, domain));
    }
    let mut flags: Vec<Flag> = candidates
        .into_iter()
        .filter(|(path, _)| !config.ignore.contains(path))
        .map(|(path, domain)| Flag { path, domain, requires: None, value_requires: Vec::new() })
        .collect();
    for (path, domain) in &config.flags {
        match flags.iter_mut().find(|f| f.path == *path) {
            Some(flag) => flag.domain = domain.clone(),
            None => flags.push(Flag { path: path.clone(), domain: domain.clone(), requires: None, value_requires: Vec::new() }),
        }
    }
    nest_under_switches(&mut flags);
    for (path, condition) in &config.requires {
        if let Some(flag) = flags.iter_mut().find(|f| f.path == *path) {
            flag.requires = Some(condition.clone());
        }
    }
    order_dependencies_first(flags)
}

/// A flag under `a.b` depends on the nearest boolean flag `a.enabled`, `a.b.enabled` above it.
fn nest_under_switches(flags: &mut [Flag]) {
    let switches: Vec<ValuePath> = flags.iter().filter(|f| f.path.keys().last().is_some_and(|k| k == "enabled")).map(|f| f.path.clone()).collect();
    for flag in flags.iter_mut() {
        let keys = flag.path.keys();
        let owner = switches
            .iter()
            .filter(|switch| {
                let prefix = &switch.keys()[..switch.keys().len() - 1];
                **switch != flag.path && !prefix.is_empty() && keys.len() > prefix.len() && keys.starts_with(prefix)
            })
            .max_by_key(|switch| switch.keys().len());
        if let Some(owner) = owner {
            flag.requires = Some((owner.clone(), vec![FlagValue::Bool(true)]));
        }
    }
}

/// The matrix reads a flag's dependency before the flag: dependencies move up, order otherwise kept.
fn order_dependencies_first(flags: Vec<Flag>) -> Vec<Flag> {
    let mut ordered: Vec<Flag> = Vec::new();
    let mut pending = flags;
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = Vec::new();
        for flag in pending {
            if flag.requires.as_ref().is_none_or(|(on, _)| ordered.iter().any(|f| f.path == *on)) {
                ordered.push(flag);
            } else {
                waiting.push(flag);
            }
        }
        pending = waiting;
        if pending.len() == before {
            // A dependency on something that is not a flag (or a cycle) cannot hold: the flag is varied freely.
            ordered.extend(pending.drain(..).map(|flag| Flag { requires: None, ..flag }));
        }
    }
    ordered
}

/// Booleans and string enums of a values schema, each with its domain (the default first).
fn schema_candidates(schema: &serde_json::Value, defaults: &serde_json::Value) -> Vec<(ValuePath, Vec<FlagValue>)> {
    fn walk(schema: &serde_json::Value, path: &mut Vec<String>, defaults: &serde_json::Value, out: &mut Vec<(ValuePath, Vec<FlagValue>)>) {
        let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else { return };
        for (key, property) in properties {
            path.push(key.clone());
            let value_path = ValuePath::parse(&path.join("."));
            let default = Some(value_path.lookup(defaults)).filter(|v| !v.is_null()).or_else(|| property.get("default")).and_then(FlagValue::from_json);
            let is_type = |name: &str| property.get("type").is_some_and(|t| t == name || t.as_array().is_some_and(|a| a.iter().any(|t| t == name)));
            if is_type("boolean") {
                let first = matches!(default, Some(FlagValue::Bool(true)));
                out.push((value_path, vec![FlagValue::Bool(first), FlagValue::Bool(!first)]));
            } else if let Some(choices) = property.get("enum").and_then(|e| e.as_array()) {
                let choices: Vec<FlagValue> = choices.iter().filter_map(|c| c.as_str().map(|s| FlagValue::Choice(s.into()))).collect();
                if choices.len() >= 2 {
                    out.push((value_path, default_first(choices, default)));
                }
            } else {
                walk(property, path, defaults, out);
            }
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(schema, &mut Vec::new(), defaults, &mut out);
    out
}

fn default_first(mut domain: Vec<FlagValue>, default: Option<FlagValue>) -> Vec<FlagValue> {
    if let Some(position) = default.and_then(|d| domain.iter().position(|v| *v == d)) {
        let value = domain.remove(position);
        domain.insert(0, value);
    }
    domain
}

/// Booleans of values.yaml, and strings whose comment lists their choices.
fn values_candidates(values: &Node) -> Vec<(ValuePath, Vec<FlagValue>)> {
    fn walk(node: &Node, path: &mut Vec<String>, out: &mut Vec<(ValuePath, Vec<FlagValue>)>) {
        let Value::Map(map) = &node.value else { return };
        for (key, member) in map {
            path.push(key.clone());
            let value_path = ValuePath::parse(&path.join("."));
            match &member.node.value {
                Value::Bool(default) => out.push((value_path, vec![FlagValue::Bool(*default), FlagValue::Bool(!*default)])),
                Value::Str(default) => {
                    if let Some(choices) = documented_choices(&member.key) {
                        out.push((value_path, default_first(choices, Some(FlagValue::Choice(default.as_str().into())))));
                    }
                }
                Value::Map(_) => walk(&member.node, path, out),
                _ => {}
            }
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(values, &mut Vec::new(), &mut out);
    out
}

/// The choices a key's comment lists: `# One of: a, b, c` (or `a | b | c`)
/// in the comment lines right above the key.
fn documented_choices(key: &crate::diagnostic::Origin) -> Option<Vec<FlagValue>> {
    static ONE_OF: OnceLock<Regex> = OnceLock::new();
    let one_of = ONE_OF.get_or_init(|| Regex::new(r"(?i)\bone of:?\s*(.+)$").expect("a valid pattern"));
    let crate::diagnostic::Origin::Span { source, .. } = key else { return None };
    let line = key.line()?;
    let lines: Vec<&str> = source.text.lines().collect();
    lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with('#'))
        .find_map(|comment| {
            let list = one_of.captures(comment)?.get(1)?.as_str();
            let choices: Vec<FlagValue> = list
                .split([',', '|'])
                .map(|c| c.trim().trim_end_matches('.').trim_matches(['"', '\'', '`']))
                .filter(|c| !c.is_empty() && !c.contains(char::is_whitespace))
                .map(|c| FlagValue::Choice(c.into()))
                .collect();
            (choices.len() >= 2).then_some(choices)
        })
}

/// What a presence axis sets a string that is empty by default to.
pub const PRESENT: &str = "chartgen-example";

/// The `.Values` paths that an `if` or `with` tests for presence: the
/// action compares nothing (no `eq`, `ne`, `lt`, `gt`, `le`, `ge`, `default`,
/// `hasKey`, `len`), so the value's being empty or set is the branch.
fn presence_paths<'a>(templates: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    static ACTION: OnceLock<Regex> = OnceLock::new();
    static COMPARES: OnceLock<Regex> = OnceLock::new();
    let action = ACTION.get_or_init(|| Regex::new(r"(?s)\{\{-?\s*(?:else\s+)?(?:if|with)\s(.*?)-?\}\}").expect("a valid pattern"));
    let compares = COMPARES.get_or_init(|| Regex::new(r"\b(eq|ne|lt|gt|le|ge|default|hasKey|len|include|tpl)\b").expect("a valid pattern"));
    values_paths(templates, action, |body| !compares.is_match(body))
}

/// The `.Values` paths that template actions branch on.
pub fn branched_paths<'a>(templates: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    static ACTION: OnceLock<Regex> = OnceLock::new();
    static BRANCH: OnceLock<Regex> = OnceLock::new();
    let action = ACTION.get_or_init(|| Regex::new(r"(?s)\{\{(.*?)\}\}").expect("a valid pattern"));
    let branch = BRANCH.get_or_init(|| Regex::new(r"\b(if|with|eq|ne|default|and|or|not|ternary|empty|coalesce)\b").expect("a valid pattern"));
    values_paths(templates, action, |body| branch.is_match(body))
}

/// The `.Values` paths in the bodies of the actions `action` matches (its
/// first group) that `keep` accepts.
fn values_paths<'a>(templates: impl Iterator<Item = &'a str>, action: &Regex, keep: impl Fn(&str) -> bool) -> BTreeSet<String> {
    static VALUES: OnceLock<Regex> = OnceLock::new();
    let values = VALUES.get_or_init(|| Regex::new(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)").expect("a valid pattern"));
    templates
        .flat_map(|text| action.captures_iter(text).filter(|found| keep(&found[1])).flat_map(|found| values.captures_iter(found.get(1).expect("a body").as_str()).map(|c| c[1][1..].to_string()).collect::<Vec<_>>()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn chart(name: &str) -> HelmChart {
        HelmChart::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts").join(name)).unwrap()
    }

    fn described(flags: &[Flag]) -> Vec<String> {
        flags
            .iter()
            .map(|f| {
                let domain: Vec<String> = f.domain.iter().map(ToString::to_string).collect();
                let when = f.requires.as_ref().map(|(on, v)| format!(" when {on}={}", v[0])).unwrap_or_default();
                format!("{} [{}]{when}", f.path, domain.join(", "))
            })
            .collect()
    }

    #[test]
    fn values_yaml_booleans_documented_enums_and_presence_tests_that_templates_branch_on_are_the_flags() {
        let flags = discover(&chart("storefront"), &MatrixConfig::default());
        assert_eq!(
            described(&flags),
            [
                "serviceAccount.create [false, true]",
                "service.type [ClusterIP, NodePort, LoadBalancer]",
                "logFormat [text, json]",
                "ingress.enabled [false, true]",
                "ingress.tls.enabled [false, true] when ingress.enabled=true",
                "metrics.enabled [false, true]",
                "persistence.enabled [false, true]",
                "worker.enabled [false, true]",
                "networkPolicy.enabled [false, true]",
                "redis.enabled [false, true]",
                "autoscaling.enabled [false, true]",
                "legacyMode.enabled [false, true]",
                // Strings an `if` or `with` tests for presence: empty and set.
                "fullnameOverride [, chartgen-example]",
                "ingress.className [nginx, ] when ingress.enabled=true",
                "ingress.host [, chartgen-example] when ingress.enabled=true",
                "persistence.storageClass [, chartgen-example] when persistence.enabled=true",
            ]
        );
    }

    #[test]
    fn a_schema_gives_the_candidates_and_a_value_no_template_branches_on_is_dropped() {
        let flags = discover(&chart("schema-flags"), &MatrixConfig::default());
        assert_eq!(described(&flags), ["mode [simple, advanced]", "feature.enabled [false, true]"]);
    }

    #[test]
    fn the_settings_drop_add_and_relate_flags() {
        let config = MatrixConfig {
            ignore: vec![ValuePath::parse("legacyMode.enabled")],
            flags: vec![(ValuePath::parse("image.pullPolicy"), vec![FlagValue::Choice("IfNotPresent".into()), FlagValue::Choice("Always".into())])],
            requires: vec![(ValuePath::parse("metrics.enabled"), (ValuePath::parse("worker.enabled"), vec![FlagValue::Bool(true)]))],
            ..MatrixConfig::default()
        };
        let described = described(&discover(&chart("storefront"), &config));
        assert!(!described.iter().any(|f| f.starts_with("legacyMode")));
        assert!(described.contains(&"image.pullPolicy [IfNotPresent, Always]".to_string()));
        let worker = described.iter().position(|f| f.starts_with("worker.enabled")).unwrap();
        let metrics = described.iter().position(|f| f.starts_with("metrics.enabled")).unwrap();
        assert!(worker < metrics && described[metrics].ends_with("when worker.enabled=true"), "{described:?}");
    }

    #[test]
    fn a_presence_test_compares_nothing() {
        let paths = presence_paths(["{{- if .Values.a }}{{ end }}{{ with .Values.b.c }}{{ end }}{{ if eq .Values.d \"x\" }}{{ end }}{{ default .Chart.Name .Values.e }}{{- else if not .Values.f }}"].into_iter());
        assert_eq!(paths.into_iter().collect::<Vec<_>>(), ["a", "b.c", "f"]);
    }

    #[test]
    fn only_actions_that_branch_count() {
        let paths = branched_paths(["{{ .Values.a.b }} {{- if .Values.c.enabled }}{{ end }} {{ eq $.Values.d \"x\" }} {{ include \"x\" .Values.e }}"].into_iter());
        assert_eq!(paths.into_iter().collect::<Vec<_>>(), ["c.enabled", "d"]);
    }
}
