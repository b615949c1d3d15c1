//! CG604: every alert says how bad it is and what it means.

use crate::extract::alert_rules;
use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: AlertMetadataRule = AlertMetadataRule;

pub struct AlertMetadataRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG604,
    severity: Severity::Error,
    checks: "Every alerting rule has a `severity` label and non-empty `summary` and `description` annotations.",
    why: "Alertmanager routes on `severity`; an alert without it goes to the default receiver or nowhere. The on-call \
          engineer reads the summary and description at 03:00, not the PromQL.",
    bad: Example {
        values: "",
        manifests: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules\nspec:\n  groups:\n    - name: certctl.rules\n      rules:\n        - alert: CertctlAgentOffline\n          expr: certctl_agent_online < certctl_agent_total\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules\nspec:\n  groups:\n    - name: certctl.rules\n      rules:\n        - alert: CertctlAgentOffline\n          expr: certctl_agent_online < certctl_agent_total\n          labels: {severity: warning}\n          annotations:\n            summary: certctl agents are offline\n            description: \"{{ $value }} agents have not checked in.\"\n",
    },
};

impl Rule for AlertMetadataRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (document, pointer, rule) in alert_rules(subject.manifests) {
            if rule["alert"].is_null() {
                continue;
            }
            let name = rule["alert"].as_str().unwrap_or_default();
            if rule["labels"]["severity"].as_str().is_none_or(str::is_empty) {
                out.push(Violation::at(document, format!("{pointer}/labels"), format!("alert `{name}` has no severity label")));
            }
            for annotation in ["summary", "description"] {
                if rule["annotations"][annotation].as_str().is_none_or(|s| s.trim().is_empty()) {
                    out.push(Violation::at(document, format!("{pointer}/annotations"), format!("alert `{name}` has no {annotation} annotation")));
                }
            }
        }
    }
}
