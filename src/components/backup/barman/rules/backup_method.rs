//! CG903: a ScheduledBackup's or Backup's method is one its Cluster is set up for.

use crate::codes::RuleCode;
use crate::extract::{Cnpg, CnpgBackup, CnpgCluster, BARMAN_CLOUD_PLUGIN};
use crate::rules::{Rule, RuleDoc, Severity, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG903,
        severity: Severity::Error,
        checks: "Each CloudNativePG ScheduledBackup and Backup whose Cluster (`spec.cluster.name`, same namespace) is among the \
                 documents uses a `method` that Cluster is set up for. `method` defaults to `barmanObjectStore`, which needs the \
                 Cluster's `spec.backup.barmanObjectStore`; `plugin` needs `pluginConfiguration.name` to be one of the Cluster's \
                 enabled `spec.plugins[].name`; `volumeSnapshot` needs `spec.backup.volumeSnapshot`. The finding says what to set.",
        why: "The operator checks only when a backup starts: a ScheduledBackup left at the default method on a Cluster that \
              backs up through the barman-cloud plugin creates a failed Backup every night, \"cannot proceed with the backup as \
              the cluster has no backup section\" (CloudNativePG issue #8445), while WAL archiving keeps working and hides it. \
              Without base backups the WAL cannot be replayed from anything, and the retention policy never lets go of it.",
    },
    target: Target::Cnpg(check),
};

/// How to ask this Cluster for a backup, as YAML for the ScheduledBackup's spec.
fn suggestion(cluster: &CnpgCluster<'_>) -> Option<String> {
    if let Some(plugin) = cluster.barman_cloud_plugin().or_else(|| cluster.enabled_plugins().next()) {
        return Some(format!("`method: plugin` and `pluginConfiguration: {{name: {}}}`", plugin.name));
    }
    if cluster.barman_object_store.is_some() {
        return Some("`method: barmanObjectStore`".to_string());
    }
    cluster.volume_snapshot.then(|| "`method: volumeSnapshot`".to_string())
}

/// What is wrong with a backup's method for its Cluster, if anything.
fn problem(backup: &CnpgBackup<'_>, cluster: &CnpgCluster<'_>) -> Option<(&'static str, String)> {
    let method = backup.method();
    let said = if backup.method_field.is_some() { format!("`method: {method}`") } else { format!("`method` is not set, so it is `{method}`, which") };
    match method {
        "barmanObjectStore" if cluster.barman_object_store.is_none() => {
            let refusal = if cluster.has_backup_section { "no barmanObjectStore section defined on the target cluster" } else { "cannot proceed with the backup as the cluster has no backup section" };
            Some(("/spec/method", format!("{said} needs `backup.barmanObjectStore` on Cluster `{}`, which has none: the operator refuses every backup with \"{refusal}\"", cluster.name)))
        }
        "volumeSnapshot" if !cluster.volume_snapshot => Some(("/spec/method", format!("{said} needs `backup.volumeSnapshot` on Cluster `{}`, which has none", cluster.name))),
        "plugin" => {
            let plugins: Vec<&str> = cluster.enabled_plugins().map(|p| p.name).collect();
            match backup.plugin_name {
                _ if plugins.is_empty() => Some(("/spec/method", format!("`method: plugin` needs a plugin on Cluster `{}`, which has none enabled: the operator refuses every backup with \"cannot proceed with the backup as the cluster has no plugin configured\"", cluster.name))),
                None => Some(("/spec/method", format!("`method: plugin` needs `pluginConfiguration.name`, one of Cluster `{}`'s plugins", cluster.name))),
                Some(name) if !plugins.contains(&name) => {
                    let disabled = cluster.plugins.iter().any(|p| p.name == name && !p.enabled);
                    let what = if disabled { "is disabled on" } else { "is not a plugin of" };
                    Some(("/spec/pluginConfiguration/name", format!("plugin `{name}` {what} Cluster `{}`, whose plugins are `{}`", cluster.name, plugins.join("`, `"))))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn check(cnpg: &Cnpg<'_>, out: &mut Vec<Violation>) {
    for backup in &cnpg.backups {
        let Some(cluster) = cnpg.cluster_of(backup) else { continue };
        let Some((pointer, message)) = problem(backup, cluster) else { continue };
        let pointer = if pointer == "/spec/method" && backup.method_field.is_none() { "/spec" } else { pointer };
        let fix = match suggestion(cluster) {
            Some(fix) => format!("; set {fix}"),
            None => format!("; Cluster `{}` is set up for no backup method: give it a `plugins` entry `{BARMAN_CLOUD_PLUGIN}` (with an ObjectStore) or `backup.volumeSnapshot`", cluster.name),
        };
        out.push(Violation::at(backup.document, pointer, format!("{message}{fix}")));
    }
}
