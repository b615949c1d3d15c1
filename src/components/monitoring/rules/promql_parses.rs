//! CG601: every alert expression is PromQL.

use crate::codes::RuleCode;
use crate::extract::Alert;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG601,
        severity: Severity::Error,
        checks: "Every rule's `expr` in a PrometheusRule parses as PromQL (with the thresholds filled in).",
        why: "The Prometheus Operator accepts the object and Prometheus refuses to load the whole rule group, so every alert \
              of the group, not only the broken one, silently stops evaluating.",
    },
    target: Target::Alerts(check),
};

fn check(alert: &Alert<'_>, _: &Spec, out: &mut Problems) {
    if let Err(e) = alert.expr().as_ref() {
        out.add(format!("{}/expr", alert.pointer), format!("`{}` is not PromQL: {}", alert.expr_text(), e.trim()));
    }
}
