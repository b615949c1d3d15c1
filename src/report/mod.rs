//! A [`Report`] in the formats its readers want, one file per format
//! behind [`Output`]: people (`human`), programs (`json`), test dashboards
//! (`junit`), code scanning (`sarif`), GitHub Actions annotations
//! (`github`) and a page for a CI artifact (`html`). A new format is a file
//! here and a variant of [`Format`].

mod github;
mod html;
mod human;
mod json;
mod junit;
mod sarif;

use crate::findings::{Finding, Report};

/// The output formats of `check`, `lint` and `docs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people: findings grouped by combination and document, in colour on a terminal.
    #[default]
    Human,
    /// One JSON document.
    Json,
    /// JUnit XML: one testcase per combination and runbook.
    Junit,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// One self-contained page: combinations by checks, findings that open.
    Html,
}

/// Writes a report in one format.
trait Output {
    fn write(&self, report: &Report, colour: bool) -> String;
}

impl Format {
    fn output(self) -> &'static dyn Output {
        match self {
            Format::Human => &human::Human,
            Format::Json => &json::Json,
            Format::Junit => &junit::Junit,
            Format::Sarif => &sarif::Sarif,
            Format::Github => &github::Github,
            Format::Html => &html::Html,
        }
    }

    /// The report in this format; `colour` matters to `human` only.
    pub fn write(self, report: &Report, colour: bool) -> String {
        self.output().write(report, colour)
    }
}

/// The one-line summary: `48 combinations, 312 documents, 0 findings in 48 ms (spec)`.
pub fn summary(report: &Report) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    let renderings = report.renderings().count();
    if renderings > 0 {
        parts.push(plural(renderings, "combination"));
        parts.push(plural(report.documents(), "document"));
    }
    let runbooks = report.runbooks().count();
    if runbooks > 0 {
        parts.push(plural(runbooks, "runbook"));
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

/// `file:line`, or the file alone.
fn location(finding: &Finding) -> Option<String> {
    let file = finding.file.as_ref()?;
    Some(match finding.line {
        Some(line) => format!("{file}:{line}"),
        None => file.clone(),
    })
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(xml("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    }
}
