//! CG402: every container asks for what it needs and is bounded.

use crate::extract::containers;
use super::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: ContainerResourcesRule = ContainerResourcesRule;

pub struct ContainerResourcesRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG402,
    severity: Severity::Error,
    checks: "Every container sets `resources.requests.cpu`, `resources.requests.memory` and `resources.limits.memory`. A CPU \
             limit is not required: it throttles a dump without protecting anything a request does not.",
    why: "Without requests the scheduler packs a nightly `pg_dump` next to the database it reads and both starve; without \
          a memory limit a runaway restore in the verify job is killed together with its neighbours by the node.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          resources:\n            requests: {memory: 256Mi}\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          resources:\n            requests: {cpu: 100m, memory: 256Mi}\n            limits: {memory: 1Gi}\n",
    },
};

impl Rule for ContainerResourcesRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for container in containers(subject.manifests) {
            let resources = &container.value["resources"];
            let name = container.value["name"].as_str().unwrap_or_default();
            let missing: Vec<&str> = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
                .iter()
                .filter(|(group, kind)| resources[*group][*kind].is_null())
                .map(|(group, kind)| if *group == "requests" { if *kind == "cpu" { "requests.cpu" } else { "requests.memory" } } else { "limits.memory" })
                .collect();
            if !missing.is_empty() {
                out.push(Violation::at(container.document, format!("{}/resources", container.pointer), format!("container `{name}` sets no {}", missing.join(", "))));
            }
        }
    }
}
