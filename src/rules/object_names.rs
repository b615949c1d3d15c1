//! CG801: object names are valid Kubernetes names that fit their limits.

use super::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;
use crate::scalars::is_dns_label;

pub static RULE: ObjectNamesRule = ObjectNamesRule;

pub struct ObjectNamesRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG801,
    severity: Severity::Error,
    checks: "Every `metadata.name` is a DNS-1123 label (lowercase letters, digits and `-`, starting and ending with a letter \
             or digit) of at most 63 characters, and a CronJob's at most 52. `chartgen check` renders with the release \
             `release-name`; the chart's names are sized so that they fit for the longest release name Helm accepts \
             (53 characters), which the tests check.",
    why: "The API server rejects longer or malformed names at install time, and a CronJob longer than 52 characters cannot \
          create its Jobs (the controller appends 11 characters), which is found only when the first backup should run.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: payments-eu-west-1-blue-green-canary-certctl-backup-nightly\nspec:\n  schedule: \"0 2 * * *\"\n  jobTemplate: {}\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: payments-eu-west-1-blue-green-certctl-backup\nspec:\n  schedule: \"0 2 * * *\"\n  jobTemplate: {}\n",
    },
};

impl Rule for ObjectNamesRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate() {
            let name = manifest.name();
            let limit = if manifest.kind() == "CronJob" { 52 } else { 63 };
            if !is_dns_label(name) {
                out.push(Violation::at(index, "/metadata/name", format!("`{name}` is not a DNS-1123 label")));
            } else if name.len() > limit {
                out.push(Violation::at(index, "/metadata/name", format!("`{name}` has {} characters; a {} name may have at most {limit}", name.len(), manifest.kind())));
            }
        }
    }
}
