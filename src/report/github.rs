//! `--format github`: GitHub Actions workflow commands, one annotation per
//! finding, located in its file and line.

use std::fmt::Write;

use super::{one_line, summary, Output};
use crate::findings::Report;
use crate::spec::lint::Severity;

pub struct Github;

/// GitHub's workflow-command escaping: data escapes `%`, CR and LF; properties also `:` and `,`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Output for Github {
    fn write(&self, report: &Report, _colour: bool) -> String {
        let mut out = String::new();
        for outcome in &report.outcomes {
            let name = outcome.checked.name();
            for finding in &outcome.findings {
                let mut properties = Vec::new();
                if let Some(file) = &finding.file {
                    properties.push(format!("file={}", escape_property(file)));
                }
                if let Some(line) = finding.line {
                    properties.push(format!("line={line}"));
                }
                properties.push(format!("title={}", escape_property(&format!("chartgen {} ({name})", finding.code))));
                let command = match finding.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "notice",
                };
                writeln!(out, "::{command} {}::{}", properties.join(","), escape_data(&one_line(finding))).unwrap();
            }
        }
        writeln!(out, "{}", summary(report)).unwrap();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_would_end_them() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
    }
}
