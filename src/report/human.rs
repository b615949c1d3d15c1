//! `--format human`: grouped by what was checked, then by document, with
//! colour on a terminal.

use std::fmt::Write;

use super::{location, summary, Output};
use crate::findings::{Checked, Finding, Report};
use crate::snapshot::Change;
use crate::spec::lint::Severity;

pub struct Human;

impl Output for Human {
    fn write(&self, report: &Report, colour: bool) -> String {
        let paint = |code: &str, text: &str| if colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() };
        let mut out = String::new();
        for outcome in &report.outcomes {
            let name = outcome.checked.name();
            match outcome.golden {
                Some(Change::Created) => writeln!(out, "{} golden of {name}", paint("32", "created")).unwrap(),
                Some(Change::Updated) => writeln!(out, "{} golden of {name}", paint("33", "updated")).unwrap(),
                _ => {}
            }
            if outcome.findings.is_empty() {
                continue;
            }
            let flags = outcome.checked.describe();
            let flags = if flags.is_empty() { String::new() } else { format!("  {}", paint("2", &flags)) };
            writeln!(out, "{} {}{flags}", paint("1;31", "✗"), paint("1", &name)).unwrap();
            let mut groups: Vec<(Option<&String>, Vec<&Finding>)> = Vec::new();
            for finding in &outcome.findings {
                match groups.iter_mut().find(|(d, _)| *d == finding.document.as_ref()) {
                    Some((_, list)) => list.push(finding),
                    None => groups.push((finding.document.as_ref(), vec![finding])),
                }
            }
            // A runbook's and a flag's findings are about the file or the flag, not about documents.
            let runbook = matches!(outcome.checked, Checked::Runbook(_) | Checked::Flag(_));
            for (document, findings) in groups {
                if !runbook {
                    writeln!(out, "  {}", document.map_or("(combination)", String::as_str)).unwrap();
                }
                for finding in findings {
                    let pointer = finding.pointer.as_deref().filter(|p| !p.is_empty()).map(|p| format!("{p}: ")).unwrap_or_default();
                    let tag = paint(if finding.severity == Severity::Error { "31" } else { "33" }, &format!("{}[{}]", finding.severity.as_str(), finding.code));
                    writeln!(out, "    {tag} {pointer}{}", finding.message).unwrap();
                    if let Some(at) = location(finding) {
                        writeln!(out, "      {} {at}", paint("34", "-->")).unwrap();
                    }
                    for line in finding.detail.iter().flat_map(|d| d.lines()) {
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
        for path in &report.deleted {
            writeln!(out, "{} stale golden {}", paint("33", "deleted"), path.display()).unwrap();
        }
        let summary = summary(report);
        writeln!(out, "{}", if report.findings() == 0 { paint("32", &summary) } else { paint("1;31", &summary) }).unwrap();
        out
    }
}
