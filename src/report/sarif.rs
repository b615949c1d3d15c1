//! `--format sarif`: SARIF 2.1.0 for code scanning, one rule per code,
//! results located in the files findings point at.

use serde_json::{json, Value};

use super::{one_line, Output};
use crate::codes::{Code, RuleCode};
use crate::findings::Report;
use crate::spec::lint::Severity;

pub struct Sarif;

/// SARIF's name for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Every code a report can hold, with its description.
fn rules() -> Vec<Value> {
    let mut rules: Vec<Value> = Code::CHECKS
        .iter()
        .chain(&Code::CHART_CHECKS)
        .chain(&Code::DOCS)
        .map(|code| json!({"id": code.as_str(), "name": code.as_str(), "shortDescription": {"text": code.summary()}, "defaultConfiguration": {"level": "error"}}))
        .collect();
    for code in RuleCode::ALL {
        let doc = &crate::rules::rule(*code).doc;
        rules.push(json!({
            "id": code.as_str(),
            "name": code.name(),
            "shortDescription": {"text": doc.checks.split_whitespace().collect::<Vec<_>>().join(" ")},
            "fullDescription": {"text": doc.why.split_whitespace().collect::<Vec<_>>().join(" ")},
            "help": {"text": format!("chartgen explain {code}")},
            "defaultConfiguration": {"level": level(doc.severity)},
        }));
    }
    rules
}

impl Output for Sarif {
    fn write(&self, report: &Report, _colour: bool) -> String {
        let rules = rules();
        let index = |code: Code| rules.iter().position(|r| r["id"] == code.as_str());
        let mut results = Vec::new();
        for outcome in &report.outcomes {
            let name = outcome.checked.name();
            for finding in &outcome.findings {
                let mut entry = json!({
                    "ruleId": finding.code.as_str(),
                    "ruleIndex": index(finding.code),
                    "level": level(finding.severity),
                    "message": {"text": format!("{name}: {}", one_line(finding))},
                    "properties": {"combination": name, "flags": outcome.checked.flags()},
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
        let sarif = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "chartgen", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
                "results": results,
            }],
        });
        let mut text = serde_json::to_string_pretty(&sarif).expect("a report serializes");
        text.push('\n');
        text
    }
}
