//! `--format junit`: one testcase per combination (or the linted values)
//! and per runbook, failing with its findings.

use std::fmt::Write;

use super::{location, one_line, xml, Output};
use crate::findings::Report;

pub struct Junit;

impl Output for Junit {
    fn write(&self, report: &Report, _colour: bool) -> String {
        let failures = report.outcomes.iter().filter(|o| !o.findings.is_empty()).count();
        let tests = report.outcomes.len();
        let seconds = report.elapsed.as_secs_f64();
        let chart = xml(&report.chart);
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        writeln!(out, "<testsuites name=\"chartgen check\" tests=\"{tests}\" failures=\"{failures}\" time=\"{seconds:.3}\">").unwrap();
        writeln!(out, "  <testsuite name=\"{chart}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">").unwrap();
        for outcome in &report.outcomes {
            let name = xml(&outcome.checked.name());
            let Some(first) = outcome.findings.first() else {
                writeln!(out, "    <testcase classname=\"{chart}\" name=\"{name}\"/>").unwrap();
                continue;
            };
            writeln!(out, "    <testcase classname=\"{chart}\" name=\"{name}\">").unwrap();
            let body: Vec<String> = outcome
                .findings
                .iter()
                .map(|f| format!("[{}] {}{}", f.code, one_line(f), location(f).map(|l| format!(" ({l})")).unwrap_or_default()))
                .collect();
            writeln!(
                out,
                "      <failure type=\"{}\" message=\"{} finding(s): {}\">{}</failure>",
                first.code,
                outcome.findings.len(),
                xml(&first.message),
                xml(&body.join("\n"))
            )
            .unwrap();
            writeln!(out, "    </testcase>").unwrap();
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}
