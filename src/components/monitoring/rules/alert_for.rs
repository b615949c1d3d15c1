//! CG603: an alert's `for` is a Prometheus duration.

use crate::extract::alert_rules;
use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: AlertForRule = AlertForRule;

pub struct AlertForRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG603,
    severity: Severity::Error,
    checks: "Every alert's `for` (and `keep_firing_for`), when present, is a Prometheus duration such as `15m` or `1h30m`.",
    why: "`for: 1 hour` or `for: 60` is rejected when Prometheus loads the rule file, which drops the whole group.",
    bad: Example {
        values: "",
        manifests: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules\nspec:\n  groups:\n    - name: certctl.rules\n      rules:\n        - alert: CertctlAgentOffline\n          expr: certctl_agent_online < certctl_agent_total\n          for: 1 hour\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules\nspec:\n  groups:\n    - name: certctl.rules\n      rules:\n        - alert: CertctlAgentOffline\n          expr: certctl_agent_online < certctl_agent_total\n          for: 1h\n",
    },
};

impl Rule for AlertForRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (document, pointer, rule) in alert_rules(subject.manifests) {
            for field in ["for", "keep_firing_for"] {
                let value = &rule[field];
                if value.is_null() {
                    continue;
                }
                let text = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
                if let Err(message) = text.parse::<crate::scalars::DurationOrZero>() {
                    out.push(Violation::at(document, format!("{pointer}/{field}"), message));
                }
            }
        }
    }
}
