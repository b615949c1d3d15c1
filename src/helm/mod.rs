//! Render → Helm chart: the minijinja templates compiled into Go templates.
//!
//! A template is rendered in helm mode once per assignment of the flags it
//! reads. The assignments are found as a decision tree: a rendering that
//! reads a flag the assignment leaves open branches on that flag, one arm
//! per value, so a template that never looks at `backup.sink` once
//! `backup.enabled` is false is rendered once for that case. The variants
//! are then merged pairwise, innermost flag first, by YAML structure: a
//! list item or a key with the more-indented lines under it is one unit,
//! units both sides share are written once and differing runs of units sit
//! whole in `{{- if }}`/`{{- else }}`/`{{- end }}`, so a conditional never
//! holds part of an item or crosses an indentation boundary. A unit whose
//! head both sides share may be written once with the merge going on in
//! its children. An already conditional block (from an inner flag, or a
//! helper's `{{- with }}`) is one unit, so blocks stay balanced. Arms that
//! differ only in the flag's own value print it; a lone `if` on another
//! flag folds into `and`/`or`. Macros the templates include with
//! `partial(...)` become defines in `_helpers.tpl`, compiled the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;
use similar::{capture_diff_slices, Algorithm, DiffTag};

use crate::diagnostic::{BadInput, Diagnostic};
use crate::render::{define_name, newest_run_define};
use crate::render::explore::{explore, Variants};
use crate::render::templates::{Templates, SCRIPTS};
use crate::yaml;
use crate::schema::{values_schema, values_yaml};
use crate::spec::Spec;
use crate::values::flags::{Assignment, Flag, FlagValue};

/// The files of a generated chart, by path inside the chart directory.
#[derive(Debug, Clone)]
pub struct Chart {
    pub name: String,
    pub files: BTreeMap<String, String>,
    /// How each compiled template compares with its variants.
    pub report: Vec<TemplateReport>,
}

/// One compiled template against the variants it was merged from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateReport {
    /// Path inside the chart: `templates/backup-cronjob.yaml`, or a define.
    pub file: String,
    /// Lines of the compiled Go template.
    pub lines: usize,
    /// Lines of the longest single variant.
    pub longest_variant: usize,
    /// Number of variants merged.
    pub variants: usize,
}

/// Annotation that marks a chart directory as chartgen's, so `generate` may replace it.
pub const GENERATED_ANNOTATION: &str = "chartgen/generated";

/// A condition on one flag value, as Helm tests it and its negation.
struct Condition {
    holds: String,
    fails: String,
}

fn condition(root: &str, flag: &Flag, value: &FlagValue) -> Condition {
    let path = format!("{root}.Values.{}", flag.path);
    match value {
        FlagValue::Bool(true) => Condition { fails: format!("not {path}"), holds: path },
        FlagValue::Bool(false) => Condition { holds: format!("not {path}"), fails: path },
        FlagValue::Choice(text) => {
            let literal = serde_json::to_string(&**text).expect("a string serializes");
            Condition { holds: format!("eq {path} {literal}"), fails: format!("ne {path} {literal}") }
        }
    }
}

/// One Go template from the variants, with conditions rooted at `root` (`$` or `$root`).
fn merge(variants: &Variants, root: &str) -> String {
    match variants {
        Variants::Text(text) => normalize(text),
        Variants::Branch { flag, arms } => {
            let texts: Vec<String> = arms.iter().map(|arm| merge(arm, root)).collect();
            if let Some(text) = printed_flag(root, flag, &texts) {
                return text;
            }
            // `true` reads better as the first arm of a bool; enums keep their order.
            let mut order: Vec<usize> = (0..texts.len()).collect();
            if flag.domain.first() == Some(&FlagValue::Bool(false)) {
                order.reverse();
            }
            // Of three values or more, the shortest arm (often one that renders nothing) is
            // tested first, so that the longer arms, which share the most, merge with each
            // other rather than with a nested `if`.
            if texts.len() > 2 {
                order.sort_by_key(|&i| texts[i].len());
            }
            let last = *order.last().expect("a flag has values");
            order[..order.len() - 1].iter().rev().fold(texts[last].clone(), |rest, &i| {
                merge_two(&condition(root, flag, &flag.domain[i]), &texts[i], &rest)
            })
        }
    }
}

/// The arms as one text when they differ only in one scalar that is the
/// flag's own value in each (`"true"` where the flag is true, `"false"`
/// where it is false): Helm prints the value instead of choosing a branch.
fn printed_flag(root: &str, flag: &Flag, arms: &[String]) -> Option<String> {
    const HOLE: &str = "\u{0}";
    let path = format!("{root}.Values.{}", flag.path);
    let is_bool = matches!(flag.domain.first(), Some(FlagValue::Bool(_)));
    // A quoted value prints through `toJson`, which quotes a string but not a bool.
    let quoted = |value: &FlagValue| serde_json::to_string(&value.to_string()).expect("a string serializes");
    let as_string = if is_bool { "toString | toJson" } else { "toJson" };
    let printed = |written: &dyn Fn(&FlagValue) -> String, expression: String| -> Option<String> {
        let mut holed = flag.domain.iter().zip(arms).map(|(value, arm)| {
            let token = written(value);
            let at = only_occurrence(arm, &token)?;
            Some(format!("{}{HOLE}{}", &arm[..at], &arm[at + token.len()..]))
        });
        let first = holed.next()??;
        holed.all(|other| other.as_ref() == Some(&first)).then(|| first.replace(HOLE, &expression))
    };
    printed(&quoted, format!("{{{{ {path} | {as_string} }}}}"))
        .or_else(|| is_bool.then(|| printed(&|value| value.to_string(), format!("{{{{ {path} | toJson }}}}"))).flatten())
}

/// Where `token` stands in `text` as a whole word, when it does exactly once.
fn only_occurrence(text: &str, token: &str) -> Option<usize> {
    let continues_a_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut found = text.match_indices(token).map(|(at, _)| at).filter(|&at| {
        !continues_a_word(text[..at].chars().next_back()) && !continues_a_word(text[at + token.len()..].chars().next())
    });
    let at = found.next()?;
    found.next().is_none().then_some(at)
}

