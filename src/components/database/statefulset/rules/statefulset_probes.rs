//! CG703: the database's containers have liveness and readiness probes.

use crate::codes::RuleCode;
use crate::extract::Manifest;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG703,
        severity: Severity::Error,
        checks: "Every container of a StatefulSet has a `livenessProbe` and a `readinessProbe`.",
        why: "Without readiness the Service sends connections to a server still replaying its WAL; without liveness a wedged \
              server is never restarted and the backups and the application fail together.",
    },
    target: Target::Documents { kinds: &["StatefulSet"], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    for (i, container) in manifest.object["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten().enumerate() {
        let name = container["name"].as_str().unwrap_or_default();
        for probe in ["livenessProbe", "readinessProbe"] {
            if container[probe].is_null() {
                out.add(format!("/spec/template/spec/containers/{i}"), format!("container `{name}` has no {probe}"));
            }
        }
    }
}
