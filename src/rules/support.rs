//! What several rules need to read out of a rendering: pods, containers,
//! their shell scripts and the commands those scripts call.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Duration as Span, TimeZone};

use serde_json::Value;

use crate::render::Manifest;
use crate::scalars::CronSchedule;

/// A container of a workload in a rendering.
pub struct Container<'a> {
    pub document: usize,
    /// JSON pointer of the container.
    pub pointer: String,
    pub value: &'a Value,
    /// The pod spec it runs in, and its pointer.
    pub pod: &'a Value,
    pub pod_pointer: &'static str,
}

/// The pod template's spec of a workload, and its pointer.
pub fn pod_spec(object: &Value) -> Option<(&Value, &'static str)> {
    match object["kind"].as_str()? {
        "StatefulSet" | "Deployment" | "Job" => Some((&object["spec"]["template"]["spec"], "/spec/template/spec")),
        "CronJob" => Some((&object["spec"]["jobTemplate"]["spec"]["template"]["spec"], "/spec/jobTemplate/spec/template/spec")),
        _ => None,
    }
}

/// Every container (init containers first) of every workload.
pub fn containers(manifests: &[Manifest]) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    for (document, manifest) in manifests.iter().enumerate() {
        let Some((pod, pod_pointer)) = pod_spec(&manifest.object) else { continue };
        for list in ["initContainers", "containers"] {
            for (i, value) in pod[list].as_array().into_iter().flatten().enumerate() {
                out.push(Container { document, pointer: format!("{pod_pointer}/{list}/{i}"), value, pod, pod_pointer });
            }
        }
    }
    out
}

/// The shell script a container runs with `sh -c`, and its pointer.
pub fn script(container: &Container<'_>) -> Option<(String, String)> {
    let words = |v: &Value| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>()).unwrap_or_default();
    let command = words(&container.value["command"]);
    let args = words(&container.value["args"]);
    let all: Vec<String> = command.iter().chain(args.iter()).cloned().collect();
    let at = all.iter().position(|w| w == "-c")?;
    let shell = all.get(at.checked_sub(1)?)?;
    if !shell.ends_with("sh") {
        return None;
    }
    let text = all.get(at + 1)?.clone();
    let pointer = if at + 1 < command.len() { format!("{}/command/{}", container.pointer, at + 1) } else { format!("{}/args/{}", container.pointer, at + 1 - command.len()) };
    Some((text, pointer))
}