/// Trailing blanks removed, so variants differ only where their content does.
fn normalize(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut text = lines.join("\n");
    text.truncate(text.trim_end().len());
    text
}

fn merge_two(condition: &Condition, when: &str, otherwise: &str) -> String {
    if when == otherwise {
        return when.to_string();
    }
    // A one-line piece (a name inside a define) stays on its line.
    if !when.is_empty() && !otherwise.is_empty() && !when.contains('\n') && !otherwise.contains('\n') {
        return format!("{{{{ if {} }}}}{when}{{{{ else }}}}{otherwise}{{{{ end }}}}", condition.holds);
    }
    let mut out = Vec::new();
    merge_units(condition, &units(&lines(when)), &units(&lines(otherwise)), &mut out);
    out.join("\n")
}

fn lines(text: &str) -> Vec<String> {
    if text.is_empty() { Vec::new() } else { text.split('\n').map(str::to_string).collect() }
}

/// What the merge keeps whole: a line with the more-indented lines under it
/// (a list item, or a key with its children) and the comments just above
/// it; or a block a control action opens, up to its `end`.
#[derive(Debug, Clone, PartialEq)]
struct Unit {
    /// The comments and the line that name the unit among its siblings.
    head: Vec<String>,
    /// The lines under the head.
    children: Vec<String>,
}

impl Unit {
    fn lines(&self) -> impl Iterator<Item = &String> {
        self.head.iter().chain(&self.children)
    }

    fn text(&self) -> String {
        self.lines().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// How far a line moves into (positive) or out of control blocks.
fn depth_change(line: &str) -> isize {
    static OPEN: OnceLock<Regex> = OnceLock::new();
    static CLOSE: OnceLock<Regex> = OnceLock::new();
    let open = OPEN.get_or_init(|| Regex::new(r"\{\{-?\s*(if|with|range|define|block)\b").expect("a valid pattern"));
    let close = CLOSE.get_or_init(|| Regex::new(r"\{\{-?\s*end\b").expect("a valid pattern"));
    open.find_iter(line).count() as isize - close.find_iter(line).count() as isize
}

/// The lines of a control action's block, from `lines[start]`: one line,
/// unless the line opens a block that a later line ends, or an action (a
/// long `print`) that a later line closes: nothing may be put inside one.
fn piece_end(lines: &[String], start: usize) -> usize {
    let mut depth = 0isize;
    let mut open_actions = 0isize;
    for (i, line) in lines.iter().enumerate().skip(start) {
        depth += depth_change(line);
        open_actions += line.matches("{{").count() as isize - line.matches("}}").count() as isize;
        if depth <= 0 && open_actions <= 0 {
            return i + 1;
        }
    }
    lines.len()
}

/// The indentation of a piece's content: control lines (`{{- if }}`, which
/// helpers may write at column 0) do not count. `None` for blank pieces.
fn indentation(piece: &[String]) -> Option<usize> {
    static CONTROL: OnceLock<Regex> = OnceLock::new();
    let control = CONTROL.get_or_init(|| Regex::new(r"^\s*\{\{-?\s*(if|else|end|with|range)\b[^}]*\}\}\s*$").expect("a valid pattern"));
    let content = |line: &&String| !line.trim().is_empty() && !control.is_match(line);
    let indent = |line: &String| line.len() - line.trim_start().len();
    piece.iter().filter(content).map(indent).min().or_else(|| piece.iter().filter(|l| !l.trim().is_empty()).map(indent).min())
}

/// The lines as units of the shallowest indentation among them.
fn units(lines: &[String]) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut comments = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        let end = piece_end(lines, start);
        let piece = &lines[start..end];
        if end == start + 1 && lines[start].trim_start().starts_with('#') {
            comments.push(lines[start].clone());
            start = end;
            continue;
        }
        let indent = indentation(piece);
        // Under the head: more-indented pieces, and blank lines between them.
        let mut under = end;
        let mut next = end;
        while next < lines.len() {
            let next_end = piece_end(lines, next);
            match indentation(&lines[next..next_end]) {
                None => {}
                Some(deeper) if indent.is_some_and(|indent| deeper > indent) => under = next_end,
                Some(_) => break,
            }
            next = next_end;
        }
        let mut head = std::mem::take(&mut comments);
        head.extend_from_slice(piece);
        units.push(Unit { head, children: lines[end..under].to_vec() });
        start = under;
    }
    if !comments.is_empty() {
        units.push(Unit { head: comments, children: Vec::new() });
    }
    units
}

/// Writes the merge of two lists of sibling units: shared units once,
/// differing runs as conditionals, and units whose head both sides share
/// merged further in their children.
fn merge_units(condition: &Condition, when: &[Unit], otherwise: &[Unit], out: &mut Vec<String>) {
    let a: Vec<String> = when.iter().map(Unit::text).collect();
    let b: Vec<String> = otherwise.iter().map(Unit::text).collect();
    for segment in segments(&a, &b) {
        match segment {
            Segment::Same(range) => out.extend(when[range].iter().flat_map(Unit::lines).cloned()),
            Segment::Differ(old, new) => merge_differing(condition, &when[old], &otherwise[new], out),
        }
    }
}

/// Units that differ, as conditionals. Pairs that share their head may
/// instead be written once down to their children, which merge in turn:
/// that is chosen when it is no longer, since one `if`/`else` around a run
/// of settings reads better than one in each.
fn merge_differing(condition: &Condition, when: &[Unit], otherwise: &[Unit], out: &mut Vec<String>) {
    let mut whole = Vec::new();
    write_hunk(condition, &(when.iter().collect(), otherwise.iter().collect()), &mut whole);
    let mut within = Vec::new();
    merge_within_shared_heads(condition, when, otherwise, &mut within);
    out.extend(if within.len() <= whole.len() { within } else { whole });
}

