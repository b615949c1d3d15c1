//! CG701: the database StatefulSet restarts only when an operator says so, one pod at a time.

use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: StatefulSetUpdatesRule = StatefulSetUpdatesRule;

pub struct StatefulSetUpdatesRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG701,
    severity: Severity::Error,
    checks: "Every StatefulSet has `updateStrategy.type: OnDelete` and `podManagementPolicy: OrderedReady`.",
    why: "With RollingUpdate, any `helm upgrade` that touches the pod template (a label, a resource) restarts the database \
          in the middle of the upgrade, while the migration hook may be running against it.",
    bad: Example {
        values: "",
        manifests: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db-hl\n  selector: {matchLabels: {app: db}}\n  template: {}\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db-hl\n  updateStrategy: {type: OnDelete}\n  podManagementPolicy: OrderedReady\n  selector: {matchLabels: {app: db}}\n  template: {}\n",
    },
};

impl Rule for StatefulSetUpdatesRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate().filter(|(_, m)| m.kind() == "StatefulSet") {
            let spec = &manifest.object["spec"];
            if spec["updateStrategy"]["type"] != "OnDelete" {
                out.push(Violation::at(index, "/spec/updateStrategy", "the update strategy is not OnDelete, so an upgrade restarts the database"));
            }
            // OrderedReady is the API's default when the field is absent.
            if !spec["podManagementPolicy"].is_null() && spec["podManagementPolicy"] != "OrderedReady" {
                out.push(Violation::at(index, "/spec/podManagementPolicy", "podManagementPolicy is not OrderedReady"));
            }
        }
    }
}