/// The script without the bodies of its here-documents, and the names of the functions it defines.
fn prepare(script: &str) -> (String, BTreeSet<String>) {
    static HEREDOC: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static FUNCTION: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let heredoc = HEREDOC.get_or_init(|| regex::Regex::new(r#"<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?"#).expect("a valid pattern"));
    let function = FUNCTION.get_or_init(|| regex::Regex::new(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)").expect("a valid pattern"));
    let mut kept = String::new();
    let mut functions = BTreeSet::new();
    let mut until: Option<String> = None;
    for line in script.lines() {
        if let Some(end) = &until {
            if line.trim() == end {
                until = None;
            }
            continue;
        }
        if let Some(name) = function.captures(line) {
            functions.insert(name[1].to_string());
        }
        until = heredoc.captures(line).map(|c| c[1].to_string());
        kept.push_str(line);
        kept.push('\n');
    }
    (kept, functions)
}

/// The programs a shell script calls: the first word of each simple
/// command, including those in `$( )`, skipping keywords, assignments,
/// redirections, quoted text, comments, here-documents and the script's own functions.
pub fn commands(script: &str) -> BTreeSet<String> {
    const KEYWORDS: [&str; 16] = ["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case", "esac", "!", "in", "{", "}"];
    let (script, functions) = prepare(script);
    #[derive(PartialEq)]
    enum Context {
        Plain,
        Double,
    }
    let chars: Vec<char> = script.chars().collect();
    let mut out = BTreeSet::new();
    // One entry per nesting level: the quoting context to return to after `)`.
    let mut stack: Vec<Context> = vec![Context::Plain];
    let mut at_start = true;
    let mut word = String::new();
    let mut finish = |word: &mut String, at_start: &mut bool| {
        if word.is_empty() {
            return;
        }
        let is_redirect = word.starts_with('>') || word.starts_with('<') || word.chars().next().is_some_and(|c| c.is_ascii_digit()) && word.contains('>');
        if *at_start && !is_redirect {
            let assignment = word.split_once('=').is_some_and(|(name, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if !KEYWORDS.contains(&word.as_str()) && !assignment {
                out.insert(word.rsplit('/').next().unwrap_or(word).to_string());
                *at_start = false;
            }
        }
        word.clear();
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let in_double = stack.last() == Some(&Context::Double);
        if c == '\\' {
            if !in_double {
                word.push(next.unwrap_or(' '));
            }
            i += 2;
            continue;
        }
        if c == '$' && next == Some('{') {
            // A parameter expansion is part of the word, spaces and all.
            while i < chars.len() && chars[i] != '}' {
                i += 1;
            }
            word.push('x');
            i += 1;
            continue;
        }
        if c == '$' && next == Some('(') {
            if chars.get(i + 2) == Some(&'(') {
                // Arithmetic: no commands inside.
                let mut depth = 0;
                while i < chars.len() {
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                word.push('0');
                i += 1;
                continue;
            }
            finish(&mut word, &mut at_start);
            stack.push(Context::Plain);
            at_start = true;
            i += 2;
            continue;
        }
        if in_double {
            if c == '"' {
                stack.pop();
            }
            word.push('x');
            i += 1;
            continue;
        }
        match c {
            '\'' => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                word.push('x');
            }
            '"' => {
                stack.push(Context::Double);
                word.push('x');
            }
            '#' if word.is_empty() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ')' if stack.len() > 1 => {
                finish(&mut word, &mut at_start);
                stack.pop();
                at_start = false;
            }
            '&' if word.ends_with('>') || word.ends_with('<') => word.push(c),
            ';' | '|' | '&' | '\n' | '(' | ')' | '`' => {
                finish(&mut word, &mut at_start);
                at_start = true;
            }
            ' ' | '\t' => finish(&mut word, &mut at_start),
            _ => word.push(c),
        }
        i += 1;
    }
    finish(&mut word, &mut at_start);
    out.retain(|name| !functions.contains(name) && !name.ends_with("()"));
    out
}

/// `repository` and `tag` of an image reference (the tag is empty when absent;
/// a digest counts as a tag).
pub fn image_parts(image: &str) -> (&str, &str) {
    if let Some((repository, digest)) = image.split_once('@') {
        return (repository, digest);
    }
    match image.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => (image, ""),
    }
}

/// Every alerting rule of every PrometheusRule: (document, pointer, rule).
pub fn alert_rules(manifests: &[Manifest]) -> Vec<(usize, String, &Value)> {
    let mut out = Vec::new();
    for (document, manifest) in manifests.iter().enumerate().filter(|(_, m)| m.kind() == "PrometheusRule") {
        for (g, group) in manifest.object["spec"]["groups"].as_array().into_iter().flatten().enumerate() {
            for (r, rule) in group["rules"].as_array().into_iter().flatten().enumerate() {
                out.push((document, format!("/spec/groups/{g}/rules/{r}"), rule));
            }
        }
    }
    out
}

/// Calls `visit` on every node of a PromQL expression, parents first.
pub fn walk_promql(expr: &promql_parser::parser::Expr, visit: &mut dyn FnMut(&promql_parser::parser::Expr)) {
    use promql_parser::parser::Expr;
    visit(expr);
    match expr {
        Expr::Aggregate(e) => {
            walk_promql(&e.expr, visit);
            if let Some(param) = &e.param {
                walk_promql(param, visit);
            }
        }
        Expr::Unary(e) => walk_promql(&e.expr, visit),
        Expr::Binary(e) => {
            walk_promql(&e.lhs, visit);
            walk_promql(&e.rhs, visit);
        }
        Expr::Paren(e) => walk_promql(&e.expr, visit),
        Expr::Subquery(e) => walk_promql(&e.expr, visit),
        Expr::Call(call) => call.args.args.iter().for_each(|a| walk_promql(a, visit)),
        _ => {}
    }
}

/// Which canonical options an invocation lacks.
pub fn missing_options(invocation: &str) -> Vec<&'static str> {
    let words: Vec<&str> = invocation.split_whitespace().collect();
    let has = |long: &[&str], short: &[&str]| words.iter().any(|w| long.iter().any(|l| w.starts_with(l)) || short.contains(w));
    let mut missing = Vec::new();
    if !has(&["--format=custom", "--format=c"], &["-Fc", "-Fcustom"]) && !words.windows(2).any(|p| p[0] == "-F" && (p[1] == "c" || p[1] == "custom")) {
        missing.push("--format=custom");
    }
    if !has(&["--no-owner"], &["-O"]) {
        missing.push("--no-owner");
    }
    if !has(&["--no-acl", "--no-privileges"], &["-x"]) {
        missing.push("--no-acl");
    }
    missing
}

/// The longest gap between two firings, and when it starts.
type Gap = Option<(Span, String)>;

/// Longest gap between firings, by schedule and zone; computed once per process.
static GAPS: Mutex<Option<HashMap<(String, String), Gap>>> = Mutex::new(None);

/// The longest gap between consecutive firings during 2026, and when it
/// begins; `None` when the schedule is not valid cron (rule CG101's business).
pub fn longest_gap(schedule: &str, zone: chrono_tz::Tz) -> Gap {
    let key = (schedule.to_string(), zone.name().to_string());
    if let Some(known) = GAPS.lock().expect("not poisoned").get_or_insert_with(HashMap::new).get(&key) {
        return known.clone();
    }
    let schedule: CronSchedule = schedule.parse().ok()?;
    let start = zone.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).earliest()?;
    let end = start + Span::days(366);
    let mut previous: Option<DateTime<chrono_tz::Tz>> = None;
    let mut longest: Gap = None;
    // A year of minutes bounds the walk.
    for next in schedule.cron().iter_from(start, croner::Direction::Forward).take(530_000) {
        if next > end {
            break;
        }
        if let Some(before) = previous {
            let gap = next - before;
            if longest.as_ref().is_none_or(|(g, _)| gap > *g) {
                longest = Some((gap, before.format("%Y-%m-%d %H:%M %Z").to_string()));
            }
        }
        previous = Some(next);
    }
    GAPS.lock().expect("not poisoned").get_or_insert_with(HashMap::new).insert(key, longest.clone());
    longest
}

/// `1d 2h`-style text for a span.
pub fn human(span: Span) -> String {
    let minutes = span.num_minutes();
    let (days, hours, minutes) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if minutes > 0 || parts.is_empty() {
        parts.push(format!("{minutes}m"));
    }
    parts.join(" ")
}

/// A JSON pointer segment, escaped.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_first_words_of_simple_commands() {
        let found = commands(
            "set -eu # not: a command\nstamp=$(date -u +%s)\nif ! pg_restore --list x > /dev/null; then\n  echo \"no; not $(wc -c < \"$f\") bytes\" >&2\nfi\nls -1 | grep -E 'a|b' | tail -n +$((KEEP + 1))\n",
        );
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["date", "echo", "grep", "ls", "pg_restore", "set", "tail", "wc"]);
    }

    #[test]
    fn functions_here_documents_and_expansions_are_not_commands() {
        let found = commands("fail() {\n  echo \"$1\" >&2\n}\nop=${x%% *}\ncat <<END\nnot a command\nEND\nfail x\n");
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["cat", "echo"]);
    }

    #[test]
    fn image_parts_split_the_tag_and_keep_registry_ports() {
        assert_eq!(image_parts("postgres:16.6"), ("postgres", "16.6"));
        assert_eq!(image_parts("registry:5000/postgres"), ("registry:5000/postgres", ""));
        assert_eq!(image_parts("postgres@sha256:abc"), ("postgres", "sha256:abc"));
    }
}