fn merge_within_shared_heads(condition: &Condition, when: &[Unit], otherwise: &[Unit], out: &mut Vec<String>) {
    let key = |unit: &Unit| if unit.children.is_empty() { unit.text() } else { unit.head.join("\n") };
    let a: Vec<String> = when.iter().map(key).collect();
    let b: Vec<String> = otherwise.iter().map(key).collect();
    let mut hunk: (Vec<&Unit>, Vec<&Unit>) = (Vec::new(), Vec::new());
    for op in capture_diff_slices(Algorithm::Patience, &a, &b) {
        let (tag, old, new) = op.as_tag_tuple();
        if tag != DiffTag::Equal {
            hunk.0.extend(&when[old]);
            hunk.1.extend(&otherwise[new]);
            continue;
        }
        for (x, y) in when[old].iter().zip(&otherwise[new]) {
            if x.children.is_empty() || y.children.is_empty() || x == y {
                hunk.0.push(x);
                hunk.1.push(y);
                continue;
            }
            write_hunk(condition, &std::mem::take(&mut hunk), out);
            out.extend(x.head.iter().cloned());
            merge_units(condition, &units(&x.children), &units(&y.children), out);
        }
    }
    write_hunk(condition, &hunk, out);
}

enum Segment {
    Same(std::ops::Range<usize>),
    Differ(std::ops::Range<usize>, std::ops::Range<usize>),
}

/// The diff of two unit lists as runs of shared and differing units. One
/// shared unit between two differences joins them, as a person would write
/// one `if`/`else` around a list of settings rather than one per setting.
fn segments(a: &[String], b: &[String]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    for op in capture_diff_slices(Algorithm::Patience, a, b) {
        let (tag, old, new) = op.as_tag_tuple();
        match (tag, segments.last_mut()) {
            (DiffTag::Equal, _) => segments.push(Segment::Same(old)),
            (_, Some(Segment::Differ(o, n))) => {
                *o = o.start..old.end;
                *n = n.start..new.end;
            }
            _ => segments.push(Segment::Differ(old, new)),
        }
    }
    let mut joined: Vec<Segment> = Vec::new();
    for segment in segments {
        let lone_shared_unit = matches!(joined.last(), Some(Segment::Same(r)) if r.len() == 1)
            && matches!(joined.iter().rev().nth(1), Some(Segment::Differ(..)));
        match segment {
            Segment::Differ(old, new) if lone_shared_unit => {
                joined.pop();
                let Some(Segment::Differ(o, n)) = joined.last_mut() else { unreachable!("checked above") };
                *o = o.start..old.end;
                *n = n.start..new.end;
            }
            other => joined.push(other),
        }
    }
    joined
}

/// The units of each side, under a test of the condition.
fn write_hunk(condition: &Condition, (when, otherwise): &(Vec<&Unit>, Vec<&Unit>), out: &mut Vec<String>) {
    let when: Vec<String> = when.iter().flat_map(|unit| unit.lines()).cloned().collect();
    let otherwise: Vec<String> = otherwise.iter().flat_map(|unit| unit.lines()).cloned().collect();
    if when == otherwise {
        out.extend(when);
        return;
    }
    // The test sits at the indentation of the shallowest line it guards.
    let pad = " ".repeat(when.iter().chain(&otherwise).filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0));
    if let Some((test, body)) = folded(condition, &when, &otherwise) {
        out.push(format!("{pad}{{{{- if {test} }}}}"));
        out.extend(body.iter().cloned());
    } else if otherwise.is_empty() {
        out.push(format!("{pad}{{{{- if {} }}}}", condition.holds));
        out.extend(when);
    } else if when.is_empty() {
        out.push(format!("{pad}{{{{- if {} }}}}", condition.fails));
        out.extend(otherwise);
    } else if let Some((test, body)) = folded_merge(condition, &when, &otherwise) {
        out.push(format!("{pad}{{{{- if {test} }}}}"));
        out.extend(body);
    } else if let Some((test, then, or_else)) = folded_else(condition, &when, &otherwise) {
        out.push(format!("{pad}{{{{- if {test} }}}}"));
        out.extend(then.iter().cloned());
        out.push(format!("{pad}{{{{- else }}}}"));
        out.extend(or_else.iter().cloned());
    } else {
        out.push(format!("{pad}{{{{- if {} }}}}", condition.holds));
        out.extend(when);
        out.push(format!("{pad}{{{{- else }}}}"));
        out.extend(otherwise);
    }
    out.push(format!("{pad}{{{{- end }}}}"));
}

/// One test for a conditional whose one side is a lone `if` on another flag:
/// `and` when the other side is empty, `or` when it is that `if`'s body.
fn folded<'a>(condition: &Condition, when: &'a [String], otherwise: &'a [String]) -> Option<(String, &'a [String])> {
    // The test of the side the `if` is on, and of the other side.
    let ((test, body), own, opposite, other) = match (lone_if(when), lone_if(otherwise)) {
        (Some(inner), _) => (inner, &condition.holds, &condition.fails, otherwise),
        (None, Some(inner)) => (inner, &condition.fails, &condition.holds, when),
        (None, None) => return None,
    };
    // Empty: the body shows where both hold. The body again: where either does.
    let (operator, outer) = if other.is_empty() {
        ("and", own)
    } else if other == body {
        ("or", opposite)
    } else {
        return None;
    };
    let operand = |test: &str| if test.contains(' ') { format!("({test})") } else { test.to_string() };
    // `and a (and b c)` reads as `and a b c`.
    let rest = test.strip_prefix(&format!("{operator} ")).map_or_else(|| operand(test), str::to_string);
    Some((format!("{operator} {} {rest}", operand(outer)), body))
}

/// One test for a conditional whose one side is a lone `if` on another flag
/// and whose other side is like that `if`'s body: `or` of the two tests, and
/// the body merged with the other side, when that shares lines.
fn folded_merge(condition: &Condition, when: &[String], otherwise: &[String]) -> Option<(String, Vec<String>)> {
    let (test, merged, opposite) = match (lone_if(when), lone_if(otherwise)) {
        (Some((test, body)), _) => (test, merge_two(condition, &body.join("\n"), &otherwise.join("\n")), &condition.fails),
        (None, Some((test, body))) => (test, merge_two(condition, &when.join("\n"), &body.join("\n")), &condition.holds),
        (None, None) => return None,
    };
    let merged = lines(&merged);
    // Worth it only when the two bodies share lines.
    if merged.len() + 2 >= when.len() + otherwise.len() {
        return None;
    }
    let operand = |test: &str| if test.contains(' ') { format!("({test})") } else { test.to_string() };
    Some((format!("or {} {}", operand(opposite), operand(test)), merged))
}

