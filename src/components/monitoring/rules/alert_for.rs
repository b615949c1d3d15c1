//! CG603: an alert's `for` is a Prometheus duration.

use crate::codes::RuleCode;
use crate::extract::Alert;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG603,
        severity: Severity::Error,
        checks: "Every alert's `for` (and `keep_firing_for`), when present, is a Prometheus duration such as `15m` or `1h30m`.",
        why: "`for: 1 hour` or `for: 60` is rejected when Prometheus loads the rule file, which drops the whole group.",
    },
    target: Target::Alerts(check),
};

fn check(alert: &Alert<'_>, _: &Spec, out: &mut Problems) {
    for field in ["for", "keep_firing_for"] {
        let value = &alert.rule[field];
        if value.is_null() {
            continue;
        }
        let text = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
        if let Err(message) = text.parse::<crate::scalars::DurationOrZero>() {
            out.add(format!("{}/{field}", alert.pointer), message);
        }
    }
}
