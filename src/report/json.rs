//! `--format json`: the whole report as one JSON document.

use serde_json::{json, Value};

use super::Output;
use crate::findings::{Checked, Finding, Outcome, Report};
use crate::snapshot::Change;

pub struct Json;

fn finding(finding: &Finding) -> Value {
    json!({
        "check": finding.code.as_str(),
        "severity": finding.severity.as_str(),
        "document": finding.document,
        "pointer": finding.pointer,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
        "detail": finding.detail,
    })
}

/// A rendering's outcome: its flags, documents, findings and golden.
fn rendering(outcome: &Outcome) -> Value {
    let mut entry = json!({
        "flags": outcome.checked.flags(),
        "documents": outcome.documents.iter().map(|d| json!({"kind": d.kind, "name": d.name, "source": d.source})).collect::<Vec<_>>(),
        "findings": outcome.findings.iter().map(finding).collect::<Vec<_>>(),
    });
    if let Checked::Combination(combination) = &outcome.checked {
        entry["id"] = json!(combination.id);
        entry["scenario"] = json!(combination.scenario.as_ref().map(ToString::to_string));
        entry["golden"] = json!(outcome.golden.map(|c| match c {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Unchanged => "unchanged",
        }));
    }
    entry
}

impl Output for Json {
    fn write(&self, report: &Report, _colour: bool) -> String {
        let by = |pick: fn(&Checked) -> bool| report.outcomes.iter().filter(move |o| pick(&o.checked));
        let mut document = json!({
            "chart": report.chart,
            "spec": report.spec,
            "summary": {
                "combinations": report.renderings().count(),
                "documents": report.documents(),
                "findings": report.findings(),
                "elapsedMs": report.elapsed.as_millis() as u64,
            },
            "combinations": by(|c| matches!(c, Checked::Combination(_))).map(rendering).collect::<Vec<_>>(),
            "runbooks": report.outcomes.iter().filter_map(|o| match &o.checked {
                Checked::Runbook(file) => Some(json!({"file": file.to_string(), "findings": o.findings.iter().map(finding).collect::<Vec<_>>()})),
                _ => None,
            }).collect::<Vec<_>>(),
            "flags": report.outcomes.iter().filter_map(|o| match &o.checked {
                Checked::Flag(path) => Some(json!({"flag": path.to_string(), "findings": o.findings.iter().map(finding).collect::<Vec<_>>()})),
                _ => None,
            }).collect::<Vec<_>>(),
            "deletedGoldens": report.deleted.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        });
        if let Some(values) = by(|c| matches!(c, Checked::Values(_))).next() {
            document["values"] = rendering(values);
        }
        let mut text = serde_json::to_string_pretty(&document).expect("a report serializes");
        text.push('\n');
        text
    }
}