/// One `if`/`else` for a conditional whose one side is an `if`/`else` on
/// another flag and whose other side is one of that `if`'s branches.
fn folded_else<'a>(condition: &Condition, when: &'a [String], otherwise: &'a [String]) -> Option<(String, &'a [String], &'a [String])> {
    let operand = |test: &str| if test.contains(' ') { format!("({test})") } else { test.to_string() };
    let (own, opposite, (test, then, or_else), other) = match (if_else(when), if_else(otherwise)) {
        (Some(inner), _) => (&condition.holds, &condition.fails, inner, otherwise),
        (None, Some(inner)) => (&condition.fails, &condition.holds, inner, when),
        (None, None) => return None,
    };
    if other == or_else {
        Some((format!("and {} {}", operand(own), operand(test)), then, or_else))
    } else if other == then {
        Some((format!("or {} {}", operand(opposite), operand(test)), then, or_else))
    } else {
        None
    }
}

/// The test and branches of lines that are one `{{- if }}` block with one `else`.
fn if_else(lines: &[String]) -> Option<(&str, &[String], &[String])> {
    let [first, body @ .., last] = lines else { return None };
    let test = first.trim().strip_prefix("{{- if ")?.strip_suffix(" }}")?;
    if last.trim() != "{{- end }}" || piece_end(lines, 0) != lines.len() {
        return None;
    }
    let mut depth = 0isize;
    let mut split = None;
    for (i, line) in body.iter().enumerate() {
        if depth == 0 && line.trim_start().starts_with("{{- else") {
            if split.is_some() || line.trim() != "{{- else }}" {
                return None;
            }
            split = Some(i);
        }
        depth += depth_change(line);
    }
    let split = split?;
    Some((test, &body[..split], &body[split + 1..]))
}

/// The test and body of lines that are one `{{- if }}` block without an `else`.
fn lone_if(lines: &[String]) -> Option<(&str, &[String])> {
    let [first, body @ .., last] = lines else { return None };
    let test = first.trim().strip_prefix("{{- if ")?.strip_suffix(" }}")?;
    if last.trim() != "{{- end }}" || piece_end(lines, 0) != lines.len() {
        return None;
    }
    // An `else` of this `if` sits outside every block of its body.
    let mut depth = 0isize;
    for line in body {
        if depth == 0 && line.trim_start().starts_with("{{- else") {
            return None;
        }
        depth += depth_change(line);
    }
    Some((test, body))
}

/// The first run of four lines that appears twice in `text`, if any.
pub fn repeated_run(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut seen = std::collections::HashSet::new();
    for window in lines.windows(4) {
        if window.iter().all(|l| l.trim().is_empty()) {
            continue;
        }
        if !seen.insert(window) {
            return Some(window.join("\n"));
        }
    }
    None
}

fn report(file: &str, text: &str, variants: &Variants) -> TemplateReport {
    let texts = variants.texts();
    TemplateReport {
        file: file.to_string(),
        lines: text.lines().count(),
        longest_variant: texts.iter().map(|t| normalize(t).lines().count()).max().unwrap_or(0),
        variants: texts.len(),
    }
}

/// Compiles the templates and writes every file of the chart, in memory.
pub fn compile(templates: &Templates, spec: &Spec) -> Result<Chart, BadInput> {
    let chart = &spec.chart.name;
    let mut files = BTreeMap::new();
    let mut reports = Vec::new();
    let mut partials = BTreeMap::new();
    let spec_read = minijinja::Value::from(minijinja::value::Serde(spec));
    for name in templates.template_names().iter().chain(std::iter::once(&NOTES_TEMPLATE.to_string())) {
        let render = |a: &Assignment| templates.render_helm(name, &spec_read, a);
        let variants = explore(&Assignment::new(), &render, &mut partials)?;
        let file = format!("templates/{}", name.trim_end_matches(".j2"));
        let mut text = merge(&variants, "$");
        text.push('\n');
        reports.push(report(&file, &text, &variants));
        files.insert(file, text);
    }
    // Partials may include partials; compile until none is new.
    let mut defines = BTreeMap::new();
    let mut pending: Vec<(String, usize)> = partials.into_iter().collect();
    while let Some((macro_name, arity)) = pending.pop() {
        if defines.contains_key(&macro_name) {
            continue;
        }
        let mut inner = BTreeMap::new();
        let render = |a: &Assignment| templates.render_helm_partial(&macro_name, arity, &spec_read, a);
        let variants = explore(&Assignment::new(), &render, &mut inner)?;
        let body = merge(&variants, "$root");
        reports.push(report(&format!("define {chart}.{}", define_name(&macro_name)), &body, &variants));
        defines.insert(macro_name, (arity, body));
        pending.extend(inner);
    }
    files.insert("templates/_helpers.tpl".to_string(), helpers_tpl(spec, &defines));
    // The templates read the scripts with `.Files.Get`.
    for (name, _, text) in SCRIPTS {
        files.insert(format!("files/{name}"), text.to_string());
    }
    files.insert("Chart.yaml".to_string(), chart_yaml(spec));
    files.insert("values.yaml".to_string(), values_yaml(spec));
    let mut schema = serde_json::to_string_pretty(&values_schema(spec)).expect("a schema serializes");
    schema.push('\n');
    files.insert("values.schema.json".to_string(), schema);
    files.insert("README.md".to_string(), readme(spec));
    files.insert(".helmignore".to_string(), HELMIGNORE.to_string());
    for (file, text) in &files {
        if file.starts_with("templates/")
            && let Some(line) = relative_values_read(text)
        {
            return Err(Diagnostic::plain(format!("{file}:{line}: a value is read relative to `.`, which a partial changes")).into());
        }
    }
    Ok(Chart { name: chart.clone(), files, report: reports })
}

/// The line of the first action in a Go template that reads `.Values`
/// relative to `.`, which a partial rebinds. Text outside actions, comments
/// and string literals are printed or ignored by Go, never evaluated: spec
/// text holding `{{` is printed as a string literal, so it cannot trip this.
fn relative_values_read(template: &str) -> Option<usize> {
    let mut searched = 0;
    while let Some(found) = template[searched..].find("{{") {
        let start = searched + found;
        let (code, end) = action_code(&template[start + 2..]);
        if reads_values_relative_to_dot(&code) {
            return Some(template[..start].matches('\n').count() + 1);
        }
        searched = start + 2 + end;
    }
    None
}

