//! CG101: schedules are valid cron with the number of fields their controller expects.

use crate::codes::RuleCode;
use crate::extract::{api_group, Manifest, VELERO_GROUP};
use crate::scalars::CronSchedule;
use crate::spec::Spec;
use super::{Problems, Rule, RuleDoc, Severity, Target};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG101,
        severity: Severity::Error,
        checks: "A CronJob's `schedule` is valid five-field cron (minute hour day-of-month month day-of-week), read by a cron library. \
                 A CloudNativePG ScheduledBackup's `schedule` has six fields, seconds first. A Velero Schedule's has five, as a \
                 CronJob's. The wrong number of fields is reported with the corrected expression.",
        why: "The two controllers count fields differently. `0 0 2 * * *` is 02:00 daily for CloudNativePG and is rejected by \
              Kubernetes; `0 2 * * *` given to CloudNativePG means every hour at second 0 of minute 2, not once a day. Either \
              mistake leaves the database without the backups the runbook promises. Velero, like Kubernetes, refuses a \
              six-field line: the Schedule fails validation and takes no backup at all.",
    },
    target: Target::Documents { kinds: &["CronJob", "ScheduledBackup", "Schedule"], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let Some(schedule) = manifest.object["spec"]["schedule"].as_str() else { return };
    let five_fields = manifest.kind() == "CronJob" || (manifest.kind() == "Schedule" && api_group(&manifest.object) == VELERO_GROUP);
    if five_fields {
        if let Err(message) = schedule.parse::<CronSchedule>() {
            out.add("/spec/schedule", message);
        }
    } else if manifest.object["apiVersion"].as_str().is_some_and(|v| v.starts_with("postgresql.cnpg.io/")) {
        if schedule.split_whitespace().count() == 5 {
            out.add("/spec/schedule", format!("`{schedule}` has five fields; a ScheduledBackup takes six, seconds first: \"0 {schedule}\""));
        } else if let Err(e) = croner::parser::CronParser::builder().seconds(croner::parser::Seconds::Required).build().parse(schedule) {
            out.add("/spec/schedule", format!("`{schedule}` is not a valid six-field schedule: {e}"));
        }
    }
}

