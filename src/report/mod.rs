//! A check's findings in the formats its readers want: people (`human`,
//! grouped by combination, then by document, with colour), programs
//! (`json`), test dashboards (`junit`), code scanning (`sarif` 2.1.0) and
//! GitHub Actions annotations (`github`) and a page for a CI artifact (`html`).

mod html;

use std::fmt::Write;

use serde_json::{json, Value};

use crate::check::{CheckKind, CheckReport, Finding};
use crate::rules::{registry, Severity, SUPPRESSION_WITHOUT_REASON};
use crate::snapshot::Change;

/// The output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Junit,
    Sarif,
    Github,
    Html,
}

pub fn format(report: &CheckReport, format: Format, colour: bool) -> String {
    match format {
        Format::Human => human(report, colour),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&json_report(report)).expect("a report serializes");
            text.push('\n');
            text
        }
        Format::Junit => junit(report),
        Format::Sarif => {
            let mut text = serde_json::to_string_pretty(&sarif(report)).expect("a report serializes");
            text.push('\n');
            text
        }
        Format::Github => github(report),
        Format::Html => html::html(report),
    }
}

/// The one-line summary: `48 combinations, 312 documents, 0 findings in 48 ms`.
pub fn summary(report: &CheckReport) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if !report.results.is_empty() {
        parts.push(plural(report.results.len(), "combination"));
        parts.push(plural(report.documents(), "document"));
    }
    if !report.runbooks.is_empty() {
        parts.push(plural(report.runbooks.len(), "runbook"));
    }
    parts.push(plural(report.findings(), "finding"));
    format!("{} in {} ms ({})", parts.join(", "), report.elapsed.as_millis(), report.spec)
}

/// A finding as one line: `Kind/name /pointer: message`.
fn one_line(finding: &Finding) -> String {
    format!(
        "{}{}{}",
        finding.document.as_deref().map(|d| format!("{d} ")).unwrap_or_default(),
        finding.pointer.as_deref().filter(|p| !p.is_empty()).map(|p| format!("{p}: ")).unwrap_or_default(),
        finding.message
    )
}

fn location(finding: &Finding) -> Option<String> {
    let file = finding.file.as_ref()?;
    Some(match finding.line {
        Some(line) => format!("{file}:{line}"),
        None => file.clone(),
    })
}

fn human(report: &CheckReport, colour: bool) -> String {
    let paint = |code: &str, text: &str| if colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() };
    let mut out = String::new();
    for result in report.all() {
        match result.golden {
            Some(Change::Created) => writeln!(out, "{} golden of {}", paint("32", "created"), result.combination.id).unwrap(),
            Some(Change::Updated) => writeln!(out, "{} golden of {}", paint("33", "updated"), result.combination.id).unwrap(),
            _ => {}
        }
        if result.findings.is_empty() {
            continue;
        }
        let flags = result.combination.describe();
        let flags = if flags.is_empty() { String::new() } else { format!("  {}", paint("2", &flags)) };
        writeln!(out, "{} {}{flags}", paint("1;31", "✗"), paint("1", &result.combination.id)).unwrap();
        let mut groups: Vec<(Option<&String>, Vec<&Finding>)> = Vec::new();
        for finding in &result.findings {
            match groups.iter_mut().find(|(d, _)| *d == finding.document.as_ref()) {
                Some((_, list)) => list.push(finding),
                None => groups.push((finding.document.as_ref(), vec![finding])),
            }
        }
        // A runbook's findings are about the file, not about one combination's documents.
        let runbook = result.combination.flags.is_empty() && result.combination.scenario.is_none() && report.runbooks.iter().any(|r| std::ptr::eq(r, result));
        for (document, findings) in groups {
            if !runbook {
                writeln!(out, "  {}", document.map_or("(combination)", String::as_str)).unwrap();
            }
            for finding in findings {
                let pointer = finding.pointer.as_deref().filter(|p| !p.is_empty()).map(|p| format!("{p}: ")).unwrap_or_default();
                writeln!(out, "    {} {pointer}{}", paint(if finding.severity == Severity::Error { "31" } else { "33" }, &format!("{}[{}]", finding.severity.as_str(), finding.code)), finding.message).unwrap();
                if let Some(at) = location(finding) {
                    writeln!(out, "      {} {at}", paint("34", "-->")).unwrap();
                }
                if let Some(detail) = &finding.detail {
                    for line in detail.lines() {
                        let line = match line.chars().next() {
                            Some('+') if colour => paint("32", line),
                            Some('-') if colour => paint("31", line),
                            _ => line.to_string(),
                        };
                        writeln!(out, "      {line}").unwrap();
                    }
                }
            }
        }
    }
    for path in &report.deleted {
        writeln!(out, "{} stale golden {}", paint("33", "deleted"), path.display()).unwrap();
    }
    let summary = summary(report);
    writeln!(out, "{}", if report.findings() == 0 { paint("32", &summary) } else { paint("1;31", &summary) }).unwrap();
    out
}

fn finding_json(finding: &Finding) -> Value {
    json!({
        "check": finding.code,
        "severity": finding.severity.as_str(),
        "document": finding.document,
        "pointer": finding.pointer,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
        "detail": finding.detail,
    })
}

