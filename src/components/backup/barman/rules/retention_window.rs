//! CG906: the retention policy keeps at least two base-backup intervals.

use crate::codes::RuleCode;
use crate::extract::{Cnpg, CnpgCluster, BARMAN_CLOUD_PLUGIN};
use crate::rules::support::longest_gap_with_seconds;
use crate::rules::{Rule, RuleDoc, Severity, Target, Violation};
use crate::scalars::human;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG906,
        severity: Severity::Error,
        checks: "A Barman retention policy (a barman-cloud ObjectStore's `spec.retentionPolicy`, or an in-tree \
                 `backup.retentionPolicy`) is at least twice the interval between the base backups that the ScheduledBackups \
                 of its Cluster take into it. The interval is the longest gap between two firings of those schedules, \
                 together, over a year (2026) in UTC, as the operator runs them (six fields, seconds first); suspended \
                 schedules, ScheduledBackups whose method writes elsewhere, and schedules that do not parse (CG101) do not \
                 count. The policy is a recovery window of days (`d`), weeks (`w`, 7 days) or months (`m`), which Barman \
                 counts as 31 days each (`RecoveryWindowRetentionPolicy` in barman/retention_policies.py).",
        why: "The window is how far back a recovery can go. A recovery starts from the newest base backup before its \
              target, and Barman keeps, besides the base backups inside the window, only the newest one before it: every \
              older one is deleted as obsolete. A point of the window can fall back on a second base backup only if one \
              older than its own is still kept, which holds for the newest `window - interval` of it. With a window \
              shorter than two intervals that is less than half of it (nothing at all for a weekly base backup and \
              `retentionPolicy: \"7d\"`): one base backup found unreadable at restore time, during the incident, loses \
              the points that depend on it. At twice the interval or more, at least the newest half of the window has a \
              spare.",
    },
    target: Target::Cnpg(check),
};

/// Where a Cluster's retention policy is: its document, pointer and text,
/// and the backups that write to it: method and plugin.
fn retention<'a>(cnpg: &Cnpg<'a>, cluster: &CnpgCluster<'a>) -> Option<(usize, &'static str, &'a str, &'static str)> {
    if cluster.barman_object_store.is_some() {
        return Some((cluster.document, "/spec/backup/retentionPolicy", cluster.retention_policy?, "barmanObjectStore"));
    }
    let name = cluster.barman_cloud_plugin()?.parameter("barmanObjectName")?;
    let store = cnpg.object_store(name, cluster)?;
    Some((store.document, "/spec/retentionPolicy", store.retention_policy?, "plugin"))
}

fn check(cnpg: &Cnpg<'_>, out: &mut Vec<Violation>) {
    for cluster in &cnpg.clusters {
        let Some((document, pointer, policy, method)) = retention(cnpg, cluster) else { continue };
        let Some(window) = crate::scalars::RecoveryWindow::of(policy).map(|w| w.days) else { continue };
        let schedules: Vec<(&str, &str)> = cnpg
            .backups
            .iter()
            .filter(|b| b.kind == "ScheduledBackup" && !b.suspended && b.method() == method)
            .filter(|b| method != "plugin" || b.plugin_name == Some(BARMAN_CLOUD_PLUGIN))
            .filter(|b| cnpg.cluster_of(b).is_some_and(|c| c.document == cluster.document))
            .filter_map(|b| Some((b.name, b.schedule?)))
            .collect();
        let texts: Vec<&str> = schedules.iter().map(|(_, s)| *s).collect();
        let Some((gap, from)) = longest_gap_with_seconds(&texts) else { continue };
        if chrono::Duration::days(window) >= gap * 2 {
            continue;
        }
        let which = schedules.iter().map(|(name, schedule)| format!("`{name}` (`{schedule}`)")).collect::<Vec<_>>().join(", ");
        let months = if policy.ends_with('m') { format!(" ({window} days: Barman counts a month as 31)") } else { String::new() };
        let violation = Violation::at(
            document,
            pointer,
            format!(
                "the recovery window `{policy}`{months} of Cluster `{}` is less than two base-backup intervals: ScheduledBackup {which} \
                 leaves up to {} between base backups (from {from}), so less than half of the window has a second base backup \
                 to start from when one is unreadable; keep at least {} or take base backups more often",
                cluster.name,
                human(gap),
                human(gap * 2)
            ),
        );
        if !out.iter().any(|v| v.document == violation.document && v.pointer == violation.pointer) {
            out.push(violation);
        }
    }
}
