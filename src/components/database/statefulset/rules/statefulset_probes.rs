//! CG703: the database's containers have liveness and readiness probes.

use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: StatefulSetProbesRule = StatefulSetProbesRule;

pub struct StatefulSetProbesRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG703,
    severity: Severity::Error,
    checks: "Every container of a StatefulSet has a `livenessProbe` and a `readinessProbe`.",
    why: "Without readiness the Service sends connections to a server still replaying its WAL; without liveness a wedged \
          server is never restarted and the backups and the application fail together.",
    bad: Example {
        values: "",
        manifests: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db-hl\n  selector: {matchLabels: {app: db}}\n  template:\n    spec:\n      containers:\n        - name: postgresql\n          image: postgres:16.6\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db-hl\n  selector: {matchLabels: {app: db}}\n  template:\n    spec:\n      containers:\n        - name: postgresql\n          image: postgres:16.6\n          livenessProbe:\n            exec: {command: [pg_isready]}\n          readinessProbe:\n            exec: {command: [pg_isready]}\n",
    },
};

impl Rule for StatefulSetProbesRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate().filter(|(_, m)| m.kind() == "StatefulSet") {
            for (i, container) in manifest.object["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten().enumerate() {
                let name = container["name"].as_str().unwrap_or_default();
                for probe in ["livenessProbe", "readinessProbe"] {
                    if container[probe].is_null() {
                        out.push(Violation::at(index, format!("/spec/template/spec/containers/{i}"), format!("container `{name}` has no {probe}")));
                    }
                }
            }
        }
    }
}
