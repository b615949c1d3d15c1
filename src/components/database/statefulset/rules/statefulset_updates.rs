//! CG701: the database StatefulSet restarts only when an operator says so, one pod at a time.

use crate::codes::RuleCode;
use crate::extract::Manifest;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG701,
        severity: Severity::Error,
        checks: "Every StatefulSet has `updateStrategy.type: OnDelete` and `podManagementPolicy: OrderedReady`.",
        why: "With RollingUpdate, any `helm upgrade` that touches the pod template (a label, a resource) restarts the database \
              in the middle of the upgrade, while the migration hook may be running against it.",
    },
    target: Target::Documents { kinds: &["StatefulSet"], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let spec = &manifest.object["spec"];
    if spec["updateStrategy"]["type"] != "OnDelete" {
        out.add("/spec/updateStrategy", "the update strategy is not OnDelete, so an upgrade restarts the database");
    }
    // OrderedReady is the API's default when the field is absent.
    if !spec["podManagementPolicy"].is_null() && spec["podManagementPolicy"] != "OrderedReady" {
        out.add("/spec/podManagementPolicy", "podManagementPolicy is not OrderedReady");
    }
}
