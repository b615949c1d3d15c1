//! CG908: a recovery reads the server name its source Cluster archives under.

use crate::codes::RuleCode;
use crate::extract::Cnpg;
use crate::rules::{Rule, RuleDoc, Severity, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG908,
        severity: Severity::Error,
        checks: "When a CloudNativePG Cluster recovers (`bootstrap.recovery.source`) from an object store destination that \
                 other Clusters among the documents archive to, the server name it reads is one of theirs. The recovery's \
                 server name is the external cluster's `barmanObjectStore.serverName`, which defaults to the external \
                 cluster's name, or the barman-cloud plugin's `serverName` parameter, which defaults to the recovering \
                 Cluster's own name; an archiving Cluster's defaults to its own name. Destinations are resolved as CG904 \
                 resolves them. A recovery from a store no Cluster among the documents archives to is not checked.",
        why: "Barman keeps each server's base backups and WAL under `<destinationPath>/<serverName>/`. A recovery that \
              names another folder finds no backup (\"no target backup found\") and the new Cluster never starts, during \
              the incident the runbook was written for. The usual cause is the default: an external cluster called \
              `esb-postgres-backup` without `serverName` reads `esb-postgres-backup/`, while the source archived under \
              `esb-postgres/`, as in a seed runbook.",
    },
    target: Target::Cnpg(check),
};

fn check(cnpg: &Cnpg<'_>, out: &mut Vec<Violation>) {
    for cluster in &cnpg.clusters {
        let Some(recovery) = cnpg.recovery_of(cluster) else { continue };
        let sources: Vec<(&str, String)> = cnpg
            .clusters
            .iter()
            .filter(|other| other.document != cluster.document)
            .filter_map(|other| Some((other.name, cnpg.archive_of(other)?)))
            .filter(|(_, archive)| archive.same_store(&recovery))
            .map(|(name, archive)| (name, archive.server_name.to_string()))
            .collect();
        if sources.is_empty() || sources.iter().any(|(_, server)| server == recovery.server_name) {
            continue;
        }
        let default = if recovery.default_server_name { " (by default)" } else { "" };
        let archivers = sources.iter().map(|(name, server)| format!("Cluster `{name}` archives as server `{server}`")).collect::<Vec<_>>().join(", ");
        let (_, first) = &sources[0];
        out.push(Violation::at(
            cluster.document,
            recovery.pointer.clone(),
            format!(
                "the recovery through {} reads server `{}`{default}, but at that destination {archivers}: it finds no backup \
                 to start from; set `serverName: {first}`",
                recovery.via, recovery.server_name
            ),
        ));
    }
}