fn json_report(report: &CheckReport) -> Value {
    json!({
        "chart": report.chart,
        "spec": report.spec,
        "summary": {
            "combinations": report.results.len(),
            "documents": report.documents(),
            "findings": report.findings(),
            "elapsedMs": report.elapsed.as_millis() as u64,
        },
        "combinations": report.results.iter().map(|r| json!({
            "id": r.combination.id,
            "flags": r.combination.flags,
            "scenario": r.combination.scenario.as_ref().map(ToString::to_string),
            "documents": r.documents.iter().map(|d| json!({"kind": d.kind, "name": d.name, "source": d.source})).collect::<Vec<_>>(),
            "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
            "golden": r.golden.map(|c| match c { Change::Created => "created", Change::Updated => "updated", Change::Unchanged => "unchanged" }),
        })).collect::<Vec<_>>(),
        "runbooks": report.runbooks.iter().map(|r| json!({
            "file": r.combination.id.trim_start_matches("runbook "),
            "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "deletedGoldens": report.deleted.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    })
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn junit(report: &CheckReport) -> String {
    let failures = report.all().filter(|r| !r.findings.is_empty()).count();
    let tests = report.results.len() + report.runbooks.len();
    let seconds = report.elapsed.as_secs_f64();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    writeln!(out, "<testsuites name=\"chartgen check\" tests=\"{tests}\" failures=\"{failures}\" time=\"{seconds:.3}\">").unwrap();
    writeln!(out, "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">", xml(&report.chart)).unwrap();
    for result in report.all() {
        let name = xml(&result.combination.id);
        if result.findings.is_empty() {
            writeln!(out, "    <testcase classname=\"{}\" name=\"{name}\"/>", xml(&report.chart)).unwrap();
            continue;
        }
        writeln!(out, "    <testcase classname=\"{}\" name=\"{name}\">", xml(&report.chart)).unwrap();
        let first = &result.findings[0];
        let body: Vec<String> = result
            .findings
            .iter()
            .map(|f| {
                let at = location(f).map(|l| format!(" ({l})")).unwrap_or_default();
                format!("[{}] {}{at}", f.code, one_line(f))
            })
            .collect();
        writeln!(
            out,
            "      <failure type=\"{}\" message=\"{} finding(s): {}\">{}</failure>",
            first.code,
            result.findings.len(),
            xml(&first.message),
            xml(&body.join("\n"))
        )
        .unwrap();
        writeln!(out, "    </testcase>").unwrap();
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// SARIF's name for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn sarif(report: &CheckReport) -> Value {
    let mut rules: Vec<Value> = CheckKind::ALL
        .iter()
        .map(|k| json!({"id": k.code(), "name": k.code(), "shortDescription": {"text": k.summary()}, "defaultConfiguration": {"level": "error"}}))
        .collect();
    rules.push(json!({"id": SUPPRESSION_WITHOUT_REASON, "name": "suppression-without-reason", "shortDescription": {"text": "A suppression annotation gives no reason."}, "defaultConfiguration": {"level": "error"}}));
    for rule in registry() {
        let doc = rule.doc();
        rules.push(json!({
            "id": doc.code,
            "name": doc.name,
            "shortDescription": {"text": doc.checks.split_whitespace().collect::<Vec<_>>().join(" ")},
            "fullDescription": {"text": doc.why.split_whitespace().collect::<Vec<_>>().join(" ")},
            "help": {"text": format!("chartgen explain {}", doc.code)},
            "defaultConfiguration": {"level": level(doc.severity)},
        }));
    }
    let index = |code: &str| rules.iter().position(|r| r["id"] == code);
    let mut results = Vec::new();
    for result in report.all() {
        for finding in &result.findings {
            let mut entry = json!({
                "ruleId": finding.code,
                "ruleIndex": index(finding.code),
                "level": level(finding.severity),
                "message": {"text": format!("{}: {}", result.combination.id, one_line(finding))},
                "properties": {"combination": result.combination.id, "flags": result.combination.flags},
            });
            if let Some(file) = &finding.file {
                let mut physical = json!({"artifactLocation": {"uri": file}});
                if let Some(line) = finding.line {
                    physical["region"] = json!({"startLine": line});
                }
                entry["locations"] = json!([{"physicalLocation": physical}]);
            }
            results.push(entry);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "chartgen",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// GitHub's workflow-command escaping: data escapes `%`, CR and LF; properties also `:` and `,`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn github(report: &CheckReport) -> String {
    let mut out = String::new();
    for result in report.all() {
        for finding in &result.findings {
            let mut properties = Vec::new();
            if let Some(file) = &finding.file {
                properties.push(format!("file={}", escape_property(file)));
            }
            if let Some(line) = finding.line {
                properties.push(format!("line={line}"));
            }
            properties.push(format!("title={}", escape_property(&format!("chartgen {} ({})", finding.code, result.combination.id))));
            let message = one_line(finding);
            let command = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            writeln!(out, "::{command} {}::{}", properties.join(","), escape_data(&message)).unwrap();
        }
    }
    writeln!(out, "{}", summary(report)).unwrap();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_annotations_escape_what_would_end_them() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(xml("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    }
}
