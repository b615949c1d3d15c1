//! CG801: object names are valid Kubernetes names that fit their limits.

use crate::codes::RuleCode;
use crate::extract::Manifest;
use crate::scalars::is_dns_label;
use crate::spec::Spec;
use super::{Problems, Rule, RuleDoc, Severity, Target};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG801,
        severity: Severity::Error,
        checks: "Every `metadata.name` is a DNS-1123 label (lowercase letters, digits and `-`, starting and ending with a letter \
                 or digit) of at most 63 characters, and a CronJob's at most 52. `chartgen check` renders with the release \
                 `release-name`; the chart's names are sized so that they fit for the longest release name Helm accepts \
                 (53 characters), which the tests check.",
        why: "The API server rejects longer or malformed names at install time, and a CronJob longer than 52 characters cannot \
              create its Jobs (the controller appends 11 characters), which is found only when the first backup should run.",
    },
    target: Target::Documents { kinds: &[], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let name = manifest.name();
    let limit = if manifest.kind() == "CronJob" { 52 } else { 63 };
    if !is_dns_label(name) {
        out.add("/metadata/name", format!("`{name}` is not a DNS-1123 label"));
    } else if name.len() > limit {
        out.add("/metadata/name", format!("`{name}` has {} characters; a {} name may have at most {limit}", name.len(), manifest.kind()));
    }
}
