//! CG103: the backup CronJob never overlaps, never hangs and says its time zone.

use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: BackupJobHygieneRule = BackupJobHygieneRule;

pub struct BackupJobHygieneRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG103,
    severity: Severity::Error,
    checks: "Every CronJob sets `concurrencyPolicy: Forbid`, `startingDeadlineSeconds`, `timeZone`, and in its job template \
             `activeDeadlineSeconds` and `backoffLimit`.",
    why: "Without `Forbid` a slow dump is joined by a second one that competes for the same database and disk; without \
          deadlines a hung dump holds its pod for ever and no alert fires; without a starting deadline a controller \
          outage makes it start a burst of missed runs; without `timeZone` the schedule follows whatever zone the \
          controller manager runs in.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: db-backup\nspec:\n  schedule: \"0 2 * * *\"\n  jobTemplate:\n    spec:\n      template: {}\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: db-backup\nspec:\n  schedule: \"0 2 * * *\"\n  timeZone: Etc/UTC\n  concurrencyPolicy: Forbid\n  startingDeadlineSeconds: 3600\n  jobTemplate:\n    spec:\n      backoffLimit: 2\n      activeDeadlineSeconds: 3600\n      template: {}\n",
    },
};

impl Rule for BackupJobHygieneRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate().filter(|(_, m)| m.kind() == "CronJob") {
            let spec = &manifest.object["spec"];
            if spec["concurrencyPolicy"] != "Forbid" {
                out.push(Violation::at(index, "/spec/concurrencyPolicy", "set `concurrencyPolicy: Forbid` so that runs never overlap"));
            }
            for field in ["startingDeadlineSeconds", "timeZone"] {
                if spec[field].is_null() {
                    out.push(Violation::at(index, format!("/spec/{field}"), format!("`{field}` is not set")));
                }
            }
            for field in ["activeDeadlineSeconds", "backoffLimit"] {
                if spec["jobTemplate"]["spec"][field].is_null() {
                    out.push(Violation::at(index, format!("/spec/jobTemplate/spec/{field}"), format!("`{field}` is not set in the job template")));
                }
            }
        }
    }
}