/// The code of the action that `rest` (the text after its `{{`) opens, with
/// comments and string, raw string and character literals left out, and the
/// length of the action up to and including its `}}`.
fn action_code(rest: &str) -> (String, usize) {
    let opening = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    if opening.starts_with("/*") {
        let comment = rest.len() - opening.len() + 2;
        let end = rest[comment..].find("*/").and_then(|close| rest[comment + close..].find("}}").map(|to| comment + close + to + 2));
        return (String::new(), end.unwrap_or(rest.len()));
    }
    let mut code = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '}' if rest[i..].starts_with("}}") => return (code, i + 2),
            '"' | '\'' => {
                // An escaped quote does not close the literal.
                let mut escaped = false;
                for (_, inner) in chars.by_ref() {
                    if inner == c && !escaped {
                        break;
                    }
                    escaped = inner == '\\' && !escaped;
                }
                code.push(' ');
            }
            '`' => {
                chars.by_ref().find(|&(_, inner)| inner == '`');
                code.push(' ');
            }
            _ => code.push(c),
        }
    }
    (code, rest.len())
}

/// Whether action code reads `.Values` from `.` (`.Values.x`, `(.Values)`)
/// rather than from a variable or a field (`$.Values`, `$root.Values`).
fn reads_values_relative_to_dot(code: &str) -> bool {
    code.match_indices(".Values").any(|(at, field)| {
        let before = code[..at].chars().next_back();
        let after = code[at + field.len()..].chars().next();
        let continues_a_name = |c: char| c.is_alphanumeric() || c == '_';
        !before.is_some_and(|c| continues_a_name(c) || c == '$' || c == ')')
            && !after.is_some_and(continues_a_name)
    })
}

/// The chart's README: what it deploys, how to install it, and the values table from the model.
fn readme(spec: &Spec) -> String {
    let chart = &spec.chart.name;
    let mut out = format!(
        "# {chart}\n\n{}\n\nGenerated by chartgen from its chart spec: edit the spec or the templates and run\n\
         `chartgen generate`, never these files.\n\n## Install\n\n```sh\n\
         helm install {chart} ./{chart} --namespace {chart} --create-namespace \\\n  --set backup.enabled=true\n```\n\n\
         Values are checked against `values.schema.json` on install. Fields marked *flag* switch\n\
         parts of the chart on or off; chartgen checks every combination of them.\n\n## Values\n\n\
         | Key | Type | Default | Description |\n| --- | --- | --- | --- |\n",
        spec.chart.description
    );
    let defaults = serde_json::to_value(crate::values::Values::defaults(spec)).expect("the defaults serialize");
    values_rows(&values_schema(spec), &defaults, "", &mut out);
    out.push_str(&readme_sections(spec));
    out
}

include!(concat!(env!("OUT_DIR"), "/readme_sections.rs"));

/// The README's sections each component writes about itself
/// (`src/components/**/readme.md.j2`), filled from the spec.
fn readme_sections(spec: &Spec) -> String {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_syntax(minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).build().expect("the default delimiters are valid"));
    let schedule_gap = crate::scalars::longest_gap(&spec.backup.schedule.to_string(), chrono_tz::UTC)
        .map_or("cannot be computed".to_string(), |(gap, _)| format!("at most {}", crate::scalars::human(gap)));
    let defaults = crate::values::Values::defaults(spec);
    let tiers: Vec<minijinja::Value> = crate::values::BackupTier::ALL
        .into_iter()
        .map(|tier| match tier.defaults() {
            None => minijinja::context! { name => tier.as_str() },
            Some(settings) => {
                let schedule = settings.schedule.to_string();
                let gap = crate::scalars::longest_gap(&schedule, chrono_tz::UTC).map_or("cannot be computed".to_string(), |(gap, _)| crate::scalars::human(gap));
                minijinja::context! { name => tier.as_str(), schedule, gap, retention => settings.retention_policy.to_string(), max_age => settings.max_age.to_string() }
            }
        })
        .collect();
    let context = minijinja::context! {
        spec => minijinja::Value::from(minijinja::value::Serde(spec)),
        schedule_gap,
        alert_prefix => capitalize(&spec.app.name),
        tiers,
        archive_timeout => defaults.backup.barman.archive_timeout.to_string(),
        pitr_figures => crate::values::RecoveryFigures::measured().sentence(),
        velero => minijinja::context! {
            schedule => defaults.velero.schedule.to_string(),
            gap => crate::scalars::longest_gap(&defaults.velero.schedule.to_string(), chrono_tz::UTC).map_or("cannot be computed".to_string(), |(gap, _)| crate::scalars::human(gap)),
            ttl => defaults.velero.ttl.to_string(),
            max_age => defaults.velero.max_age.to_string(),
        },
    };
    README_SECTIONS
        .iter()
        .map(|(path, text)| {
            let section = env.render_str(text, &context).unwrap_or_else(|e| panic!("{path} renders: {e:#}"));
            format!("\n{}\n", section.trim_end())
        })
        .collect()
}

fn values_rows(schema: &serde_json::Value, defaults: &serde_json::Value, prefix: &str, out: &mut String) {
    let Some(properties) = schema["properties"].as_object() else { return };
    for (key, property) in properties {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let default = &defaults[key];
        if property["properties"].is_object() && property.get("x-chartgen-flag").is_none() {
            values_rows(property, default, &path, out);
            continue;
        }
        let kind = match property["enum"].as_array() {
            Some(values) => values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" \\| "),
            None => match &property["type"] {
                serde_json::Value::Array(types) => types.iter().filter_map(|t| t.as_str()).collect::<Vec<_>>().join(" or "),
                other => other.as_str().unwrap_or("object").to_string(),
            },
        };
        let flag = if property.get("x-chartgen-flag").is_some() { " (*flag*)" } else { "" };
        let description = property["description"].as_str().unwrap_or_default().replace('\n', " ").replace('|', "\\|");
        let default = if default.is_null() { String::new() } else { format!("`{}`", default.to_string().replace('|', "\\|")) };
        out.push_str(&format!("| `{path}` | {kind}{flag} | {default} | {description} |\n"));
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or(String::new(), |first| first.to_uppercase().chain(chars).collect())
}

