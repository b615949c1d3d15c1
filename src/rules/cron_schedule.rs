//! CG101: schedules are valid cron with the number of fields their controller expects.

use super::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;
use crate::scalars::CronSchedule;

pub static RULE: CronScheduleRule = CronScheduleRule;

pub struct CronScheduleRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG101,
    severity: Severity::Error,
    checks: "A CronJob's `schedule` is valid five-field cron (minute hour day-of-month month day-of-week), read by a cron library. \
             A CloudNativePG ScheduledBackup's `schedule` has six fields, seconds first. The wrong number of fields is reported \
             with the corrected expression.",
    why: "The two controllers count fields differently. `0 0 2 * * *` is 02:00 daily for CloudNativePG and is rejected by \
          Kubernetes; `0 2 * * *` given to CloudNativePG means every hour at second 0 of minute 2, not once a day. Either \
          mistake leaves the database without the backups the runbook promises.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: db-backup\nspec:\n  schedule: \"0 0 2 * * *\"\n  jobTemplate: {}\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: db-backup\nspec:\n  schedule: \"0 2 * * *\"\n  jobTemplate: {}\n",
    },
};

impl Rule for CronScheduleRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate() {
            let Some(schedule) = manifest.object["spec"]["schedule"].as_str() else { continue };
            let fields: Vec<&str> = schedule.split_whitespace().collect();
            match manifest.kind() {
                "CronJob" => {
                    if let Err(message) = schedule.parse::<CronSchedule>() {
                        out.push(Violation::at(index, "/spec/schedule", message));
                    }
                }
                "ScheduledBackup" if manifest.object["apiVersion"].as_str().is_some_and(|v| v.starts_with("postgresql.cnpg.io/")) => {
                    if fields.len() == 5 {
                        out.push(Violation::at(
                            index,
                            "/spec/schedule",
                            format!("`{schedule}` has five fields; a ScheduledBackup takes six, seconds first: \"0 {schedule}\""),
                        ));
                    } else if let Err(e) = croner::parser::CronParser::builder().seconds(croner::parser::Seconds::Required).build().parse(schedule) {
                        out.push(Violation::at(index, "/spec/schedule", format!("`{schedule}` is not a valid six-field schedule: {e}")));
                    }
                }
                _ => {}
            }
        }
    }
}
