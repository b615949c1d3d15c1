//! CG103: the backup CronJob never overlaps, never hangs and says its time zone.

use crate::codes::RuleCode;
use crate::extract::Manifest;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG103,
        severity: Severity::Error,
        checks: "Every CronJob sets `concurrencyPolicy: Forbid`, `startingDeadlineSeconds`, `timeZone`, and in its job template \
                 `activeDeadlineSeconds` and `backoffLimit`.",
        why: "Without `Forbid` a slow dump is joined by a second one that competes for the same database and disk; without \
              deadlines a hung dump holds its pod for ever and no alert fires; without a starting deadline a controller \
              outage makes it start a burst of missed runs; without `timeZone` the schedule follows whatever zone the \
              controller manager runs in.",
    },
    target: Target::Documents { kinds: &["CronJob"], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let spec = &manifest.object["spec"];
    if spec["concurrencyPolicy"] != "Forbid" {
        out.add("/spec/concurrencyPolicy", "set `concurrencyPolicy: Forbid` so that runs never overlap");
    }
    for field in ["startingDeadlineSeconds", "timeZone"] {
        if spec[field].is_null() {
            out.add(format!("/spec/{field}"), format!("`{field}` is not set"));
        }
    }
    for field in ["activeDeadlineSeconds", "backoffLimit"] {
        if spec["jobTemplate"]["spec"][field].is_null() {
            out.add(format!("/spec/jobTemplate/spec/{field}"), format!("`{field}` is not set in the job template"));
        }
    }
}
