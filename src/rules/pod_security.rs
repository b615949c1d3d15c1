//! CG401: every pod meets the Kubernetes "restricted" Pod Security Standard.

use crate::extract::containers;
use super::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: PodSecurityRule = PodSecurityRule;

pub struct PodSecurityRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG401,
    severity: Severity::Error,
    checks: "Every container runs as non-root (`runAsNonRoot: true` on the pod or the container), with \
             `allowPrivilegeEscalation: false`, not privileged, with `capabilities.drop` holding `ALL`, and a seccomp \
             profile of `RuntimeDefault` or `Localhost` (on the pod or the container): the \"restricted\" Pod Security \
             Standard.",
    why: "Namespaces that enforce the restricted standard reject the pod outright, so the backup never runs there; \
          elsewhere a compromised dump container with root and capabilities can read the node's other volumes.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      securityContext:\n        runAsNonRoot: true\n        seccompProfile: {type: RuntimeDefault}\n      containers:\n        - name: dump\n          image: postgres:16.6\n          securityContext:\n            allowPrivilegeEscalation: false\n            capabilities: {drop: [ALL]}\n",
    },
};

impl Rule for PodSecurityRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for container in containers(subject.manifests) {
            let own = &container.value["securityContext"];
            let pod = &container.pod["securityContext"];
            let at = format!("{}/securityContext", container.pointer);
            let name = container.value["name"].as_str().unwrap_or_default();
            let mut problem = |message: String| out.push(Violation::at(container.document, at.clone(), format!("container `{name}`: {message}")));
            if own["runAsNonRoot"] != true && !(pod["runAsNonRoot"] == true && own["runAsNonRoot"].is_null()) {
                problem("does not set runAsNonRoot: true (nor does its pod)".into());
            }
            if own["allowPrivilegeEscalation"] != false {
                problem("does not set allowPrivilegeEscalation: false".into());
            }
            if own["privileged"] == true {
                problem("is privileged".into());
            }
            if !own["capabilities"]["drop"].as_array().is_some_and(|d| d.iter().any(|c| c == "ALL")) {
                problem("does not drop ALL capabilities".into());
            }
            let seccomp = if own["seccompProfile"]["type"].is_null() { &pod["seccompProfile"]["type"] } else { &own["seccompProfile"]["type"] };
            if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
                problem("has no RuntimeDefault or Localhost seccomp profile (nor does its pod)".into());
            }
        }
    }
}
