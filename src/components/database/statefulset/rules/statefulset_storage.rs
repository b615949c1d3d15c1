//! CG704: the database keeps its data in a claim of its own.

use crate::codes::RuleCode;
use crate::extract::Manifest;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG704,
        severity: Severity::Error,
        checks: "Every StatefulSet has a `volumeClaimTemplates` entry, and a container mounts it.",
        why: "Without a claim template the data directory lives in the container or an emptyDir and is lost with the pod: \
              the first node drain deletes the database.",
    },
    target: Target::Documents { kinds: &["StatefulSet"], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let claims: Vec<&str> = manifest.object["spec"]["volumeClaimTemplates"].as_array().into_iter().flatten().filter_map(|c| c["metadata"]["name"].as_str()).collect();
    if claims.is_empty() {
        out.add("/spec", "there is no volumeClaimTemplate; the data dies with the pod");
        return;
    }
    let mounted = manifest.object["spec"]["template"]["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["volumeMounts"].as_array().cloned().unwrap_or_default())
        .any(|m| m["name"].as_str().is_some_and(|n| claims.contains(&n)));
    if !mounted {
        out.add("/spec/volumeClaimTemplates", "no container mounts the claim template");
    }
}
