//! CG901: a Cluster does not use the deprecated in-tree Barman Cloud support.

use crate::codes::RuleCode;
use crate::extract::{CnpgCluster, Manifest};
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG901,
        severity: Severity::Warning,
        checks: "A CloudNativePG Cluster has no `spec.backup.barmanObjectStore` and no `barmanObjectStore` in its \
                 `externalClusters`: the operator's in-tree Barman Cloud support, deprecated since CloudNativePG 1.26 in \
                 favour of the barman-cloud plugin (an `ObjectStore` of `barmancloud.cnpg.io/v1`, named by a `plugins` entry \
                 `barman-cloud.cloudnative-pg.io` with `isWALArchiver: true`, or by an external cluster's `plugin`).",
        why: "The operator's admission webhook already warns that native Barman Cloud support \"will be completely removed\" \
              (in 1.31.0 as of CloudNativePG 1.30); a Cluster that still archives through it stops archiving WAL and taking \
              base backups on the upgrade that removes it. The migration (an ObjectStore, a plugins entry, `method: plugin` \
              on the ScheduledBackups, the retention policy moved to the ObjectStore) is easier before than after.",
    },
    target: Target::Documents { kinds: &["Cluster"], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let Some(cluster) = CnpgCluster::of(0, manifest) else { return };
    if let Some(store) = &cluster.barman_object_store {
        out.add(
            store.pointer.clone(),
            "the in-tree `backup.barmanObjectStore` is deprecated since CloudNativePG 1.26; move it to an ObjectStore \
             (barmancloud.cnpg.io/v1, its `spec.configuration`, with `retentionPolicy`) and name that from a `plugins` entry \
             `barman-cloud.cloudnative-pg.io` with `isWALArchiver: true` and the parameter `barmanObjectName`",
        );
    }
    for external in &cluster.external_clusters {
        if let Some(store) = &external.barman_object_store {
            out.add(
                store.pointer.clone(),
                format!(
                    "external cluster `{}` reads through the in-tree `barmanObjectStore`, deprecated since CloudNativePG 1.26; \
                     use `plugin: {{name: barman-cloud.cloudnative-pg.io, parameters: {{barmanObjectName: <ObjectStore>, serverName: {}}}}}`",
                    external.name,
                    // The plugin's default is the recovering Cluster's name, not the external cluster's: always say it.
                    store.server_name.unwrap_or("<the name the source Cluster archives under>")
                ),
            );
        }
    }
}
