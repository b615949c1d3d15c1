//! CG604: every alert says how bad it is and what it means.

use crate::codes::RuleCode;
use crate::extract::Alert;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG604,
        severity: Severity::Error,
        checks: "Every alerting rule has a `severity` label and non-empty `summary` and `description` annotations.",
        why: "Alertmanager routes on `severity`; an alert without it goes to the default receiver or nowhere. The on-call \
              engineer reads the summary and description at 03:00, not the PromQL.",
    },
    target: Target::Alerts(check),
};

fn check(alert: &Alert<'_>, _: &Spec, out: &mut Problems) {
    let rule = alert.rule;
    // Recording rules have no `alert`, and nobody reads their labels or annotations.
    if rule["alert"].is_null() {
        return;
    }
    let name = rule["alert"].as_str().unwrap_or_default();
    if rule["labels"]["severity"].as_str().is_none_or(str::is_empty) {
        out.add(format!("{}/labels", alert.pointer), format!("alert `{name}` has no severity label"));
    }
    for annotation in ["summary", "description"] {
        if rule["annotations"][annotation].as_str().is_none_or(|s| s.trim().is_empty()) {
            out.add(format!("{}/annotations", alert.pointer), format!("alert `{name}` has no {annotation} annotation"));
        }
    }
}
