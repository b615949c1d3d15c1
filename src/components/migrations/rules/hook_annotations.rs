//! CG501: the migration Job is a Helm hook with the right phases, weight and delete policy.

use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;
use crate::components::Component;

pub static RULE: HookAnnotationsRule = HookAnnotationsRule;

pub struct HookAnnotationsRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG501,
    severity: Severity::Error,
    checks: "A Job that is a Helm hook sets `helm.sh/hook-weight` and a `helm.sh/hook-delete-policy` that includes \
             `before-hook-creation`. The migration Job (component `migrate`) is a hook that runs on `pre-upgrade` and on \
             install (`pre-install` or `post-install`).",
    why: "Without `before-hook-creation` the next upgrade fails because the Job of the last one still exists; without a \
          weight the order against other hooks is an accident. A migration Job that is not a pre-upgrade hook runs \
          after the new server pods started against the old schema.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  labels:\n    app.kubernetes.io/component: migrate\n  annotations:\n    helm.sh/hook: post-upgrade\nspec:\n  template: {}\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  labels:\n    app.kubernetes.io/component: migrate\n  annotations:\n    helm.sh/hook: post-install,pre-upgrade\n    helm.sh/hook-weight: \"0\"\n    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\nspec:\n  template: {}\n",
    },
};

impl Rule for HookAnnotationsRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate().filter(|(_, m)| m.kind() == "Job") {
            let annotations = &manifest.object["metadata"]["annotations"];
            let migrate = Component::of(&manifest.object) == Some(Component::Migrations);
            let phases: Vec<&str> = annotations["helm.sh/hook"].as_str().map(|h| h.split(',').map(str::trim).collect()).unwrap_or_default();
            if phases.is_empty() {
                if migrate {
                    out.push(Violation::at(index, "/metadata/annotations", "the migration Job is not a Helm hook; make it run on install and pre-upgrade"));
                }
                continue;
            }
            if migrate && (!phases.contains(&"pre-upgrade") || !(phases.contains(&"pre-install") || phases.contains(&"post-install"))) {
                out.push(Violation::at(index, "/metadata/annotations/helm.sh~1hook", format!("the migration hook runs on `{}`; it must run on pre-upgrade and on install", phases.join(","))));
            }
            if annotations["helm.sh/hook-weight"].is_null() {
                out.push(Violation::at(index, "/metadata/annotations", "the hook sets no helm.sh/hook-weight"));
            }
            if !annotations["helm.sh/hook-delete-policy"].as_str().is_some_and(|p| p.split(',').any(|x| x.trim() == "before-hook-creation")) {
                out.push(Violation::at(index, "/metadata/annotations", "the hook's delete policy lacks before-hook-creation, so the next upgrade finds the old Job"));
            }
        }
    }
}
