//! CG401: every pod meets the Kubernetes "restricted" Pod Security Standard.

use crate::codes::RuleCode;
use crate::extract::Container;
use crate::spec::Spec;
use super::{Problems, Rule, RuleDoc, Severity, Target};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG401,
        severity: Severity::Error,
        checks: "Every container runs as non-root (`runAsNonRoot: true` on the pod or the container), with \
                 `allowPrivilegeEscalation: false`, not privileged, with `capabilities.drop` holding `ALL`, and a seccomp \
                 profile of `RuntimeDefault` or `Localhost` (on the pod or the container): the \"restricted\" Pod Security \
                 Standard.",
        why: "Namespaces that enforce the restricted standard reject the pod outright, so the backup never runs there; \
              elsewhere a compromised dump container with root and capabilities can read the node's other volumes.",
    },
    target: Target::Containers(check),
};

fn check(container: &Container<'_>, _: &Spec, out: &mut Problems) {
    let own = &container.value["securityContext"];
    let pod = &container.pod["securityContext"];
    let at = format!("{}/securityContext", container.pointer);
    let name = container.value["name"].as_str().unwrap_or_default();
    let mut problem = |message: &str| out.add(at.clone(), format!("container `{name}`: {message}"));
    if own["runAsNonRoot"] != true && !(pod["runAsNonRoot"] == true && own["runAsNonRoot"].is_null()) {
        problem("does not set runAsNonRoot: true (nor does its pod)");
    }
    if own["allowPrivilegeEscalation"] != false {
        problem("does not set allowPrivilegeEscalation: false");
    }
    if own["privileged"] == true {
        problem("is privileged");
    }
    if !own["capabilities"]["drop"].as_array().is_some_and(|d| d.iter().any(|c| c == "ALL")) {
        problem("does not drop ALL capabilities");
    }
    let seccomp = if own["seccompProfile"]["type"].is_null() { &pod["seccompProfile"]["type"] } else { &own["seccompProfile"]["type"] };
    if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
        problem("has no RuntimeDefault or Localhost seccomp profile (nor does its pod)");
    }
}
