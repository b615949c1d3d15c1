//! CG905: an object store that receives backups has a retention policy.

use crate::codes::RuleCode;
use crate::extract::Cnpg;
use crate::rules::{Rule, RuleDoc, Severity, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG905,
        severity: Severity::Warning,
        checks: "Every barman-cloud ObjectStore has a `spec.retentionPolicy`, and every CloudNativePG Cluster with an in-tree \
                 `backup.barmanObjectStore` has a `backup.retentionPolicy`. An ObjectStore that the documents use only as a \
                 recovery or replica source (an external cluster's `barmanObjectName`, never a Cluster's archive) passes: the \
                 Cluster that archives into it prunes it.",
        why: "Without a retention policy nothing deletes base backups or WAL: the bucket grows by a base backup a night and \
              every WAL segment for ever, until the storage bill or the quota stops the archiving. Barman prunes by a \
              recovery window (`30d`, `4w`, `3m`), which is also the promise of how far back a recovery can go.",
    },
    target: Target::Cnpg(check),
};

fn check(cnpg: &Cnpg<'_>, out: &mut Vec<Violation>) {
    for store in cnpg.object_stores.iter().filter(|s| s.retention_policy.is_none()) {
        let names_it = |name: Option<&str>, cluster_namespace: Option<&str>| name == Some(store.name) && crate::extract::same_namespace(cluster_namespace, store.namespace);
        let archives = cnpg.clusters.iter().any(|c| names_it(c.barman_cloud_plugin().and_then(|p| p.parameter("barmanObjectName")), c.namespace));
        let read_only = cnpg.clusters.iter().any(|c| {
            c.external_clusters.iter().filter_map(|e| e.plugin.as_ref()).any(|p| p.is_barman_cloud() && names_it(p.parameter("barmanObjectName"), c.namespace))
        });
        if read_only && !archives {
            continue;
        }
        out.push(Violation::at(
            store.document,
            "/spec",
            format!("ObjectStore `{}` has no `retentionPolicy`: base backups and WAL are never deleted and the bucket grows for ever; set a recovery window such as `retentionPolicy: \"30d\"`", store.name),
        ));
    }
    for cluster in cnpg.clusters.iter().filter(|c| c.barman_object_store.is_some() && c.retention_policy.is_none()) {
        out.push(Violation::at(
            cluster.document,
            "/spec/backup",
            format!("Cluster `{}` archives to `backup.barmanObjectStore` without `backup.retentionPolicy`: base backups and WAL are never deleted and the bucket grows for ever; set a recovery window such as `retentionPolicy: \"30d\"`", cluster.name),
        ));
    }
}
