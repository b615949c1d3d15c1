//! CG602: alerts name only metrics that exist.

use crate::codes::RuleCode;
use crate::extract::Alert;
use crate::rules::support::walk_promql;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG602,
        severity: Severity::Error,
        checks: "Every metric an alert expression selects is in the spec's `metrics` inventory or is one of the \
                 kube-state-metrics series the chart's own backup alerts use.",
        why: "A misspelt metric selects nothing, and an expression over nothing never fires: the alert is green for ever. \
              The seed chart alerted on `certctl_job_failures_total`, which the server never exported.",
    },
    target: Target::Alerts(check),
};

/// kube-state-metrics series the chart's backup alerts use.
pub const KUBE_STATE_METRICS: [&str; 6] = [
    "kube_cronjob_status_last_successful_time",
    "kube_cronjob_created",
    "kube_job_status_start_time",
    "kube_job_owner",
    "kube_job_complete",
    "kube_job_failed",
];

/// The metric names an expression selects.
pub fn metric_names(expr: &promql_parser::parser::Expr) -> Vec<String> {
    use promql_parser::parser::Expr;
    let mut names = Vec::new();
    walk_promql(expr, &mut |node| {
        let selector = match node {
            Expr::VectorSelector(v) => Some(v),
            Expr::MatrixSelector(m) => Some(&m.vs),
            _ => None,
        };
        if let Some(selector) = selector {
            names.extend(selector.name.clone());
            names.extend(selector.matchers.matchers.iter().filter(|m| m.name == "__name__").map(|m| m.value.clone()));
        }
    });
    names
}

fn check(alert: &Alert<'_>, spec: &Spec, out: &mut Problems) {
    let Ok(expr) = promql_parser::parser::parse(alert.rule["expr"].as_str().unwrap_or_default()) else { return };
    for name in metric_names(&expr) {
        if !spec.metrics.contains(&name) && !KUBE_STATE_METRICS.contains(&name.as_str()) {
            let known = spec.metrics.iter().map(String::as_str).chain(KUBE_STATE_METRICS);
            let hint = crate::diagnostic::nearest(&name, known).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            out.add(format!("{}/expr", alert.pointer), format!("`{name}` is not in the metric inventory{hint}"));
        }
    }
}
