//! CG501: the migration Job is a Helm hook with the right phases, weight and delete policy.

use crate::codes::RuleCode;
use crate::components::Component;
use crate::extract::Manifest;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG501,
        severity: Severity::Error,
        checks: "A Job that is a Helm hook sets `helm.sh/hook-weight` and a `helm.sh/hook-delete-policy` that includes \
                 `before-hook-creation`. The migration Job (component `migrate`) is a hook that runs on `pre-upgrade` and on \
                 install (`pre-install` or `post-install`).",
        why: "Without `before-hook-creation` the next upgrade fails because the Job of the last one still exists; without a \
              weight the order against other hooks is an accident. A migration Job that is not a pre-upgrade hook runs \
              after the new server pods started against the old schema.",
    },
    target: Target::Documents { kinds: &["Job"], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let annotations = &manifest.object["metadata"]["annotations"];
    let migrate = Component::of(&manifest.object) == Some(Component::Migrations);
    let phases: Vec<&str> = annotations["helm.sh/hook"].as_str().map(|h| h.split(',').map(str::trim).collect()).unwrap_or_default();
    if phases.is_empty() {
        if migrate {
            out.add("/metadata/annotations", "the migration Job is not a Helm hook; make it run on install and pre-upgrade");
        }
        return;
    }
    if migrate && (!phases.contains(&"pre-upgrade") || !(phases.contains(&"pre-install") || phases.contains(&"post-install"))) {
        out.add("/metadata/annotations/helm.sh~1hook", format!("the migration hook runs on `{}`; it must run on pre-upgrade and on install", phases.join(",")));
    }
    if annotations["helm.sh/hook-weight"].is_null() {
        out.add("/metadata/annotations", "the hook sets no helm.sh/hook-weight");
    }
    if !annotations["helm.sh/hook-delete-policy"].as_str().is_some_and(|p| p.split(',').any(|x| x.trim() == "before-hook-creation")) {
        out.add("/metadata/annotations", "the hook's delete policy lacks before-hook-creation, so the next upgrade finds the old Job");
    }
}
