//! CG601: every alert expression is PromQL.

use crate::extract::alert_rules;
use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: PromqlParsesRule = PromqlParsesRule;

pub struct PromqlParsesRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG601,
    severity: Severity::Error,
    checks: "Every rule's `expr` in a PrometheusRule parses as PromQL (with the thresholds filled in).",
    why: "The Prometheus Operator accepts the object and Prometheus refuses to load the whole rule group, so every alert \
          of the group, not only the broken one, silently stops evaluating.",
    bad: Example {
        values: "",
        manifests: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules\nspec:\n  groups:\n    - name: certctl.rules\n      rules:\n        - alert: CertctlAgentOffline\n          expr: (certctl_agent_total - certctl_agent_online > 0\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules\nspec:\n  groups:\n    - name: certctl.rules\n      rules:\n        - alert: CertctlAgentOffline\n          expr: (certctl_agent_total - certctl_agent_online) > 0\n",
    },
};

impl Rule for PromqlParsesRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (document, pointer, rule) in alert_rules(subject.manifests) {
            let expr = rule["expr"].as_str().unwrap_or_default();
            if let Err(e) = promql_parser::parser::parse(expr) {
                out.push(Violation::at(document, format!("{pointer}/expr"), format!("`{expr}` is not PromQL: {}", e.trim())));
            }
        }
    }
}
