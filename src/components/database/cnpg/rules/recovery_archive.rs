//! CG904: a recovered Cluster does not archive its WAL into the archive it recovers from.

use crate::codes::RuleCode;
use crate::extract::{ArchiveLocation, Cnpg};
use crate::rules::{Rule, RuleDoc, Severity, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG904,
        severity: Severity::Error,
        checks: "A CloudNativePG Cluster bootstrapped with `bootstrap.recovery.source` does not archive its WAL to the same \
                 object store folder it recovers from. The recovery reads the external cluster that `source` names: its \
                 in-tree `barmanObjectStore` (`destinationPath`, and `serverName`, which defaults to the external cluster's \
                 name) or its barman-cloud `plugin` (the ObjectStore `barmanObjectName` and the `serverName` parameter, which \
                 the plugin defaults to the recovering Cluster's own name). The Cluster archives to its \
                 `backup.barmanObjectStore` or to the ObjectStore of its barman-cloud `plugins` entry, with a server name that \
                 defaults to its own name. ObjectStore names are resolved to their `destinationPath` through the ObjectStores \
                 among the documents; endpoints are compared when both are given. The annotation \
                 `cnpg.io/skipEmptyWalArchiveCheck: enabled` turns the check off, as it turns off the operator's.",
        why: "Before it archives the first WAL segment of a new timeline, CloudNativePG checks that the destination is empty. \
              A recovered Cluster pointed at its source's folder finds the source's WAL there and stops with \"WAL archive \
              check failed for server …: Expected empty archive\": the new primary never leaves `Setting up primary`, in the \
              middle of an incident. Were the check skipped, the two clusters' WAL would mix in one folder and the source's \
              backups would be pruned by the wrong retention.",
    },
    target: Target::Cnpg(check),
};

fn describe(location: &ArchiveLocation<'_>) -> String {
    let default = if location.default_server_name { " (by default)" } else { "" };
    let destination = location.destination.strip_prefix("objectstore:").map_or_else(|| format!("`{}`", location.destination), |name| format!("ObjectStore `{name}`"));
    format!("{destination}, server `{}`{default},", location.server_name)
}

fn check(cnpg: &Cnpg<'_>, out: &mut Vec<Violation>) {
    for cluster in &cnpg.clusters {
        if cluster.skips_empty_archive_check() {
            continue;
        }
        let (Some(recovery), Some(archive)) = (cnpg.recovery_of(cluster), cnpg.archive_of(cluster)) else { continue };
        if !recovery.same_as(&archive) {
            continue;
        }
        let fix = if recovery.default_server_name && recovery.server_name == cluster.name {
            format!("the plugin reads a recovery under the recovering Cluster's own name unless told: set `serverName` in {} to the name the source archived under", recovery.via)
        } else if archive.server_name != cluster.name {
            format!("archive under this Cluster's own name (drop `serverName: {}`) or to another destination", archive.server_name)
        } else {
            "this Cluster has the name its source archived under: give its archive another `serverName` or another destination".to_string()
        };
        out.push(Violation::at(
            cluster.document,
            archive.pointer.clone(),
            format!(
                "Cluster `{}` recovers from {} through {}, and archives its own WAL to the same place through {}: the operator \
                 finds WAL there and stops with \"Expected empty archive\"; {fix}",
                cluster.name,
                describe(&recovery),
                recovery.via,
                archive.via,
            ),
        ));
    }
}