/// The minijinja template of `templates/NOTES.txt`.
pub const NOTES_TEMPLATE: &str = "NOTES.txt.j2";

const HELMIGNORE: &str = "\
# Patterns to ignore when packaging the chart (helm package).
.DS_Store
.git/
.gitignore
*.swp
*.bak
*.tmp
*.orig
*~
.idea/
.vscode/
";

fn chart_yaml(spec: &Spec) -> String {
    let chart = &spec.chart;
    format!(
        "# Generated by chartgen from the chart spec; edit the spec and run `chartgen generate`.\n\
         apiVersion: v2\n\
         name: {}\n\
         description: {}\n\
         type: application\n\
         version: {}\n\
         appVersion: {}\n\
         annotations:\n  {GENERATED_ANNOTATION}: \"true\"\n",
        yaml::string(&chart.name),
        yaml::string(&chart.description),
        yaml::string(&chart.version),
        yaml::quoted(&chart.app_version),
    )
}

/// `_helpers.tpl`: the naming and label defines, then the compiled partials.
fn helpers_tpl(spec: &Spec, defines: &BTreeMap<String, (usize, String)>) -> String {
    let chart = &spec.chart.name;
    let part_of = yaml::quoted(&spec.app.name);
    let mut out = format!(
        r#"{{{{/*
Generated by chartgen. Helpers take `(list $ ...)`: the root context first, so
that `.Values`, `.Release` and `.Chart` stay reachable inside them.
*/}}}}

{{{{/* The release's full name: the release name, with the chart name appended unless
it is already in it, cut to 63 characters (the DNS label limit). */}}}}
{{{{- define "{chart}.fullname" -}}}}
{{{{- if contains .Chart.Name .Release.Name }}}}
{{{{- .Release.Name | trunc 63 | trimSuffix "-" }}}}
{{{{- else }}}}
{{{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/* A component's object name, `(list $ component max)`: the full name cut so that
`-component` always fits in `max` characters. */}}}}
{{{{- define "{chart}.componentName" -}}}}
{{{{- $component := index . 1 }}}}
{{{{- $room := sub (index . 2) (add1 (len $component)) }}}}
{{{{- printf "%s-%s" (include "{chart}.fullname" (index . 0) | trunc (int $room) | trimSuffix "-") $component }}}}
{{{{- end }}}}

{{{{/* Selector labels of a component, `(list $ component)`. */}}}}
{{{{- define "{chart}.selectorLabels" -}}}}
{{{{- $root := index . 0 -}}}}
app.kubernetes.io/component: {{{{ index . 1 | toJson }}}}
app.kubernetes.io/instance: {{{{ $root.Release.Name | toJson }}}}
app.kubernetes.io/name: {{{{ $root.Chart.Name | trunc 63 | trimSuffix "-" | toJson }}}}
{{{{- end }}}}

{{{{/* Labels of a component, `(list $ component)`: the selector labels and the
recommended app.kubernetes.io labels. */}}}}
{{{{- define "{chart}.labels" -}}}}
{{{{- $root := index . 0 -}}}}
{{{{ include "{chart}.selectorLabels" . }}}}
app.kubernetes.io/managed-by: {{{{ $root.Release.Service | toJson }}}}
app.kubernetes.io/part-of: {part_of}
app.kubernetes.io/version: {{{{ $root.Chart.AppVersion | toJson }}}}
helm.sh/chart: {{{{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | toJson }}}}
{{{{- end }}}}

{{{{/* The TCP port of an S3 endpoint URL: its own, else 80 for http and 443
for https (and for AWS, when the URL is empty). */}}}}
{{{{- define "{chart}.endpointPort" -}}}}
{{{{- $url := urlParse . }}}}
{{{{- if regexMatch ":[0-9]+$" $url.host }}}}
{{{{- regexFind "[0-9]+$" $url.host | atoi }}}}
{{{{- else if eq $url.scheme "http" }}}}
{{{{- 80 }}}}
{{{{- else }}}}
{{{{- 443 }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/* The seconds in a Prometheus duration such as `1h30m`: PromQL before Prometheus
2.54 takes durations only in range selectors, so alert thresholds are numbers.
`atoi` reads base 10, as Prometheus does (`int64` would read `010` as octal). */}}}}
{{{{- define "{chart}.seconds" -}}}}
{{{{- $millis := 0 }}}}
{{{{- $unit := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 "w" 604800000 "y" 31536000000 }}}}
{{{{- range regexFindAll "[0-9]+(ms|[smhdwy])" . -1 }}}}
{{{{- $suffix := regexFind "[a-z]+$" . }}}}
{{{{- $millis = add $millis (mul (trimSuffix $suffix . | atoi) (get $unit $suffix)) }}}}
{{{{- end }}}}
{{{{- if mod $millis 1000 }}}}
{{{{- printf "%d.%03d" (div $millis 1000) (mod $millis 1000) }}}}
{{{{- else }}}}
{{{{- div $millis 1000 }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/* When the newest run of a component's CronJob that ended in a condition
(`complete` or `failed`) started, as PromQL, `(list $ component condition)`. The
Jobs are found by owner, so runs started by hand from the CronJob count too. */}}}}
{newest_run}
"#,
        newest_run = newest_run_define(chart),
    );
    for (macro_name, (arity, body)) in defines {
        out.push_str(&format!("\n{{{{/* Compiled from the `{macro_name}` macro of the chartgen templates. */}}}}\n"));
        out.push_str(&format!("{{{{- define \"{chart}.{}\" -}}}}\n", define_name(macro_name)));
        if body.contains("$root") {
            out.push_str("{{- $root := index . 0 -}}\n");
        }
        if *arity > 0 {
            out.push_str("{{- $arg := index . 1 -}}\n");
        }
        out.push_str(body);
        out.push_str("\n{{- end }}\n");
    }
    out
}

