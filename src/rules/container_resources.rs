//! CG402: every container asks for what it needs and is bounded.

use crate::codes::RuleCode;
use crate::extract::Container;
use crate::spec::Spec;
use super::{Problems, Rule, RuleDoc, Severity, Target};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG402,
        severity: Severity::Error,
        checks: "Every container sets `resources.requests.cpu`, `resources.requests.memory` and `resources.limits.memory`. A CPU \
                 limit is not required: it throttles a dump without protecting anything a request does not.",
        why: "Without requests the scheduler packs a nightly `pg_dump` next to the database it reads and both starve; without \
              a memory limit a runaway restore in the verify job is killed together with its neighbours by the node.",
    },
    target: Target::Containers(check),
};

fn check(container: &Container<'_>, _: &Spec, out: &mut Problems) {
    let resources = &container.value["resources"];
    let name = container.value["name"].as_str().unwrap_or_default();
    let missing: Vec<&str> = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
        .iter()
        .filter(|(group, kind)| resources[*group][*kind].is_null())
        .map(|(group, kind)| if *group == "requests" { if *kind == "cpu" { "requests.cpu" } else { "requests.memory" } } else { "limits.memory" })
        .collect();
    if !missing.is_empty() {
        out.add(format!("{}/resources", container.pointer), format!("container `{name}` sets no {}", missing.join(", ")));
    }
}
