//! CG502: a pre-install hook needs only what exists before the release's objects.

use crate::codes::RuleCode;
use crate::rules::{Rule, RuleDoc, Severity, Subject, Target, Violation};
use crate::validate::references;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG502,
        severity: Severity::Error,
        checks: "A `pre-install` hook names (as a Secret, ConfigMap, PVC, Service or ServiceAccount) only objects that are hooks \
                 themselves or that exist outside the release.",
        why: "Helm runs pre-install hooks before it creates the release's other objects. A migration hook that reads the \
              database Secret the chart creates waits for a Secret that will only exist after it, and the install times out.",
    },
    target: Target::Rendering(check),
};

/// Looks up what a hook names among the other documents, so it looks at the whole rendering.
fn check(subject: &Subject<'_>, out: &mut Vec<Violation>) {
    for (index, manifest) in subject.manifests.iter().enumerate() {
        let pre_install = manifest.object["metadata"]["annotations"]["helm.sh/hook"].as_str().is_some_and(|h| h.split(',').any(|p| p.trim() == "pre-install"));
        if !pre_install {
            continue;
        }
        for reference in references(&manifest.object) {
            let target = subject.manifests.iter().find(|m| m.kind() == reference.kind && m.name() == reference.name);
            if target.is_some_and(|t| !t.is_hook()) {
                out.push(Violation::at(
                    index,
                    reference.pointer,
                    format!("this pre-install hook needs {} `{}`, which Helm creates only after pre-install hooks ran", reference.kind, reference.name),
                ));
            }
        }
    }
}
