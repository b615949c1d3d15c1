//! CG000: a suppression says why the rule does not apply.

use super::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation, SUPPRESS_PREFIX};
use crate::codes::RuleCode;
use crate::extract::escape;

pub static RULE: SuppressionWithoutReasonRule = SuppressionWithoutReasonRule;

pub struct SuppressionWithoutReasonRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG000,
    severity: Severity::Error,
    checks: "Every `chartgen/ignore-<CODE>` annotation, which suppresses rule CODE on its object, gives a reason as its \
             value. A suppression without a reason suppresses nothing.",
    why: "A suppression is a decision that a rule does not apply to one object; without the reason the next reader cannot \
          tell a considered exception from a silenced warning, nor when it stops being true.",
    bad: Example {
        values: "",
        manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations:\n    chartgen/ignore-CG801: \"\"\ndata: {}\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations:\n    chartgen/ignore-CG801: \"the name is fixed by the operator that reads it\"\ndata: {}\n",
    },
};

impl Rule for SuppressionWithoutReasonRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate() {
            let Some(annotations) = manifest.object["metadata"]["annotations"].as_object() else { continue };
            for (key, reason) in annotations {
                let Some(code) = key.strip_prefix(SUPPRESS_PREFIX) else { continue };
                if reason.as_str().is_none_or(|r| r.trim().is_empty()) {
                    out.push(Violation::at(
                        index,
                        format!("/metadata/annotations/{}", escape(key)),
                        format!("the suppression of {code} gives no reason; say why the rule does not apply here"),
                    ));
                }
            }
        }
    }
}
