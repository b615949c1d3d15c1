//! CG602: alerts name only metrics that exist.

use crate::codes::RuleCode;
use crate::extract::Alert;
use crate::rules::support::walk_promql;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG602,
        severity: Severity::Error,
        checks: "Every metric an alert expression selects is in the spec's `metrics` inventory or is one of the \
                 series the chart's own backup alerts use: kube-state-metrics' for the dump CronJob, CloudNativePG's \
                 instance series for barman, the collector's backup timestamps for the in-tree barmanObjectStore, \
                 the barman-cloud plugin's for the plugin, and Velero's by Schedule. An alert that mixes the in-tree and the plugin backup series \
                 is reported too: only one of them updates for a Cluster.",
        why: "A misspelt metric selects nothing, and an expression over nothing never fires: the alert is green for ever. \
              The seed chart alerted on `certctl_job_failures_total`, which the server never exported.",
    },
    target: Target::Alerts(check),
};

/// Who exports a series the chart's own alerts use, and when it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exporter {
    /// kube-state-metrics: the dump CronJob's runs.
    KubeStateMetrics,
    /// A CloudNativePG instance, from PostgreSQL's `pg_stat_archiver` and the operator's collector, whatever the backup method.
    CnpgInstance,
    /// A CloudNativePG instance's collector, only for backups through the in-tree `barmanObjectStore`: they stop updating with the plugin.
    CnpgInTreeBackups,
    /// The barman-cloud plugin, through the instance's exporter, only for backups through the plugin.
    BarmanCloudPlugin,
    /// The Velero server, by Schedule.
    Velero,
}

/// The series the chart's own alerts use, by exporter.
pub const CHART_METRICS: [(&str, Exporter); 17] = [
    ("kube_cronjob_status_last_successful_time", Exporter::KubeStateMetrics),
    ("kube_cronjob_created", Exporter::KubeStateMetrics),
    ("kube_job_status_start_time", Exporter::KubeStateMetrics),
    ("kube_job_owner", Exporter::KubeStateMetrics),
    ("kube_job_complete", Exporter::KubeStateMetrics),
    ("kube_job_failed", Exporter::KubeStateMetrics),
    ("cnpg_pg_stat_archiver_failed_count", Exporter::CnpgInstance),
    ("cnpg_pg_stat_archiver_last_failed_time", Exporter::CnpgInstance),
    ("cnpg_pg_stat_archiver_last_archived_time", Exporter::CnpgInstance),
    ("cnpg_pg_stat_archiver_seconds_since_last_archival", Exporter::CnpgInstance),
    ("cnpg_collector_pg_wal_archive_status", Exporter::CnpgInstance),
    ("cnpg_collector_last_available_backup_timestamp", Exporter::CnpgInTreeBackups),
    ("cnpg_collector_last_failed_backup_timestamp", Exporter::CnpgInTreeBackups),
    ("barman_cloud_cloudnative_pg_io_last_available_backup_timestamp", Exporter::BarmanCloudPlugin),
    ("barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp", Exporter::BarmanCloudPlugin),
    ("velero_backup_failure_total", Exporter::Velero),
    ("velero_backup_last_successful_timestamp", Exporter::Velero),
];

/// The chart's own series as the names the rule accepts.
fn chart_metric(name: &str) -> Option<Exporter> {
    CHART_METRICS.iter().find(|(known, _)| *known == name).map(|(_, exporter)| *exporter)
}

/// The metric names an expression selects.
pub fn metric_names(expr: &promql_parser::parser::Expr) -> Vec<String> {
    use promql_parser::parser::Expr;
    let mut names = Vec::new();
    walk_promql(expr, &mut |node| {
        let selector = match node {
            Expr::VectorSelector(v) => Some(v),
            Expr::MatrixSelector(m) => Some(&m.vs),
            _ => None,
        };
        if let Some(selector) = selector {
            names.extend(selector.name.clone());
            names.extend(selector.matchers.matchers.iter().filter(|m| m.name == "__name__").map(|m| m.value.clone()));
        }
    });
    names
}

fn check(alert: &Alert<'_>, spec: &Spec, out: &mut Problems) {
    let parsed = alert.expr();
    let Ok(expr) = parsed.as_ref() else { return };
    for name in metric_names(expr) {
        if !spec.metrics.contains(&name) && chart_metric(&name).is_none() {
            let known = spec.metrics.iter().map(String::as_str).chain(CHART_METRICS.iter().map(|(known, _)| *known));
            let hint = crate::diagnostic::nearest(&name, known).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            out.add(format!("{}/expr", alert.pointer), format!("`{name}` is not in the metric inventory{hint}"));
        }
    }
    let exporters: Vec<Exporter> = metric_names(expr).iter().filter_map(|name| chart_metric(name)).collect();
    if exporters.contains(&Exporter::CnpgInTreeBackups) && exporters.contains(&Exporter::BarmanCloudPlugin) {
        out.add(
            format!("{}/expr", alert.pointer),
            "the expression mixes the collector's in-tree backup series (`cnpg_collector_*_backup_timestamp`) and the barman-cloud plugin's; \
             a Cluster updates only one of them: keep the series of the backup method in use"
                .to_string(),
        );
    }
}