/// How the chart on disk differs from the generated one, file by file, as unified diffs.
pub fn stale_files(chart: &Chart, dir: &Path) -> Vec<String> {
    let mut diffs = Vec::new();
    let on_disk = files_under(dir);
    for (file, text) in &chart.files {
        let old = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        if !on_disk.contains(file) || old != *text {
            diffs.push(unified_diff(&old, text, file, on_disk.contains(file)));
        }
    }
    for file in on_disk.iter().filter(|f| !chart.files.contains_key(*f)) {
        let old = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        diffs.push(format!("{file}: not generated; move it out of the chart, which chartgen replaces whole\n{}", unified_diff(&old, "", file, true)));
    }
    diffs
}

fn unified_diff(old: &str, new: &str, file: &str, exists: bool) -> String {
    let from = if exists { format!("a/{file}") } else { "/dev/null".to_string() };
    similar::TextDiff::from_lines(old, new).unified_diff().context_radius(3).header(&from, &format!("b/{file}")).to_string()
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if let Ok(relative) = path.strip_prefix(base) {
                out.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Writes the chart to `dir`, replacing a chart chartgen generated there
/// before, and nothing else. The files go to a staging directory beside it,
/// which then trades places with the old chart in one step where the system
/// can swap directories (Linux): `dir` holds the whole old chart or the whole
/// new one at every instant, even when chartgen is killed. What a killed run
/// leaves beside it, the next run deletes.
pub fn write_chart(chart: &Chart, dir: &Path) -> Result<(), BadInput> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let io = |what: &str, path: &Path, e: std::io::Error| Diagnostic::plain(format!("cannot {what} {}: {e}", path.display()));
    if dir.exists() && !generated_by_chartgen(dir) {
        return Err(Diagnostic::plain(format!("refusing to overwrite {}: chartgen did not generate it", dir.display()))
            .with_help(format!("its Chart.yaml lacks the `{GENERATED_ANNOTATION}` annotation; choose another --out, or remove the directory yourself"))
            .into());
    }
    // A file someone added to the generated chart is never replaced silently.
    let foreign: Vec<String> = files_under(dir).into_iter().filter(|f| !chart.files.contains_key(f)).collect();
    if !foreign.is_empty() {
        return Err(Diagnostic::plain(format!("refusing to replace {}: it holds files chartgen does not generate: {}", dir.display(), foreign.join(", ")))
            .with_help("chartgen owns this directory and replaces it whole: move these files out of it (or delete them, if an earlier chartgen wrote them), then run generate again")
            .into());
    }
    std::fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
    remove_leftovers(parent, &chart.name);
    // Until it is kept, a staging directory is deleted when an error returns early.
    let staging = tempfile::Builder::new()
        .prefix(&format!("{}{}.", scratch_prefix(&chart.name), std::process::id()))
        .tempdir_in(parent)
        .map_err(|e| io("create a directory in", parent, e))?;
    for (file, text) in &chart.files {
        let path = staging.path().join(file);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| io("create", folder, e))?;
        }
        std::fs::write(&path, text).map_err(|e| io("write", &path, e))?;
    }
    if !dir.exists() {
        std::fs::rename(staging.path(), dir).map_err(|e| io("move into place", dir, e))?;
        let _ = staging.keep();
        return Ok(());
    }
    if exchange(staging.path(), dir).map_err(|e| io("replace", dir, e))? {
        // The staging directory now holds the old chart. Should deleting it
        // fail, it is a leftover the next run deletes.
        let _ = staging.close();
        return Ok(());
    }
    let mut aside = staging.path().as_os_str().to_owned();
    aside.push(".old");
    let aside = std::path::PathBuf::from(aside);
    replace_in_two_steps(staging.path(), dir, &aside).map_err(|e| io("replace", dir, e))?;
    let _ = staging.keep();
    let _ = std::fs::remove_dir_all(&aside);
    Ok(())
}

/// Whether the chart in `dir` is one chartgen generated: its Chart.yaml
/// parses and sets the annotation, which a mention in a comment does not.
fn generated_by_chartgen(dir: &Path) -> bool {
    let Ok(bytes) = std::fs::read(dir.join("Chart.yaml")) else { return false };
    let Ok(chart_yaml) = crate::source::load_bytes("Chart.yaml", bytes) else { return false };
    // An annotation's name may hold dots, so it is looked up as one key.
    let annotation = match chart_yaml.get("annotations").map(|a| &a.value) {
        Some(crate::source::Value::Map(annotations)) => annotations.get(GENERATED_ANNOTATION).map(|m| &m.node.value),
        _ => None,
    };
    matches!(annotation, Some(crate::source::Value::Str(value)) if value == "true")
}

/// How every directory `write_chart` makes beside the chart begins: hidden,
/// chartgen's and the chart's, then the id of the process that made it.
fn scratch_prefix(chart: &str) -> String {
    format!(".chartgen-{chart}.")
}

/// Deletes what runs that were killed left beside the chart: staging
/// directories, and old charts not yet deleted. Only chartgen's directories
/// for this chart whose process has ended; a live run's are its own.
fn remove_leftovers(parent: &Path, chart: &str) {
    let prefix = scratch_prefix(chart);
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix(&prefix)).and_then(|rest| rest.split('.').next()).and_then(|pid| pid.parse::<u32>().ok());
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if let Some(pid) = pid
            && is_dir
            && !process_alive(pid)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    use rustix::process::{test_kill_process, Pid};
    // A process of another user answers EPERM: it is alive too. Only a
    // positive id names one process; anything else is never deleted.
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else { return true };
    test_kill_process(pid) != Err(rustix::io::Errno::SRCH)
}

