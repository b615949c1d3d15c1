//! CG704: the database keeps its data in a claim of its own.

use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: StatefulSetStorageRule = StatefulSetStorageRule;

pub struct StatefulSetStorageRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG704,
    severity: Severity::Error,
    checks: "Every StatefulSet has a `volumeClaimTemplates` entry, and a container mounts it.",
    why: "Without a claim template the data directory lives in the container or an emptyDir and is lost with the pod: \
          the first node drain deletes the database.",
    bad: Example {
        values: "",
        manifests: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db-hl\n  selector: {matchLabels: {app: db}}\n  template:\n    spec:\n      containers:\n        - name: postgresql\n          image: postgres:16.6\n          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]\n      volumes: [{name: data, emptyDir: {}}]\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db-hl\n  selector: {matchLabels: {app: db}}\n  template:\n    spec:\n      containers:\n        - name: postgresql\n          image: postgres:16.6\n          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources: {requests: {storage: 10Gi}}\n",
    },
};

impl Rule for StatefulSetStorageRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate().filter(|(_, m)| m.kind() == "StatefulSet") {
            let claims: Vec<&str> = manifest.object["spec"]["volumeClaimTemplates"].as_array().into_iter().flatten().filter_map(|c| c["metadata"]["name"].as_str()).collect();
            if claims.is_empty() {
                out.push(Violation::at(index, "/spec", "there is no volumeClaimTemplate; the data dies with the pod"));
                continue;
            }
            let mounted = manifest.object["spec"]["template"]["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["volumeMounts"].as_array().cloned().unwrap_or_default())
                .any(|m| m["name"].as_str().is_some_and(|n| claims.contains(&n)));
            if !mounted {
                out.push(Violation::at(index, "/spec/volumeClaimTemplates", "no container mounts the claim template"));
            }
        }
    }
}
