//! `--format html`: one self-contained page for a CI artifact. Combinations
//! are rows and checks are columns, coloured, so that a pattern (every S3
//! combination failing one check) shows at a glance; every failing
//! combination opens to its findings, their template lines and golden diffs.
//! No script and nothing fetched: a `<details>` element opens a combination.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::{location, one_line, summary, xml, Output};
use crate::codes::Code;
use crate::findings::Report;
use crate::spec::lint::Severity;

pub struct Html;

/// The columns: the checks every combination goes through, then every other
/// check (lint rule, runbook check) that found something.
fn columns(report: &Report) -> Vec<Code> {
    let mut out: Vec<Code> = Code::CHECKS.to_vec();
    let more: BTreeSet<Code> = report.outcomes.iter().flat_map(|o| &o.findings).map(|f| f.code).filter(|code| !out.contains(code)).collect();
    out.extend(more);
    out
}

const STYLE: &str = "
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 6px; }
th.check { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: normal; }
td.pass { background: #d7f0d7; }
td.error { background: #f4b6b6; font-weight: bold; text-align: center; }
td.warning { background: #fbe3a6; text-align: center; }
td.info { background: #d6e6fa; text-align: center; }
tbody th { text-align: left; font-weight: normal; font-family: monospace; }
tr.failing th, tr.failing th a { color: #a00; font-weight: bold; }
details { margin: .5em 0; }
summary { cursor: pointer; font-weight: bold; }
.finding { margin: .3em 0 .3em 1.5em; }
.where { color: #555; font-family: monospace; }
pre { background: #f6f6f6; padding: .5em; overflow-x: auto; }
";

impl Output for Html {
    fn write(&self, report: &Report, _colour: bool) -> String {
        page(report)
    }
}

fn page(report: &Report) -> String {
    let columns = columns(report);
    let mut out = String::new();
    writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">").unwrap();
    writeln!(out, "<title>chartgen check of {}</title>\n<style>{STYLE}</style>\n</head>\n<body>", xml(&report.chart)).unwrap();
    writeln!(out, "<h1>chartgen check of {}</h1>\n<p id=\"summary\">{}</p>", xml(&report.chart), xml(&summary(report))).unwrap();
    writeln!(out, "<table id=\"matrix\">\n<thead><tr><th>combination</th>").unwrap();
    for column in &columns {
        writeln!(out, "<th class=\"check\">{}</th>", xml(column.as_str())).unwrap();
    }
    writeln!(out, "</tr></thead>\n<tbody>").unwrap();
    for result in &report.outcomes {
        let failing = !result.findings.is_empty();
        let id = xml(&result.checked.name());
        let name = if failing { format!("<a href=\"#{id}\">{id}</a>") } else { id.clone() };
        write!(out, "<tr class=\"{}\" data-id=\"{id}\"><th title=\"{}\">{name}</th>", if failing { "failing" } else { "passing" }, xml(&result.checked.describe())).unwrap();
        for column in &columns {
            let found: Vec<_> = result.findings.iter().filter(|f| f.code == *column).collect();
            match found.iter().map(|f| f.severity).min() {
                None => write!(out, "<td class=\"pass\"></td>").unwrap(),
                Some(severity) => write!(out, "<td class=\"{}\" title=\"{}\">{}</td>", severity_class(severity), xml(&found[0].message), found.len()).unwrap(),
            }
        }
        writeln!(out, "</tr>").unwrap();
    }
    writeln!(out, "</tbody>\n</table>").unwrap();
    for result in report.outcomes.iter().filter(|r| !r.findings.is_empty()) {
        let id = xml(&result.checked.name());
        writeln!(out, "<details id=\"{id}\" class=\"combination\">\n<summary>{id} ({} findings)</summary>", result.findings.len()).unwrap();
        for finding in &result.findings {
            write!(out, "<div class=\"finding {}\"><b>{}[{}]</b> {}", severity_class(finding.severity), finding.severity.as_str(), xml(finding.code.as_str()), xml(&one_line(finding))).unwrap();
            if let Some(at) = location(finding) {
                write!(out, " <span class=\"where\">{}</span>", xml(&at)).unwrap();
            }
            if let Some(detail) = &finding.detail {
                write!(out, "<pre>{}</pre>", xml(detail)).unwrap();
            }
            writeln!(out, "</div>").unwrap();
        }
        writeln!(out, "</details>").unwrap();
    }
    writeln!(out, "</body>\n</html>").unwrap();
    out
}

fn severity_class(severity: Severity) -> &'static str {
    severity.as_str()
}
