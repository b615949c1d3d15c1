//! CG907: every `cnpg.io/` annotation is one CloudNativePG reads.

use crate::codes::RuleCode;
use crate::extract::{escape, Manifest};
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG907,
        severity: Severity::Error,
        checks: "Every annotation key under `cnpg.io/` or `alpha.cnpg.io/`, in any object's `metadata.annotations` and in a \
                 Cluster's `spec.inheritedMetadata.annotations`, is one that CloudNativePG defines (its \
                 `pkg/utils/labels_annotations.go`, 1.30). A CloudNativePG label written as an annotation is reported as \
                 such, `cnpg.io/reload-secrets` and `cnpg.io/reload` with the label that does what they were meant to, any \
                 other unknown key with the nearest known one.",
        why: "The operator ignores annotations it does not know, without a warning: `cnpg.io/reload-secrets: \"true\"` on a \
              Cluster (as a seed runbook had it) reloads nothing, and rotated credentials or certificates are picked up only \
              at the next restart. A misspelt `cnpg.io/skipEmptyWalArchiveCheck` or `cnpg.io/hibernation` likewise does \
              nothing while the runbook says it did.",
    },
    target: Target::Documents { kinds: &[], check },
};

/// The annotations CloudNativePG defines (`pkg/utils/labels_annotations.go`).
const ANNOTATIONS: &[&str] = &[
    "cnpg.io/operatorVersion", "cnpg.io/reconciliationLoop", "cnpg.io/reconcilePodSpec", "cnpg.io/hibernateClusterManifest",
    "cnpg.io/hibernatePgControlData", "cnpg.io/podEnvHash", "cnpg.io/podSpec", "cnpg.io/clusterManifest",
    "cnpg.io/coredumpFilter", "cnpg.io/pgControldata", "cnpg.io/skipWalArchiving", "cnpg.io/skipEmptyWalArchiveCheck",
    "cnpg.io/nodeSerial", "cnpg.io/reloadedAt", "cnpg.io/pvcStatus", "cnpg.io/forceLegacyBackup", "cnpg.io/hibernation",
    "cnpg.io/poolerSpecHash", "cnpg.io/managedSecrets", "cnpg.io/fencedInstances", "cnpg.io/hash", "cnpg.io/backupStartWAL",
    "cnpg.io/backupEndWAL", "cnpg.io/backupStartTime", "cnpg.io/backupEndTime", "cnpg.io/backupLabelFile",
    "cnpg.io/backupTablespaceMapFile", "cnpg.io/volumeSnapshotDeadline", "cnpg.io/snapshotStartTime",
    "cnpg.io/snapshotEndTime", "cnpg.io/updateStrategy", "cnpg.io/lastAppliedSpec", "cnpg.io/pluginClientSecret",
    "cnpg.io/pluginServerSecret", "cnpg.io/pluginPort", "cnpg.io/pluginServerName", "cnpg.io/podPatch",
    "cnpg.io/validation", "cnpg.io/passwordPassthrough", "alpha.cnpg.io/livenessPinger", "alpha.cnpg.io/failoverQuorum",
    "alpha.cnpg.io/enableInstancePprof", "alpha.cnpg.io/unrecoverable",
];

/// The labels CloudNativePG defines, which do nothing as annotations.
const LABELS: &[&str] = &[
    "cnpg.io/cluster", "cnpg.io/instanceName", "cnpg.io/podRole", "cnpg.io/instanceRole", "cnpg.io/jobRole",
    "cnpg.io/pvcRole", "cnpg.io/tablespaceName", "cnpg.io/backupName", "cnpg.io/majorVersion", "cnpg.io/poolerName",
    "cnpg.io/immediateBackup", "cnpg.io/scheduled-backup", "cnpg.io/reload", "cnpg.io/userType", "cnpg.io/backupTimeline",
    "cnpg.io/backupYear", "cnpg.io/backupMonth", "cnpg.io/backupDate", "cnpg.io/onlineBackup", "cnpg.io/isManaged",
    "cnpg.io/pluginName",
];

/// What is wrong with an annotation key, if it is CloudNativePG's to define.
fn problem(key: &str) -> Option<String> {
    let (prefix, name) = key.split_once('/')?;
    if !matches!(prefix, "cnpg.io" | "alpha.cnpg.io") || ANNOTATIONS.contains(&key) {
        return None;
    }
    if key == "cnpg.io/reload-secrets" || key == "cnpg.io/reload" {
        return Some(format!(
            "`{key}` does nothing as an annotation: the real mechanism is the `cnpg.io/reload` label on the Secret (or \
             ConfigMap) the Cluster uses, which makes the operator reload it when it changes"
        ));
    }
    if LABELS.contains(&key) {
        return Some(format!("`{key}` is a CloudNativePG label, not an annotation, and does nothing here"));
    }
    // Every key shares the prefix, so the names alone are compared.
    let names = ANNOTATIONS.iter().filter(|a| a.starts_with(&format!("{prefix}/"))).map(|a| &a[prefix.len() + 1..]);
    let hint = crate::diagnostic::nearest(name, names).map(|n| format!("; did you mean `{prefix}/{n}`?")).unwrap_or_default();
    Some(format!("`{key}` is not an annotation CloudNativePG knows, so it does nothing{hint}"))
}

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let object = &manifest.object;
    let mut places = vec![("/metadata/annotations", &object["metadata"]["annotations"])];
    if manifest.kind() == "Cluster" && crate::extract::api_group(object) == crate::extract::CNPG_GROUP {
        places.push(("/spec/inheritedMetadata/annotations", &object["spec"]["inheritedMetadata"]["annotations"]));
    }
    for (pointer, annotations) in places {
        for key in annotations.as_object().into_iter().flatten().map(|(k, _)| k) {
            if let Some(message) = problem(key) {
                out.add(format!("{pointer}/{}", escape(key)), message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn known_keys_pass_and_others_get_the_nearest() {
        assert_eq!(problem("cnpg.io/skipEmptyWalArchiveCheck"), None);
        assert_eq!(problem("example.com/x"), None);
        assert!(problem("cnpg.io/reload-secrets").unwrap().contains("`cnpg.io/reload` label on the Secret"));
        assert!(problem("cnpg.io/skipEmptyWALArchiveCheck").unwrap().contains("did you mean `cnpg.io/skipEmptyWalArchiveCheck`?"));
        assert!(problem("cnpg.io/cluster").unwrap().contains("is a CloudNativePG label"));
    }
}