/// Without a way to ask, every run counts as alive and nothing is deleted.
#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Swaps two directories in one step (`renameat2` with `RENAME_EXCHANGE`).
/// `Ok(false)` when the kernel or the file system cannot.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e) if [Errno::INVAL, Errno::NOSYS, Errno::OPNOTSUPP].contains(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// The fallback where directories cannot be swapped: the old chart moves
/// aside, then the new one in. Between the two renames `dir` is missing;
/// a run killed there leaves the old chart `aside`, and the next run
/// deletes it.
fn replace_in_two_steps(staged: &Path, dir: &Path, aside: &Path) -> std::io::Result<()> {
    std::fs::rename(dir, aside)?;
    if let Err(e) = std::fs::rename(staged, dir) {
        let _ = std::fs::rename(aside, dir);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(path: &str) -> Flag {
        Flag::bool(path)
    }

    fn is_true(path: &str) -> Condition {
        condition("$", &flag(path), &FlagValue::Bool(true))
    }

    #[test]
    fn shared_lines_are_written_once_and_differing_hunks_are_conditional() {
        let merged = merge_two(&condition("$", &flag("a"), &FlagValue::Bool(true)), "x: 1\n  y: 2\nz: 3", "x: 1\n  y: 9\nz: 3");
        assert_eq!(merged, "x: 1\n  {{- if $.Values.a }}\n  y: 2\n  {{- else }}\n  y: 9\n  {{- end }}\nz: 3");
    }

    #[test]
    fn one_shared_line_between_two_differences_joins_them() {
        let merged = merge_two(&condition("$", &flag("a"), &FlagValue::Bool(true)), "n: 1\nv: 1\nn: 2\nv: 2", "n: 1\nv: 3\nn: 2\nv: 4");
        assert_eq!(merged, "n: 1\n{{- if $.Values.a }}\nv: 1\nn: 2\nv: 2\n{{- else }}\nv: 3\nn: 2\nv: 4\n{{- end }}");
    }

    #[test]
    fn a_hunk_only_one_side_has_is_guarded_by_the_matching_test() {
        let merged = merge_two(&condition("$", &flag("a"), &FlagValue::Bool(true)), "x: 1", "x: 1\ny: 2");
        assert_eq!(merged, "x: 1\n{{- if not $.Values.a }}\ny: 2\n{{- end }}");
    }

    #[test]
    fn a_conditional_block_is_one_unit() {
        let block = "{{- if $.Values.b }}\nb: 1\n{{- end }}";
        let texts: Vec<String> = units(&lines(&format!("a: 1\n{block}\nc: 1"))).iter().map(Unit::text).collect();
        assert_eq!(texts, ["a: 1", block, "c: 1"]);
    }

    #[test]
    fn a_key_holds_its_children_and_the_comments_above_it() {
        let texts: Vec<String> = units(&lines("a:\n  - x\n\n  - y\n# about b\nb: 1")).iter().map(Unit::text).collect();
        assert_eq!(texts, ["a:\n  - x\n\n  - y", "# about b\nb: 1"]);
    }

    #[test]
    fn a_conditional_wraps_whole_list_items_never_part_of_one() {
        let merged = merge_two(&is_true("a"), "- name: x\n  v: 1\n- name: tmp", "- name: y\n  v: 1\n- name: tmp");
        assert_eq!(merged, "{{- if $.Values.a }}\n- name: x\n  v: 1\n{{- else }}\n- name: y\n  v: 1\n{{- end }}\n- name: tmp");
    }

    #[test]
    fn a_key_both_sides_share_is_written_once_and_its_children_merge() {
        let merged = merge_two(&is_true("a"), "mounts:\n  - name: x\n  - name: tmp\nnext: 1", "mounts:\n  - name: tmp\nnext: 1");
        assert_eq!(merged, "mounts:\n  {{- if $.Values.a }}\n  - name: x\n  {{- end }}\n  - name: tmp\nnext: 1");
    }

    #[test]
    fn a_value_that_is_the_flag_itself_is_printed_from_it() {
        let arms = ["k: \"false\"".to_string(), "k: \"true\"".to_string()];
        assert_eq!(printed_flag("$", &flag("a"), &arms), Some("k: {{ $.Values.a | toString | toJson }}".to_string()));
        let unrelated = ["k: \"false\"".to_string(), "k: \"yes\"".to_string()];
        assert_eq!(printed_flag("$", &flag("a"), &unrelated), None);
    }

    #[test]
    fn nested_ifs_fold_into_and_or_or() {
        let inner = "{{- if $.Values.b }}\nx: 1\n{{- end }}";
        assert_eq!(merge_two(&is_true("a"), inner, ""), "{{- if and $.Values.a $.Values.b }}\nx: 1\n{{- end }}");
        assert_eq!(merge_two(&is_true("a"), "x: 1", inner), "{{- if or $.Values.a $.Values.b }}\nx: 1\n{{- end }}");
    }

    #[test]
    fn one_line_pieces_merge_on_their_line() {
        let merged = merge_two(&condition("$root", &flag("a"), &FlagValue::Bool(true)), "{{ x }}", "{{ y }}");
        assert_eq!(merged, "{{ if $root.Values.a }}{{ x }}{{ else }}{{ y }}{{ end }}");
    }

    #[test]
    fn a_value_read_relative_to_dot_is_found_in_actions_only() {
        assert_eq!(relative_values_read("a: 1\nb: {{ .Values.x }}"), Some(2));
        assert_eq!(relative_values_read("{{- index (.Values) \"x\" }}"), Some(1));
        assert_eq!(relative_values_read("{{ printf \"%s {{\" .Values.x }}"), Some(1));
        for inert in [
            "{{ $.Values.x }} {{ $root.Values.x }}",
            "text naming .Values and {{ .Valuesque }}",
            "{{ \"{{ .Values.x }}\" }}",
            "{{ \"quote \\\" {{ .Values.x }}\" }}",
            "{{ `{{ .Values.x }}` }}",
            "{{/* reads .Values */}} {{- /* .Values */ -}}",
        ] {
            assert_eq!(relative_values_read(inert), None, "{inert}");
        }
    }

    #[test]
    fn without_a_swap_the_old_chart_moves_aside_and_the_new_one_in() {
        let parent = tempfile::tempdir().unwrap();
        let [staged, dir, aside] = ["staged", "chart", "aside"].map(|name| parent.path().join(name));
        for (folder, version) in [(&staged, "new"), (&dir, "old")] {
            std::fs::create_dir(folder).unwrap();
            std::fs::write(folder.join("Chart.yaml"), version).unwrap();
        }
        replace_in_two_steps(&staged, &dir, &aside).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("Chart.yaml")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(aside.join("Chart.yaml")).unwrap(), "old");
        assert!(!staged.exists());
    }

    #[test]
    fn a_repeated_run_of_four_lines_is_found() {
        assert_eq!(repeated_run("a\nb\nc\nd\nx\na\nb\nc\nd"), Some("a\nb\nc\nd".to_string()));
        assert_eq!(repeated_run("a\nb\nc\nx\na\nb\nc\ny"), None);
    }
}
